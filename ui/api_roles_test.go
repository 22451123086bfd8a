package ui_test

import (
	"strings"
	"testing"
)

// TestAuditorsSeeTheirSubtree (issue 14, item 2): an auditor reads its
// department's subtree only, and only a system administrator makes a
// platform auditor (one of the root department).
func TestAuditorsSeeTheirSubtree(t *testing.T) {
	f := newFixture(t)
	admin := f.mustAdmin(t)
	var a, b struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"一处"}`, 201, &a)
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"二处"}`, 201, &b)
	var rootAdmin, deptAdmin, auditorA, platform struct{ Secret string }
	mustApp(t, f, admin, `{"name":"根部门管理","role":"dept_admin","scopes":["admin","query"]}`, &rootAdmin)
	mustApp(t, f, admin, `{"name":"一处管理","department_id":"`+a.ID+`","role":"dept_admin","scopes":["admin","query"]}`, &deptAdmin)
	mustApp(t, f, deptAdmin.Secret, `{"name":"一处审计","department_id":"`+a.ID+`","role":"auditor","scopes":["admin","query"]}`, &auditorA)
	mustApp(t, f, admin, `{"name":"平台审计","role":"auditor","scopes":["admin","query"]}`, &platform)
	mustJSON(t, f, "POST", "/api/v1/users", admin, `{"username":"wang","password":"Wang2026x","department_id":"`+b.ID+`","role":"operator"}`, 201, &struct{}{})
	mustJSON(t, f, "POST", "/api/v1/users", admin, `{"username":"sun","password":"Sun2026xy","department_id":"`+a.ID+`","role":"operator"}`, 201, &struct{}{})

	scenarios := []struct {
		name, method, path, key, body string
		status                        int
		want, not                     string
	}{
		{"DeptAdminCannotMintAPlatformAuditor", "POST", "/api/v1/users", rootAdmin.Secret, `{"username":"eye","password":"Eye2026xyz","department_id":"1","role":"auditor"}`, 403, "全平台审计员", ""},
		{"DeptAdminCannotMintAPlatformAuditorApp", "POST", "/api/v1/apps", rootAdmin.Secret, `{"name":"眼","role":"auditor","scopes":["admin","query"]}`, 403, "全平台审计员", ""},
		{"DeptAdminMakesAnAuditorOfItsSubtree", "POST", "/api/v1/users", deptAdmin.Secret, `{"username":"eye","password":"Eye2026xyz","department_id":"` + a.ID + `","role":"auditor"}`, 201, `"role":"auditor"`, ""},
		{"SysadminMakesAPlatformAuditor", "POST", "/api/v1/users", admin, `{"username":"eye","password":"Eye2026xyz","department_id":"1","role":"auditor"}`, 201, `"role":"auditor"`, ""},
		{"AuditorListsItsSubtreesUsers", "GET", "/api/v1/users", auditorA.Secret, "", 200, `"username":"sun"`, `"username":"wang"`},
		{"AuditorReadsItsSubtreesAudit", "GET", "/api/v1/audit?limit=1000", auditorA.Secret, "", 200, `"items"`, "二处"},
		{"AuditorExportsItsSubtreesAudit", "GET", "/api/v1/audit/export?format=csv", auditorA.Secret, "", 200, "编号", "wang"},
		{"PlatformAuditorSeesAll", "GET", "/api/v1/users", platform.Secret, "", 200, `"username":"wang"`, ""},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := f.clone(t)
			status, body := f.call(t, sc.method, sc.path, sc.key, sc.body)
			if status != sc.status || !strings.Contains(body, sc.want) || sc.not != "" && strings.Contains(body, sc.not) {
				t.Fatalf("status %d body %s; want %d with %s without %q", status, body, sc.status, sc.want, sc.not)
			}
		})
	}
}
