package ui_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"smsgw/app"
)

// bookWorld is a three-level department tree (本单位 > A > A1, and B) with
// a caller of each role, and one contact of each kind of book at each
// level, for the visibility tests of issue 15.
type bookWorld struct {
	keys     map[string]string // caller -> API secret
	users    map[string]int64  // caller -> its user
	contacts map[string]string // contact name -> id
	depts    map[string]string // department name -> id
}

func newBookWorld(t *testing.T, f *fixture) *bookWorld {
	t.Helper()
	sys, err := f.db.CreateAPIKey(context.Background(), &app.APIKey{Name: "全部权限", DepartmentID: app.RootDepartmentID,
		Role: app.RoleSysadmin, AllowFreeText: true, Scopes: []string{app.ScopeAdmin, app.ScopeContacts, app.ScopeSend, app.ScopeQuery}})
	if err != nil {
		t.Fatal(err)
	}
	w := &bookWorld{keys: map[string]string{"sys": sys}, users: map[string]int64{}, contacts: map[string]string{}, depts: map[string]string{"root": "1"}}
	for _, d := range []struct{ name, parent string }{{"A", "root"}, {"A1", "A"}, {"B", "root"}} {
		var out struct{ ID string }
		mustJSON(t, f, "POST", "/api/v1/departments", w.keys["sys"], `{"name":"`+d.name+`","parent_id":"`+w.depts[d.parent]+`"}`, 201, &out)
		w.depts[d.name] = out.ID
	}
	// Each caller is an app bound to a user of its own, so personal books exist.
	for i, c := range []struct{ name, dept, role string }{
		{"adminA", "A", "dept_admin"}, {"audA", "A", "auditor"}, {"opA", "A", "operator"},
		{"opA1", "A1", "operator"}, {"opB", "B", "operator"},
	} {
		var u struct{ ID string }
		mustJSON(t, f, "POST", "/api/v1/users", w.keys["sys"], fmt.Sprintf(`{"username":"u%d","password":"Pass2026x%d","department_id":"%s","role":"%s"}`,
			i, i, w.depts[c.dept], c.role), 201, &u)
		var k struct{ Secret string }
		mustApp(t, f, w.keys["sys"], fmt.Sprintf(`{"name":"%s","department_id":"%s","user_id":"%s","role":"%s","scopes":["contacts","send","query"],"allow_free_text":true}`,
			c.name, w.depts[c.dept], u.ID, c.role), &k)
		w.keys[c.name] = k.Secret
		w.users[c.name], _ = strconv.ParseInt(u.ID, 10, 64)
	}
	for i, c := range []struct{ name, by, book, dept string }{
		{"orgRoot", "sys", "org", "root"}, {"orgA", "adminA", "org", "A"}, {"orgA1", "adminA", "org", "A1"}, {"orgB", "sys", "org", "B"},
		{"custA", "opA", "customer", "A"}, {"custA1", "opA1", "customer", "A1"},
	} {
		dept := ""
		if c.dept != "" {
			dept = w.depts[c.dept]
		}
		var out struct{ ID string }
		mustJSON(t, f, "POST", "/api/v1/contacts", w.keys[c.by], fmt.Sprintf(`{"book":"%s","department_id":"%s","name":"%s","phone":"1380013%04d"}`,
			c.book, dept, c.name, i), 201, &out)
		w.contacts[c.name] = out.ID
	}
	// A personal book is the console's only: opA's, made as opA signed in.
	pers := &app.Contact{Book: app.BookPersonal, Name: "persOpA", Phone: "13800130006"}
	if err := f.db.CreateContact(context.Background(), w.console("opA"), pers); err != nil {
		t.Fatal(err)
	}
	w.contacts["persOpA"] = strconv.FormatInt(pers.ID, 10)
	return w
}

