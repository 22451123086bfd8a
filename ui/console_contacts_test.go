package ui_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/app/apptest"
)

// TestConsoleContacts (issue 15): the 通讯录 pages: groups and contacts
// added by form (a refused form keeps what was typed, a success
// redirects), an import with its result page, the searchable import
// history, escaping, and an auditor who only reads.
func TestConsoleContacts(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "zhang", app.RoleSysadmin)
	b := newBrowser(t, f.srv.URL)
	b.login("zhang", "Console2026")
	form := func(page string, kv ...string) url.Values {
		v := url.Values{"csrf": {b.csrf(page)}}
		for i := 0; i < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v
	}
	if status, _, body := b.get("/contacts"); status != 200 || !strings.Contains(body, "单位机构通讯录") || !strings.Contains(body, `id="menu-contacts"`) {
		t.Fatalf("contacts page: %d %s", status, body)
	}
	if status, loc, _ := b.post("/contacts/group-add", form("/contacts", "book", "org", "department_id", "1", "name", "领导")); status != 303 || !strings.Contains(loc, "done=group-added") {
		t.Fatalf("add group: %d %s", status, loc)
	}
	_, _, page := b.get("/contacts?book=org")
	m := regexp.MustCompile(`id="group-(\d+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no group on the page: %s", page)
	}
	status, _, body := b.post("/contacts/add", form("/contacts", "book", "org", "department_id", "1", "name", "张三", "phone", "12345", "company", "一局"))
	if status != 400 || !strings.Contains(body, `value="张三"`) || !strings.Contains(body, `value="一局"`) || !strings.Contains(body, "号码") {
		t.Fatalf("a refused contact keeps the form: %d %s", status, body)
	}
	if _, _, body := b.post("/contacts/add", form("/contacts", "book", "customer", "department_id", "1", "name", "王五", "phone", "123")); !strings.Contains(body, `id="book-customer" class="on"`) {
		t.Errorf("a refused customer contact shows another book: %s", body)
	}
	if status, loc, _ := b.post("/contacts/add", form("/contacts", "book", "org", "department_id", "1", "name", "<script>alert(1)</script>",
		"phone", "13800138000", "group_ids", m[1])); status != 303 || !strings.Contains(loc, "done=added") {
		t.Fatalf("add contact: %d %s", status, loc)
	}
	_, _, page = b.get("/contacts?book=org&done=added")
	if !strings.Contains(page, "联系人已添加") || !strings.Contains(page, "&lt;script&gt;") || strings.Contains(page, "<script>alert") || !strings.Contains(page, "领导（1）") {
		t.Fatalf("contacts after adding: %s", page)
	}

	_, _, page = b.get("/contacts?book=org&group_id=" + m[1])
	if !strings.Contains(page, `href="/contacts/export?book=org&group_id=`+m[1]+`&format=xlsx"`) {
		t.Errorf("a group's export link does not name the group: %s", page)
	}
	if !strings.Contains(page, `href="/send?group_id=`+m[1]+`"`) {
		t.Errorf("a group's page has no send link: %s", page)
	}
	if _, _, send := b.get("/send?group_id=" + m[1]); !strings.Contains(send, `id="pick-group-`+m[1]+`" @change="count" checked`) {
		t.Errorf("the send page does not tick the group it was opened for: %s", send)
	}
	status, body = b.postFile("/contacts/import", "/contacts/import", map[string]string{"book": "org", "department_id": "1", "group_id": m[1]},
		"名单.csv", "姓名,手机号\n李四,13900139000\n坏,123\n")
	if status != 303 {
		t.Fatalf("import: %d %s", status, body)
	}
	var result string
	apptest.Eventually(t, 30*time.Second, func() error {
		_, _, imports := b.get("/contacts/imports")
		id := regexp.MustCompile(`href="/contacts/imports/(\d+)"`).FindStringSubmatch(imports)
		if id == nil {
			return fmt.Errorf("no import listed: %s", imports)
		}
		_, _, result = b.get("/contacts/imports/" + id[1])
		if !strings.Contains(result, "已完成") {
			return fmt.Errorf("import not done: %s", result)
		}
		return nil
	})
	if !strings.Contains(result, "新增 <strong>1</strong>") || !strings.Contains(result, "失败 <strong>1</strong>") || !strings.Contains(result, "failed?format=xlsx") {
		t.Errorf("result page: %s", result)
	}
	for _, sc := range []struct{ query, want, not string }{
		{"operator=zha", "名单.csv", ""},
		{"operator=li", "没有导入记录", "名单.csv"},
		{"since=" + time.Now().Add(48*time.Hour).Format("2006-01-02"), "没有导入记录", "名单.csv"},
		{"since=" + time.Now().Add(-48*time.Hour).Format("2006-01-02") + "&until=" + time.Now().Add(48*time.Hour).Format("2006-01-02"), "名单.csv", ""},
		{"since=yesterday", "开始日期", ""},
	} {
		_, _, list := b.get("/contacts/imports?" + sc.query)
		if !strings.Contains(list, sc.want) || sc.not != "" && strings.Contains(list, sc.not) {
			t.Errorf("imports?%s: want %q without %q: %s", sc.query, sc.want, sc.not, list)
		}
	}

	if status, _, _ := b.post("/contacts/add", form("/contacts", "book", "personal", "name", "私人朋友", "phone", "13600136000")); status != 303 {
		t.Fatalf("add a personal contact: %d", status)
	}
	if _, _, page := b.get("/contacts?book=personal"); !strings.Contains(page, "私人朋友") {
		t.Errorf("the owner's personal book: %s", page)
	}
	consoleUser(t, f, "shen", app.RoleAuditor)
	a := newBrowser(t, f.srv.URL)
	a.login("shen", "Console2026")
	if status, _, body := a.get("/contacts?book=org"); status != 200 || !strings.Contains(body, "李四") || strings.Contains(body, `id="add-contact"`) {
		t.Errorf("auditor's contacts page: %d %s", status, body)
	}
	if _, _, body := a.get("/contacts?book=personal"); strings.Contains(body, "私人朋友") {
		t.Errorf("an auditor reads another's personal book: %s", body)
	}
	if status, _, _ := a.get("/contacts/import"); status != 403 {
		t.Errorf("auditor's import page: %d", status)
	}
	v := url.Values{"csrf": {a.csrf("/contacts")}, "book": {"org"}, "name": {"x"}, "phone": {"13700137000"}}
	if status, _, _ := a.post("/contacts/add", v); status != 403 {
		t.Errorf("auditor adds a contact: %d", status)
	}
}

// TestConsoleSendToGroups (issue 15): the send form goes with groups alone,
// and a send over 10,000 numbers with groups goes as batches in which every
// number is sent once.
func TestConsoleSendToGroups(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "zhang", app.RoleSysadmin)
	b := newBrowser(t, f.srv.URL)
	b.login("zhang", "Console2026")
	ctx := context.Background()
	admin := &app.Principal{DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}
	g := &app.ContactGroup{Book: app.BookOrg, Name: "全体"}
	if err := f.db.CreateGroup(ctx, admin, g); err != nil {
		t.Fatal(err)
	}
	for i, phone := range []string{"13600136000", "13600136001", "13800000005"} {
		if err := f.db.CreateContact(ctx, admin, &app.Contact{Book: app.BookOrg, Name: fmt.Sprint("员工", i), Phone: phone, GroupIDs: []int64{g.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	send := func(numbers string) (int, string) {
		_, _, page := b.get("/send")
		token := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(page)[1]
		status, loc, _ := b.post("/send", url.Values{"csrf": {b.csrf("/send")}, "token": {token}, "numbers": {numbers},
			"group_ids": {fmt.Sprint(g.ID)}, "content": {"【示例单位】全体会议"}, "mode": {"now"}})
		return status, loc
	}
	// A refused send keeps the contacts picked.
	list, _, _ := f.db.FindContacts(ctx, admin, app.ContactFilter{Q: "13600136001"})
	_, _, page := b.get("/send")
	token := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(page)[1]
	status, _, body := b.post("/send", url.Values{"csrf": {b.csrf("/send")}, "token": {token}, "contact_ids": {fmt.Sprint(list[0].ID)},
		"content": {"没有签名"}, "mode": {"now"}})
	if status != 400 || !strings.Contains(body, `"label":"员工1 13600136001"`) {
		t.Errorf("a refused send with a contact: %d %s", status, body)
	}
	if status, loc := send(""); status != 303 || !strings.Contains(loc, "sent=1") {
		t.Fatalf("a group alone: %d %s", status, loc)
	}
	if n := f.count(t); n != 3 {
		t.Fatalf("%d messages for a group of 3", n)
	}
	var typed strings.Builder
	for i := range 10001 {
		fmt.Fprintf(&typed, "138%08d\n", i) // 13800000005 is in the group too
	}
	if status, loc := send(typed.String()); status != 303 || loc != "/records" {
		t.Fatalf("10,001 numbers and a group: %d %s", status, loc)
	}
	var batches struct{ Items []struct{ Accepted int } }
	mustJSON(t, f, "GET", "/api/v1/batches?limit=100", f.admin, "", 200, &batches)
	total := 0
	for _, b := range batches.Items {
		total += b.Accepted
	}
	if total != 3+10001+2 {
		t.Errorf("%d messages in all, want %d (every number once)", total, 3+10001+2)
	}
}
