package ui_test

import (
	"context"
	"strings"
	"testing"

	"smsgw/app"
)

// TestBlacklistIsForAdministrators (issue 14, item 18): the 黑名单 page is
// for administrators, and so are the list and the export behind it, through
// the console and the API: an auditor reads none of its numbers.
func TestBlacklistIsForAdministrators(t *testing.T) {
	f := newFixture(t)
	admin, err := f.db.CreateAPIKey(context.Background(), &app.APIKey{Name: "管理", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin,
		Scopes: []string{app.ScopeAdmin, app.ScopeContacts, app.ScopeQuery}})
	if err != nil {
		t.Fatal(err)
	}
	var added struct{ Added int }
	mustJSON(t, f, "POST", "/api/v1/blacklist", admin, `{"entries":[{"phone":"13800138000","reason":"投诉"}]}`, 200, &added)
	auditor := mustApp(t, f, admin, `{"name":"审计","role":"auditor","scopes":["admin","query","contacts"]}`, &struct{ Secret string }{})
	consoleUser(t, f, "baud", app.RoleAuditor)
	consoleUser(t, f, "badm", app.RoleSysadmin)

	for _, path := range []string{"/api/v1/blacklist", "/api/v1/blacklist/export?format=csv", "/api/v1/blacklist/export?format=xlsx"} {
		if status, body := f.call(t, "GET", path, auditor, ""); status != 403 || strings.Contains(body, "13800138000") {
			t.Errorf("auditor app GET %s: %d", path, status)
		}
		if status, body := f.call(t, "GET", path, admin, ""); status != 200 {
			t.Errorf("admin app GET %s: %d %s", path, status, body)
		}
	}
	aud := newBrowser(t, f.srv.URL)
	aud.login("baud", "Console2026")
	adm := newBrowser(t, f.srv.URL)
	adm.login("badm", "Console2026")
	for _, path := range []string{"/blacklist", "/blacklist/export?format=csv", "/blacklist/export?format=xlsx"} {
		if status, _, body := aud.get(path); status != 403 || strings.Contains(body, "13800138000") {
			t.Errorf("auditor console GET %s: %d", path, status)
		}
		if status, _, body := adm.get(path); status != 200 {
			t.Errorf("admin console GET %s: %d %s", path, status, body)
		}
	}
	if _, _, body := adm.get("/blacklist/export?format=csv"); !strings.Contains(body, "13800138000") {
		t.Errorf("the administrator's export lacks the number: %s", body)
	}
}
