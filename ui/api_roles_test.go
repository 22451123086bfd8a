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

// TestAppsCannotWidenOrBorrow (issue 14, item 17): an app gives no app more
// scopes than its own, binds apps only to users of their department's
// subtree, and an app whose user is disabled is refused.
func TestAppsCannotWidenOrBorrow(t *testing.T) {
	f := newFixture(t)
	admin := f.mustAdmin(t)
	var a, b struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"一处"}`, 201, &a)
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"二处"}`, 201, &b)
	var inA, inB struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/users", admin, `{"username":"sun","password":"Sun2026xy","department_id":"`+a.ID+`","role":"operator"}`, 201, &inA)
	mustJSON(t, f, "POST", "/api/v1/users", admin, `{"username":"wang","password":"Wang2026x","department_id":"`+b.ID+`","role":"operator"}`, 201, &inB)
	var deptAdmin, bound struct{ ID, Secret string }
	mustApp(t, f, admin, `{"name":"一处管理","department_id":"`+a.ID+`","role":"dept_admin","scopes":["admin","query"]}`, &deptAdmin)
	mustApp(t, f, admin, `{"name":"孙的系统","department_id":"`+a.ID+`","user_id":"`+inA.ID+`","role":"operator","scopes":["query"]}`, &bound)

	scenarios := []struct {
		name, method, path, key, body string
		status                        int
		want                          string
	}{
		{"AppCannotWidenItsOwnScopes", "PATCH", "/api/v1/apps/" + deptAdmin.ID, deptAdmin.Secret, `{"scopes":["admin","query","send"]}`, 403, "send"},
		{"AppCannotGrantItselfFreeText", "PATCH", "/api/v1/apps/" + deptAdmin.ID, deptAdmin.Secret, `{"allow_free_text":true}`, 403, "EFORBIDDEN"},
		{"AppCannotWidenAnotherApp", "PATCH", "/api/v1/apps/" + bound.ID, deptAdmin.Secret, `{"scopes":["query","send"]}`, 403, "EFORBIDDEN"},
		{"AppCannotCreateAWiderApp", "POST", "/api/v1/apps", deptAdmin.Secret, `{"name":"宽","role":"operator","scopes":["send"]}`, 403, "EFORBIDDEN"},
		{"AppMayNarrowItself", "PATCH", "/api/v1/apps/" + deptAdmin.ID, deptAdmin.Secret, `{"scopes":["admin"]}`, 200, `"scopes":["admin"]`},
		{"SysadminMayWiden", "PATCH", "/api/v1/apps/" + bound.ID, admin, `{"scopes":["query","send"]}`, 200, `"send"`},
		{"AppIsNotBoundToAnotherDepartmentsUser", "POST", "/api/v1/apps", admin, `{"name":"借","department_id":"` + a.ID + `","user_id":"` + inB.ID + `","role":"operator","scopes":["query"]}`, 400, `"user_id"`},
		{"DeptAdminCannotBindOutsideItsReach", "POST", "/api/v1/apps", deptAdmin.Secret, `{"name":"借","user_id":"` + inB.ID + `","role":"operator","scopes":["query"]}`, 400, `"user_id"`},
		{"AppBoundToItsDepartmentsUser", "POST", "/api/v1/apps", deptAdmin.Secret, `{"name":"孙二","user_id":"` + inA.ID + `","role":"operator","scopes":["query"]}`, 201, `"secret"`},
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
	t.Run("AppOfADisabledUserIsRefused", func(t *testing.T) {
		f := f.clone(t)
		if status, body := f.call(t, "GET", "/api/v1/replies", bound.Secret, ""); status != 200 {
			t.Fatalf("bound app before: %d %s", status, body)
		}
		if status, body := f.call(t, "PATCH", "/api/v1/users/"+inA.ID, admin, `{"enabled":false}`); status != 200 {
			t.Fatalf("disable: %d %s", status, body)
		}
		if status, body := f.call(t, "GET", "/api/v1/replies", bound.Secret, ""); status != 401 || !strings.Contains(body, "用户已停用") {
			t.Fatalf("app of a disabled user: %d %s, want 401", status, body)
		}
	})
}
