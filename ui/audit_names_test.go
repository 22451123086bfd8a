package ui_test

import (
	"context"
	"strings"
	"testing"

	"smsgw/app"
)

// TestAuditNamesPeople (issue 14): the 审计日志 page and its export show who
// acted by name (the user's, the app's; not "console"), the department by
// name, the role in Chinese, and for a console action without a summary,
// what it was; the export keeps the ids and adds the names, as does the
// API's listing.
func TestAuditNamesPeople(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID, Scopes: []string{app.ScopeAdmin}}
	d := &app.Department{Name: "计划财务处"}
	if err := f.db.CreateDepartment(ctx, admin, d); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*app.User{
		{Username: "zhang", DisplayName: "张三", DepartmentID: d.ID, Role: app.RoleDeptAdmin},
		{Username: "li", DisplayName: "李四", DepartmentID: d.ID, Role: app.RoleAuditor},
	} {
		if err := f.db.CreateUser(ctx, nil, u, "Console2026"); err != nil {
			t.Fatal(err)
		}
	}
	secret, err := f.db.CreateAPIKey(ctx, &app.APIKey{Name: "财务系统", DepartmentID: d.ID, Role: app.RoleDeptAdmin, Scopes: []string{app.ScopeAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := f.call(t, "POST", "/api/v1/departments", secret, `{"name":"预算科"}`); status != 201 {
		t.Fatalf("the app's change: %d %s", status, body)
	}
	zhang := newBrowser(t, f.srv.URL)
	if status, _, _ := zhang.login("zhang", "Console2026"); status != 303 {
		t.Fatalf("login: %d", status)
	}

	li := newBrowser(t, f.srv.URL)
	li.login("li", "Console2026")
	status, _, page := li.get("/audit")
	if status != 200 {
		t.Fatalf("audit page: %d", status)
	}
	for _, want := range []string{
		`<td class="actor">张三（zhang）</td><td class="role">部门管理员</td><td class="dept">计划财务处</td>`,
		"登录控制台",
		`<td class="actor">应用：财务系统</td><td class="role">部门管理员</td><td class="dept">计划财务处</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the audit page lacks %s", want)
		}
	}
	if strings.Contains(page, `<td class="actor">console</td>`) || strings.Contains(page, `<td class="role">dept_admin</td>`) {
		t.Error("the audit page still shows console or a role's code")
	}

	status, _, csv := li.get("/audit/export?format=csv")
	if status != 200 {
		t.Fatalf("export: %d", status)
	}
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if !strings.Contains(lines[0], "部门,操作") || !strings.HasSuffix(strings.TrimSpace(lines[0]), "操作者名称,用户名称,应用名称,角色名称,部门名称") {
		t.Errorf("export header: %s", lines[0])
	}
	if !strings.Contains(csv, "张三（zhang）,张三（zhang）,,部门管理员,计划财务处") || !strings.Contains(csv, "应用：财务系统,,财务系统,部门管理员,计划财务处") {
		t.Errorf("the export lacks the names:\n%s", csv)
	}
	if status, _, _ := li.get("/audit/export?format=xlsx"); status != 200 {
		t.Errorf("xlsx export: %d", status)
	}
	// The API's listing names them too.
	if status, body := f.call(t, "GET", "/api/v1/audit?limit=100", secret, ""); status != 200 ||
		!strings.Contains(body, `"actor_name":"张三（zhang）","department_name":"计划财务处","role_name":"部门管理员"`) ||
		!strings.Contains(body, `"actor_name":"应用：财务系统"`) {
		t.Errorf("the API's audit listing lacks the names: %d %s", status, body)
	}
}
