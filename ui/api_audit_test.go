package ui_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/app/apptest"
)

// TestChangesAreAuditedWhenClientsHangUp (issue 14, item 1): clients that
// hang up right after sending their request used to leave the change made
// and its audit entry cancelled. Every app that exists now has exactly one
// audit entry, and every request is accounted for, whatever its fate.
func TestChangesAreAuditedWhenClientsHangUp(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := f.mustAdmin(t)
	const n = 40
	addr := strings.TrimPrefix(f.srv.URL, "http://")
	for i := range n {
		body := fmt.Sprintf(`{"name":"断开%d","scopes":["send"]}`, i)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST /api/v1/apps HTTP/1.1\r\nHost: smsgw\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", admin, len(body), body)
		conn.Close() // gone before the answer
	}
	sys := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	var entries []*app.AuditEntry
	apptest.Eventually(t, time.Minute, func() (err error) {
		// A request cut off before it was authenticated is a call from
		// someone not signed in: counted with those like it, not stored
		// one by one (item 4). Every request is accounted for either way.
		if err := f.db.FlushAudit(ctx); err != nil {
			return err
		}
		entries, _, err = f.db.FindAudit(ctx, sys, app.AuditFilter{Action: "POST /api/v1/apps", Limit: 1000})
		calls := 0
		for _, e := range entries {
			calls += max(e.Count, 1)
		}
		if err == nil && calls != n {
			err = fmt.Errorf("%d of %d requests audited", calls, n)
		}
		return err
	})
	apps, err := f.db.FindApps(ctx, sys)
	if err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, k := range apps {
		if !strings.HasPrefix(k.Name, "断开") {
			continue
		}
		created++
		var mine []string
		for _, e := range entries {
			if e.Result == "ok" && strings.Contains(e.Summary, `"name":"`+k.Name+`"`) && e.APIKeyID != 0 {
				mine = append(mine, e.Summary)
			}
		}
		if len(mine) != 1 {
			t.Errorf("app %s has %d audit entries: %q", k.Name, len(mine), mine)
		}
	}
	ok := 0
	for _, e := range entries {
		if e.Result == "ok" {
			ok++
		}
	}
	if ok != created {
		t.Errorf("%d apps created, %d audited as made", created, ok)
	}
	results := map[string]int{}
	for _, e := range entries {
		results[e.Result]++
	}
	t.Logf("%d of %d requests made their change; all audited: %v", created, n, results)
	if _, err := f.db.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
}
