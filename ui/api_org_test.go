package ui_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestOrganisationAPI drives departments and apps through the API as issue 4
// describes: an administrator builds the tree, each department's app sees
// only its own department's messages, and nobody grants above itself.
func TestOrganisationAPI(t *testing.T) {
	f := newFixture(t)
	var root struct{ Secret string }
	status, body := f.call(t, "POST", "/api/v1/apps", f.admin, `{"name":"运维","scopes":["admin","send","query"],"role":"sysadmin","allow_free_text":true}`)
	if status != 403 {
		t.Fatalf("an app without the admin scope created an app: %d %s", status, body)
	}
	// The fixture's admin key lacks the admin scope; make one that has it.
	admin := mustApp(t, f, f.mustAdmin(t), `{"name":"根","role":"sysadmin","scopes":["admin","send","query"],"allow_free_text":true}`, &root)

	var a, b struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"一处","ext":"11"}`, 201, &a)
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"二处"}`, 201, &b)
	var a1 struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"一处一科","parent_id":"`+a.ID+`"}`, 201, &a1)

	var appA, appB struct{ ID, Key, Secret string }
	mustApp(t, f, admin, `{"name":"一处系统","department_id":"`+a.ID+`","role":"dept_admin","scopes":["send","query","admin"],"allow_free_text":true}`, &appA)
	mustApp(t, f, admin, `{"name":"二处系统","department_id":"`+b.ID+`","scopes":["send","query"],"allow_free_text":true}`, &appB)

	var fenced struct{ Secret string }
	mustApp(t, f, admin, `{"name":"限IP","scopes":["query"],"ip_allowlist":["10.0.0.0/8"]}`, &fenced)
	if status, body := f.call(t, "GET", "/api/v1/replies", fenced.Secret, ""); status != 403 || !strings.Contains(body, "IP") {
		t.Errorf("a call from outside the app's allowlist: %d %s, want 403", status, body)
	}
	if status, body := f.call(t, "POST", "/api/v1/apps", admin, `{"name":"坏IP","ip_allowlist":["10.0.0.300"]}`); status != 400 || !strings.Contains(body, "ip_allowlist") {
		t.Errorf("a bad allowlist entry: %d %s, want 400 naming ip_allowlist", status, body)
	}

	var sent struct{ Messages []struct{ ID string } }
	mustJSON(t, f, "POST", "/api/v1/messages", appA.Secret, `{"to":["13800138000"],"content":"【示例单位】一处通知"}`, 202, &sent)
	msg := "/api/v1/messages/" + sent.Messages[0].ID

	scenarios := []struct {
		name, method, path, key, body string
		status                        int
		want                          string
	}{
		{"OwnDepartmentReadsItsMessage", "GET", msg, appA.Secret, "", 200, `"status"`},
		{"OtherDepartmentGets404", "GET", msg, appB.Secret, "", 404, `"ENOTFOUND"`},
		{"AdminSeesAll", "GET", msg, admin, "", 200, `"status"`},
		{"DeptAdminSeesItsSubtreeOnly", "GET", "/api/v1/departments", appA.Secret, "", 200, "一处一科"},
		{"DeptAdminCannotSeeOtherDepartments", "GET", "/api/v1/departments", appA.Secret, "", 200, `"items":[{"id":"` + a.ID + `"`},
		{"DeptAdminCreatesBelowItself", "POST", "/api/v1/departments", appA.Secret, `{"name":"一处二科","parent_id":"` + a.ID + `"}`, 201, "一处二科"},
		{"DeptAdminCannotCreateElsewhere", "POST", "/api/v1/departments", appA.Secret, `{"name":"越权","parent_id":"` + b.ID + `"}`, 400, `"parent_id"`},
		{"DeptAdminCannotRaiseARole", "POST", "/api/v1/apps", appA.Secret, `{"name":"提权","role":"sysadmin"}`, 400, `"role"`},
		{"DeptAdminCannotPlaceAppsElsewhere", "POST", "/api/v1/apps", appA.Secret, `{"name":"越界","department_id":"` + b.ID + `"}`, 400, `"department_id"`},
		{"DeptAdminCannotRenameOwnDepartment", "PATCH", "/api/v1/departments/" + a.ID, appA.Secret, `{"name":"改名"}`, 404, `"ENOTFOUND"`},
		{"NoDepartmentMovesUnderItself", "PATCH", "/api/v1/departments/" + a1.ID, admin, `{"parent_id":"` + a1.ID + `"}`, 400, `"parent_id"`},
		{"AppWithoutAdminScopeCannotManage", "POST", "/api/v1/departments", appB.Secret, `{"name":"x"}`, 403, `"EFORBIDDEN"`},
		{"ExtCodeBelongsToOne", "POST", "/api/v1/departments", admin, `{"name":"重码","ext":"11"}`, 409, `"ECONFLICT"`},
		{"DepartmentWithMessagesStays", "DELETE", "/api/v1/departments/" + a.ID, admin, "", 409, "不能删除"},
		{"EmptyDepartmentGoes", "DELETE", "/api/v1/departments/" + a1.ID, admin, "", 204, ""},
		{"AppListHidesSecrets", "GET", "/api/v1/apps", admin, "", 200, `"key":"` + appA.Key + `"`},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := f.clone(t)
			status, body := f.call(t, sc.method, sc.path, sc.key, sc.body)
			if status != sc.status || !strings.Contains(body, sc.want) {
				t.Fatalf("status %d body %s; want %d with %s", status, body, sc.status, sc.want)
			}
			if strings.Contains(body, appA.Secret) {
				t.Fatalf("the answer shows a secret: %s", body)
			}
		})
	}
	if _, body := f.call(t, "GET", "/api/v1/departments", appA.Secret, ""); strings.Contains(body, "二处") {
		t.Errorf("department A's admin app sees department B: %s", body)
	}
}

func mustJSON(t *testing.T, f *fixture, method, path, key, body string, want int, out any) {
	t.Helper()
	status, answer := f.call(t, method, path, key, body)
	if status != want {
		t.Fatalf("%s %s: %d %s", method, path, status, answer)
	}
	if err := json.Unmarshal([]byte(answer), out); err != nil {
		t.Fatal(err)
	}
}

func mustApp(t *testing.T, f *fixture, key, body string, out any) string {
	t.Helper()
	mustJSON(t, f, "POST", "/api/v1/apps", key, body, 201, out)
	var k struct{ Secret string }
	b, _ := json.Marshal(out)
	json.Unmarshal(b, &k)
	return k.Secret
}

func TestAuditThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	admin := f.mustAdmin(t)
	f.call(t, "POST", "/api/v1/channels", admin, `{"name":"审计通道","host":"127.0.0.1","port":2775,"system_id":"s","password":"topsecret","source_addr":"1069","tps":10}`)
	f.call(t, "GET", "/api/v1/channels", "wrong-key", "")
	f.call(t, "POST", "/api/v1/channels", f.noFree, `{"name":"x"}`)
	status, body := f.call(t, "GET", "/api/v1/audit", admin, "")
	if status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	for _, want := range []string{`"action":"POST /api/v1/channels","target":"","summary":"{`, `\"password\":\"***\"`,
		`"result":"EUNAUTHORIZED"`, `"result":"EFORBIDDEN"`, `"actor":"api"`} {
		if !strings.Contains(body, want) {
			t.Errorf("audit lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, "topsecret") {
		t.Errorf("the audit log shows a password: %s", body)
	}
	if status, _ := f.call(t, "GET", "/api/v1/audit", f.noFree, ""); status != 403 {
		t.Errorf("an operator app read the audit log: %d", status)
	}
	if n, err := f.db.VerifyAudit(context.Background()); err != nil || n < 3 {
		t.Errorf("chain of %d entries: %v", n, err)
	}
}

func TestUsersAPI(t *testing.T) {
	f := newFixture(t)
	admin := f.mustAdmin(t)
	var a, b struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"一处"}`, 201, &a)
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"二处"}`, 201, &b)
	var deptAdmin struct{ Secret string }
	mustApp(t, f, admin, `{"name":"一处管理","department_id":"`+a.ID+`","role":"dept_admin","scopes":["admin","query"]}`, &deptAdmin)
	var inB struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/users", admin, `{"username":"wang","password":"Wang2026x","department_id":"`+b.ID+`","role":"operator"}`, 201, &inB)
	var inA struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/users", admin, `{"username":"sun","password":"Sun2026xy","department_id":"`+a.ID+`","role":"operator"}`, 201, &inA)

	scenarios := []struct {
		name, method, path, key, body string
		status                        int
		want                          string
	}{
		{"AdminCreatesADeptAdmin", "POST", "/api/v1/users", admin, `{"username":"zhang","password":"Zhang2026x","department_id":"` + a.ID + `","role":"dept_admin"}`, 201, `"must_change_password":true`},
		{"DeptAdminCreatesAnOperator", "POST", "/api/v1/users", deptAdmin.Secret, `{"username":"li","password":"Li2026xyz","department_id":"` + a.ID + `","role":"operator"}`, 201, `"role":"operator"`},
		{"NotAboveItsOwnRole", "POST", "/api/v1/users", deptAdmin.Secret, `{"username":"boss","password":"Boss2026x","department_id":"` + a.ID + `","role":"sysadmin"}`, 400, `"field":"role"`},
		{"NotOutsideItsSubtree", "POST", "/api/v1/users", deptAdmin.Secret, `{"username":"zhao","password":"Zhao2026x","department_id":"` + b.ID + `","role":"operator"}`, 400, `"field":"department_id"`},
		{"OtherDepartmentsUsersAreInvisible", "PATCH", "/api/v1/users/" + inB.ID, deptAdmin.Secret, `{"enabled":false}`, 404, `"ENOTFOUND"`},
		{"WeakPasswordIsRefused", "POST", "/api/v1/users", admin, `{"username":"qian","password":"12345678","department_id":"` + a.ID + `","role":"operator"}`, 400, `"field":"password"`},
		{"DuplicateUsername", "POST", "/api/v1/users", admin, `{"username":"wang","password":"Wang2026y","department_id":"` + a.ID + `","role":"operator"}`, 409, `"ECONFLICT"`},
		{"AdminDisablesAndResets", "PATCH", "/api/v1/users/" + inB.ID, admin, `{"enabled":false,"password":"Reset2026z"}`, 200, `"enabled":false`},
		{"ListIsScoped", "GET", "/api/v1/users", deptAdmin.Secret, "", 200, `"username":"sun"`},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := f.clone(t)
			status, body := f.call(t, sc.method, sc.path, sc.key, sc.body)
			if status != sc.status || !strings.Contains(body, sc.want) {
				t.Fatalf("status %d body %s; want %d with %s", status, body, sc.status, sc.want)
			}
			if strings.Contains(body, "password_hash") || strings.Contains(body, "2026x\"") {
				t.Fatalf("an answer shows a password: %s", body)
			}
		})
	}
	if _, body := f.call(t, "GET", "/api/v1/users", deptAdmin.Secret, ""); strings.Contains(body, "wang") {
		t.Errorf("department A's administrator lists B's users: %s", body)
	}
}