// console is the caller as its user signed in to the console.
func (w *bookWorld) console(name string) *app.Principal {
	roles := map[string]app.Role{"adminA": app.RoleDeptAdmin, "audA": app.RoleAuditor, "opA": app.RoleOperator, "opA1": app.RoleOperator, "opB": app.RoleOperator}
	depts := map[string]string{"adminA": "A", "audA": "A", "opA": "A", "opA1": "A1", "opB": "B"}
	dept, _ := strconv.ParseInt(w.depts[depts[name]], 10, 64)
	return &app.Principal{UserID: w.users[name], DepartmentID: dept, Role: roles[name]}
}

// TestContactVisibility (issue 15): the three kinds of book across a
// three-level tree and the four roles. What a caller may not see answers
// 404, what it sees but may not change 403, for reads, changes and lists.
func TestContactVisibility(t *testing.T) {
	f := newFixture(t)
	w := newBookWorld(t, f)
	callers := []string{"sys", "adminA", "audA", "opA", "opA1", "opB"}
	// For each contact, what each caller (in the order above) gets for a
	// read and for a change.
	table := []struct {
		contact     string
		read, write []int
	}{
		{"orgRoot", []int{200, 200, 200, 200, 200, 200}, []int{200, 403, 403, 403, 403, 403}},
		{"orgA", []int{200, 200, 200, 200, 200, 404}, []int{200, 200, 403, 403, 403, 404}},
		{"orgA1", []int{200, 200, 200, 404, 200, 404}, []int{200, 200, 403, 404, 403, 404}},
		{"orgB", []int{200, 404, 404, 404, 404, 200}, []int{200, 404, 404, 404, 404, 403}},
		{"custA", []int{200, 200, 200, 200, 404, 404}, []int{200, 200, 403, 200, 404, 404}},
		{"custA1", []int{200, 200, 200, 404, 200, 404}, []int{200, 200, 403, 404, 200, 404}},
		// A personal book is not reached through an app, even one bound to its owner.
		{"persOpA", []int{404, 404, 404, 404, 404, 404}, []int{404, 404, 404, 404, 404, 404}},
	}
	seen := map[string][]string{}
	for _, row := range table {
		for i, caller := range callers {
			id := w.contacts[row.contact]
			if status, body := f.call(t, "GET", "/api/v1/contacts/"+id, w.keys[caller], ""); status != row.read[i] {
				t.Errorf("%s reads %s: %d %s, want %d", caller, row.contact, status, body, row.read[i])
			} else if status == 200 {
				seen[caller] = append(seen[caller], row.contact)
			}
			if status, body := f.call(t, "PATCH", "/api/v1/contacts/"+id, w.keys[caller], `{"note":"改过"}`); status != row.write[i] {
				t.Errorf("%s changes %s: %d %s, want %d", caller, row.contact, status, body, row.write[i])
			}
			if row.write[i] == 200 {
				continue // the deletes allowed run at the end
			}
			if status, _ := f.call(t, "DELETE", "/api/v1/contacts/"+id, w.keys[caller], ""); status != row.write[i] {
				t.Errorf("%s deletes %s: %d, want %d", caller, row.contact, status, row.write[i])
			}
		}
	}
	// The listing shows exactly what the reads showed.
	for _, caller := range callers {
		var list struct{ Items []struct{ Name string } }
		mustJSON(t, f, "GET", "/api/v1/contacts?limit=1000", w.keys[caller], "", 200, &list)
		var names []string
		for _, c := range list.Items {
			names = append(names, c.Name)
		}
		sort.Strings(names)
		sort.Strings(seen[caller])
		if strings.Join(names, ",") != strings.Join(seen[caller], ",") {
			t.Errorf("%s lists %v, reads %v", caller, names, seen[caller])
		}
	}
	// In the console, the owner alone reads its personal book.
	id, _ := strconv.ParseInt(w.contacts["persOpA"], 10, 64)
	for _, caller := range []string{"opA", "adminA", "audA", "opB"} {
		_, err := f.db.Contact(context.Background(), w.console(caller), id)
		if got, want := app.ErrorCode(err), map[bool]string{true: "", false: app.ENOTFOUND}[caller == "opA"]; got != want {
			t.Errorf("%s in the console reads persOpA: %v", caller, err)
		}
	}
}

