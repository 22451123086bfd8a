package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"smsgw/app"
)

// TestRefusedCallsDoNotGrowTheLog (issue 14, item 4): a thousand calls with
// a wrong key from one address leave a bounded number of rows (the first,
// then one count a minute), and a 700 KB User-Agent is stored capped.
func TestRefusedCallsDoNotGrowTheLog(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	call := func(path, ua string) {
		req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer not-a-key")
		req.Header.Set("User-Agent", ua)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s: %d, want 401", path, resp.StatusCode)
		}
	}
	call("/api/v1/apps", strings.Repeat("Mozilla/5.0 ", 60000))
	for range 1000 {
		call("/api/v1/channels", "curl/8")
	}
	sys := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	list, _, err := f.db.FindAudit(ctx, sys, app.AuditFilter{Action: "GET /api/v1/", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// The first call of each minute is stored at once, the others counted:
	// a test that straddles a minute sees one more.
	if len(list) < 2 || len(list) > 4 {
		t.Fatalf("%d rows for 1001 refused calls", len(list))
	}
	for _, e := range list {
		if len(e.UserAgent) > 512 || e.Result != app.EUNAUTHORIZED {
			t.Errorf("entry %d: result %s, user agent of %d bytes", e.ID, e.Result, len(e.UserAgent))
		}
	}
}