func TestAuditExport(t *testing.T) {
	f := newFixture(t)
	admin := f.mustAdmin(t)
	f.call(t, "POST", "/api/v1/departments", admin, `{"name":"导出测试处"}`)
	status, body := f.call(t, "GET", "/api/v1/audit/export?format=csv&action=POST", admin, "")
	if status != 200 || !strings.HasPrefix(body, "\ufeff编号,时间,操作者") || !strings.Contains(body, "POST /api/v1/departments") {
		t.Fatalf("csv: %d %q", status, body)
	}
	status, body = f.call(t, "GET", "/api/v1/audit/export?format=xlsx", admin, "")
	if status != 200 {
		t.Fatalf("xlsx: %d", status)
	}
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("Sheet1")
	if err != nil || len(rows) < 2 || rows[0][0] != "编号" || rows[1][7] != "POST /api/v1/departments" {
		t.Fatalf("xlsx rows %v %v", rows, err)
	}
	if status, _ := f.call(t, "GET", "/api/v1/audit/export?format=pdf", admin, ""); status != 400 {
		t.Errorf("format pdf: %d, want 400", status)
	}
	if status, _ := f.call(t, "GET", "/api/v1/audit/export", f.noFree, ""); status != 403 {
		t.Errorf("an operator app exported the audit log: %d", status)
	}
}