// TestContactsAndGroups (issue 15): groups belong to one book, a number
// appears once per book, fields are validated by name, listings filter by
// book, group and text, and blacklisted numbers are marked.
func TestContactsAndGroups(t *testing.T) {
	f := newFixture(t)
	w := newBookWorld(t, f)
	opA := w.keys["opA"]
	var g, other struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/groups", opA, `{"book":"customer","name":"重点客户"}`, 201, &g)
	mustJSON(t, f, "POST", "/api/v1/groups", w.keys["adminA"], `{"book":"org","name":"处室"}`, 201, &other)
	var c struct {
		ID       string
		GroupIDs []string `json:"group_ids"`
		Carrier  string
	}
	mustJSON(t, f, "POST", "/api/v1/contacts", opA, `{"book":"customer","name":" 李四 ","phone":"+86 139-0013-9000","company":"某公司","tags":["VIP","VIP"," "],"group_ids":["`+g.ID+`"]}`, 201, &c)
	if len(c.GroupIDs) != 1 || c.GroupIDs[0] != g.ID || c.Carrier != "cmcc" {
		t.Fatalf("created: %+v", c)
	}
	scenarios := []struct {
		name, method, path, key, body string
		status                        int
		want                          string
	}{
		{"NumberOncePerBook", "POST", "/api/v1/contacts", opA, `{"book":"customer","name":"重复","phone":"13900139000"}`, 409, `"contact_id":"` + c.ID + `"`},
		{"SameNumberInAnotherBook", "POST", "/api/v1/contacts", w.keys["adminA"], `{"book":"org","name":"李四","phone":"13900139000"}`, 201, `"book":"org"`},
		{"AppsHaveNoPersonalBook", "POST", "/api/v1/contacts", opA, `{"book":"personal","name":"李四","phone":"13900139000"}`, 400, "应用不能读写"},
		{"GroupOfAnotherBook", "PATCH", "/api/v1/contacts/" + c.ID, opA, `{"group_ids":["` + other.ID + `"]}`, 400, `"field":"group_ids"`},
		{"GroupNotSeen", "POST", "/api/v1/contacts", w.keys["opB"], `{"book":"customer","name":"王五","phone":"13700137000","group_ids":["` + g.ID + `"]}`, 400, `"field":"group_ids"`},
		{"BadNumber", "POST", "/api/v1/contacts", opA, `{"book":"customer","name":"王五","phone":"12345"}`, 400, `"field":"phone"`},
		{"NoName", "POST", "/api/v1/contacts", opA, `{"book":"customer","name":"  ","phone":"13700137000"}`, 400, `"field":"name"`},
		{"BadBook", "POST", "/api/v1/contacts", opA, `{"book":"friends","name":"王五","phone":"13700137000"}`, 400, `"field":"book"`},
		{"ControlCharacters", "POST", "/api/v1/contacts", opA, `{"book":"customer","name":"王五","phone":"13700137000","company":"a\u0000b"}`, 400, `"field":"company"`},
		{"BidiOverride", "POST", "/api/v1/contacts", opA, `{"book":"customer","name":"王\u202e五","phone":"13700137000"}`, 400, `"field":"name"`},
		{"UnknownField", "POST", "/api/v1/contacts", opA, `{"book":"customer","name":"王五","phone":"13700137000","mobile":"1"}`, 400, "mobile"},
		{"BookDoesNotMove", "PATCH", "/api/v1/contacts/" + c.ID, opA, `{"book":"org"}`, 400, `"field":"book"`},
		{"OperatorCannotWriteAnotherDepartmentsCustomers", "POST", "/api/v1/contacts", opA, `{"book":"customer","department_id":"` + w.depts["A1"] + `","name":"王五","phone":"13700137000"}`, 400, `"field":"department_id"`},
		{"OperatorCannotWriteTheOrgBook", "POST", "/api/v1/contacts", opA, `{"book":"org","name":"王五","phone":"13700137000"}`, 403, "管理员"},
		{"AuditorCannotCreate", "POST", "/api/v1/groups", w.keys["audA"], `{"book":"org","name":"审计组"}`, 403, "审计员"},
		{"GroupNameOncePerBook", "POST", "/api/v1/groups", opA, `{"book":"customer","name":"重点客户"}`, 409, `"field":"name"`},
		{"GroupNotSeenIs404", "PATCH", "/api/v1/groups/" + g.ID, w.keys["opB"], `{"name":"x"}`, 404, "ENOTFOUND"},
		{"RenameGroup", "PATCH", "/api/v1/groups/" + g.ID, opA, `{"name":"重要客户"}`, 200, `"count":1`},
		{"SearchByName", "GET", "/api/v1/contacts?q=李", opA, "", 200, `"name":"李四"`},
		{"SearchByNumber", "GET", "/api/v1/contacts?q=0013900", opA, "", 200, `"name":"李四"`},
		{"SearchLikeIsLiteral", "GET", "/api/v1/contacts?q=%25", opA, "", 200, `"items":[]`},
		{"FilterByGroup", "GET", "/api/v1/contacts?group_id=" + g.ID, opA, "", 200, `"name":"李四"`},
		{"FilterByBook", "GET", "/api/v1/contacts?book=org", opA, "", 200, `"name":"orgA"`},
		{"NoPersonalThroughApps", "GET", "/api/v1/contacts?book=personal", opA, "", 200, `"items":[]`},
		{"GroupsListed", "GET", "/api/v1/groups?book=customer", opA, "", 200, `"name":"重点客户","count":1`},
		{"DeleteGroupKeepsContacts", "DELETE", "/api/v1/groups/" + g.ID, opA, "", 204, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := f.clone(t)
			status, body := f.call(t, sc.method, sc.path, sc.key, sc.body)
			if status != sc.status || !strings.Contains(body, sc.want) {
				t.Fatalf("status %d body %s; want %d with %s", status, body, sc.status, sc.want)
			}
		})
	}
	t.Run("BlacklistedMarked", func(t *testing.T) {
		f := f.clone(t)
		if status, body := f.call(t, "POST", "/api/v1/blacklist", w.keys["sys"], `{"entries":[{"phone":"13900139000","department_id":"`+w.depts["A"]+`"}]}`); status != 200 {
			t.Fatalf("blacklist: %d %s", status, body)
		}
		if _, body := f.call(t, "GET", "/api/v1/contacts/"+c.ID, opA, ""); !strings.Contains(body, `"blacklisted":true`) {
			t.Fatalf("blacklisted contact: %s", body)
		}
		if _, body := f.call(t, "GET", "/api/v1/contacts?book=org", opA, ""); strings.Contains(body, `"blacklisted":true`) {
			t.Fatalf("others marked: %s", body)
		}
	})
	t.Run("DeletedGroupLeavesContacts", func(t *testing.T) {
		f := f.clone(t)
		f.call(t, "DELETE", "/api/v1/groups/"+g.ID, opA, "")
		if _, body := f.call(t, "GET", "/api/v1/contacts/"+c.ID, opA, ""); !strings.Contains(body, `"group_ids":[]`) {
			t.Fatalf("after the group went: %s", body)
		}
	})
}

