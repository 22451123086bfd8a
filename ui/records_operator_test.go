package ui_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"smsgw/app"
)

// TestRecordsOperatorFilterHidesUsernames (issue 14, item 13): the 发送记录
// page's operator filter answers the same for a name no one has and for a
// user the caller may not see (another department's, or anyone's for an
// operator), so it does not tell which usernames exist; within the
// caller's scope it still filters.
func TestRecordsOperatorFilterHidesUsernames(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID, Scopes: []string{app.ScopeAdmin}}
	a := &app.Department{Name: "一处"}
	b := &app.Department{Name: "二处"}
	for _, d := range []*app.Department{a, b} {
		if err := f.db.CreateDepartment(ctx, admin, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []*app.User{
		{Username: "boss-a", DisplayName: "一处管理员", DepartmentID: a.ID, Role: app.RoleDeptAdmin},
		{Username: "op-a", DisplayName: "一处操作员", DepartmentID: a.ID, Role: app.RoleOperator},
		{Username: "op-a2", DisplayName: "一处操作员二", DepartmentID: a.ID, Role: app.RoleOperator},
		{Username: "op-b", DisplayName: "二处操作员", DepartmentID: b.ID, Role: app.RoleOperator},
	} {
		if err := f.db.CreateUser(ctx, nil, u, "Console2026"); err != nil {
			t.Fatal(err)
		}
	}
	browsers := map[string]*browser{}
	for _, name := range []string{"boss-a", "op-a", "op-a2", "op-b"} {
		browsers[name] = newBrowser(t, f.srv.URL)
		browsers[name].login(name, "Console2026")
		form := url.Values{"csrf": {browsers[name].csrf("/send")}, "numbers": {"13800138000"}, "content": {"【示例单位】筛选"}, "mode": {"now"}}
		if status, _, body := browsers[name].post("/send", form); status != 303 {
			t.Fatalf("%s sends: %d %s", name, status, body)
		}
	}
	// The page without what differs between any two answers: the rows
	// (none here), the CSRF token and the filter's own echo.
	page := func(who, operator string) string {
		t.Helper()
		status, _, body := browsers[who].get("/records?operator=" + url.QueryEscape(operator))
		if status != 200 {
			t.Fatalf("%s filters by %s: %d", who, operator, status)
		}
		body = regexp.MustCompile(`value="[0-9a-f]{16,}"`).ReplaceAllString(body, "")
		return strings.ReplaceAll(body, operator, "NAME")
	}
	rows := func(who, operator string) int {
		return strings.Count(page(who, operator), `<tr id="batch-`)
	}

	for _, c := range []struct {
		who, exists, nobody string
	}{
		{"boss-a", "op-b", "op-x"}, // a department administrator: another department's user
		{"op-a", "op-a2", "op-y"},  // an operator: a colleague it cannot see
	} {
		if got, want := page(c.who, c.exists), page(c.who, c.nobody); got != want {
			t.Errorf("%s: the page for %s (exists, not visible) differs from the page for %s (no one)", c.who, c.exists, c.nobody)
		}
		if n := rows(c.who, c.exists); n != 0 {
			t.Errorf("%s filtering by %s: %d rows, want none", c.who, c.exists, n)
		}
	}
	if n := rows("boss-a", "op-a"); n != 1 {
		t.Errorf("an administrator filtering by its department's operator: %d rows, want 1", n)
	}
	if n := rows("op-a", "op-a"); n != 1 {
		t.Errorf("an operator filtering by itself: %d rows, want 1", n)
	}
}