func TestAppDisableAndRotate(t *testing.T) {
	f := newFixture(t)
	admin := f.mustAdmin(t)
	var a struct{ ID, Secret string }
	mustApp(t, f, admin, `{"name":"轮换","scopes":["query"]}`, &a)
	if status, _ := f.call(t, "GET", "/api/v1/replies", a.Secret, ""); status != 200 {
		t.Fatalf("new app: %d", status)
	}
	if status, body := f.call(t, "PATCH", "/api/v1/apps/"+a.ID, admin, `{"enabled":false}`); status != 200 || !strings.Contains(body, `"enabled":false`) {
		t.Fatalf("disable: %d %s", status, body)
	}
	if status, _ := f.call(t, "GET", "/api/v1/replies", a.Secret, ""); status != 401 {
		t.Fatalf("a disabled app called: %d, want 401", status)
	}
	f.call(t, "PATCH", "/api/v1/apps/"+a.ID, admin, `{"enabled":true}`)
	var r struct{ Secret string }
	mustJSON(t, f, "POST", "/api/v1/apps/"+a.ID+"/rotate", admin, "", 200, &r)
	if r.Secret == "" || r.Secret == a.Secret {
		t.Fatalf("rotated secret %q", r.Secret)
	}
	if status, _ := f.call(t, "GET", "/api/v1/replies", a.Secret, ""); status != 401 {
		t.Errorf("the old secret still works: %d", status)
	}
	if status, _ := f.call(t, "GET", "/api/v1/replies", r.Secret, ""); status != 200 {
		t.Errorf("the new secret: %d", status)
	}
	if status, _ := f.call(t, "POST", "/api/v1/apps/"+a.ID+"/rotate", f.noFree, ""); status != 403 {
		t.Errorf("an app without the admin scope rotated a secret: %d", status)
	}
}