// TestDepartmentWithContactsStays: a department whose book has contacts or
// groups is not deleted (they would lose their book).
func TestDepartmentWithContactsStays(t *testing.T) {
	f := newFixture(t)
	w := newBookWorld(t, f)
	var d struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", w.keys["sys"], `{"name":"C","parent_id":"1"}`, 201, &d)
	mustJSON(t, f, "POST", "/api/v1/groups", w.keys["sys"], `{"book":"org","department_id":"`+d.ID+`","name":"全体"}`, 201, &struct{}{})
	if status, body := f.call(t, "DELETE", "/api/v1/departments/"+d.ID, w.keys["sys"], ""); status != 409 || !strings.Contains(body, "通讯录分组") {
		t.Fatalf("delete a department with a group: %d %s", status, body)
	}
	var e struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", w.keys["sys"], `{"name":"E","parent_id":"1"}`, 201, &e)
	mustJSON(t, f, "POST", "/api/v1/contacts", w.keys["sys"], `{"book":"customer","department_id":"`+e.ID+`","name":"客户","phone":"13600136000"}`, 201, &struct{}{})
	if status, body := f.call(t, "DELETE", "/api/v1/departments/"+e.ID, w.keys["sys"], ""); status != 409 || !strings.Contains(body, "通讯录联系人") {
		t.Fatalf("delete a department with contacts: %d %s", status, body)
	}
}

// TestSendToAddressBooks (issue 15): a send names groups and contacts
// beside numbers; each number goes once; nobody sends to a book it does not
// see (the id is named as if it did not exist); contact fields fill a
// template's ${name}.
func TestSendToAddressBooks(t *testing.T) {
	f := newFixture(t)
	w := newBookWorld(t, f)
	opA := w.keys["opA"]
	var g struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/groups", opA, `{"book":"customer","name":"客户"}`, 201, &g)
	for i, name := range []string{"甲", "乙", "丙"} {
		mustJSON(t, f, "POST", "/api/v1/contacts", opA, fmt.Sprintf(`{"book":"customer","name":"%s","phone":"1370013700%d","group_ids":["%s"]}`, name, i, g.ID), 201, &struct{}{})
	}
	const text = `"content":"【示例单位】会议通知"`
	scenarios := []struct {
		name, key, body string
		status          int
		want            []string
		created         int
	}{
		{"GroupAndContactsOnce", opA, `{"to":["13700137000"],"group_ids":["` + g.ID + `"],"contact_ids":["` + w.contacts["custA"] + `","` + w.contacts["orgA"] + `"],` + text + `}`,
			202, []string{`"accepted":5`, `"rejected":[]`}, 5},
		{"NoPersonalContactThroughAnApp", opA, `{"contact_ids":["` + w.contacts["persOpA"] + `"],` + text + `}`, 400, []string{`"field":"contact_ids[0]"`}, 0},
		{"OrgBookAboveServes", w.keys["opA1"], `{"contact_ids":["` + w.contacts["orgA"] + `","` + w.contacts["orgRoot"] + `"],` + text + `}`, 202, []string{`"accepted":2`}, 2},
		{"AnotherDepartmentsGroup", w.keys["opB"], `{"group_ids":["` + g.ID + `"],` + text + `}`, 400, []string{`"field":"group_ids[0]"`, "不存在"}, 0},
		{"AnotherUsersPersonalContact", w.keys["adminA"], `{"contact_ids":["` + w.contacts["custA"] + `","` + w.contacts["persOpA"] + `"],` + text + `}`, 400, []string{`"field":"contact_ids[1]"`}, 0},
		{"OrgBookBelowAnOperator", opA, `{"contact_ids":["` + w.contacts["orgA1"] + `"],` + text + `}`, 400, []string{`"field":"contact_ids[0]"`}, 0},
		{"BadID", opA, `{"group_ids":["x"],` + text + `}`, 400, []string{`"field":"group_ids[0]"`}, 0},
		{"NoScopeContacts", f.admin, `{"group_ids":["` + g.ID + `"],` + text + `}`, 403, []string{"contacts"}, 0},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := f.clone(t)
			before := f.count(t)
			status, body := f.call(t, "POST", "/api/v1/messages", sc.key, sc.body)
			if status != sc.status {
				t.Fatalf("status %d body %s; want %d", status, body, sc.status)
			}
			for _, w := range sc.want {
				if !strings.Contains(body, w) {
					t.Errorf("answer %s lacks %s", body, w)
				}
			}
			if got := f.count(t) - before; got != sc.created {
				t.Errorf("%d messages created, want %d", got, sc.created)
			}
		})
	}
}