func TestDisabledDepartmentShutsOutItsSubtree(t *testing.T) {
	f := newFixture(t)
	admin := f.mustAdmin(t)
	var a, a1 struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"停用处"}`, 201, &a)
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"停用处一科","parent_id":"`+a.ID+`"}`, 201, &a1)
	var appA1 struct{ Secret string }
	mustApp(t, f, admin, `{"name":"科室系统","department_id":"`+a1.ID+`","scopes":["query"]}`, &appA1)
	if status, _ := f.call(t, "GET", "/api/v1/replies", appA1.Secret, ""); status != 200 {
		t.Fatalf("before: %d", status)
	}
	if status, body := f.call(t, "PATCH", "/api/v1/departments/"+a.ID, admin, `{"enabled":false}`); status != 200 || !strings.Contains(body, `"enabled":false`) {
		t.Fatalf("disable: %d %s", status, body)
	}
	if status, _ := f.call(t, "GET", "/api/v1/replies", appA1.Secret, ""); status != 401 {
		t.Errorf("an app below a disabled department called: %d, want 401", status)
	}
	if status, _ := f.call(t, "PATCH", "/api/v1/departments/1", admin, `{"enabled":false}`); status != 400 {
		t.Errorf("disabling the root: %d, want 400", status)
	}
	f.call(t, "PATCH", "/api/v1/departments/"+a.ID, admin, `{"enabled":true}`)
	if status, _ := f.call(t, "GET", "/api/v1/replies", appA1.Secret, ""); status != 200 {
		t.Errorf("after re-enabling: %d", status)
	}
}
