package ui_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"smsgw/app"
)

// Unauthenticated calls whose body cannot be read (malformed chunking) are
// EINVALID, not 401: each is stored whole, not counted.
func TestUnreadableBodiesAreCountedNotStored(t *testing.T) {
	f := newFixture(t)
	host := strings.TrimPrefix(f.srv.URL, "http://")
	for i := range 50 {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /api/v1/apps HTTP/1.1\r\nHost: x\r\nX-Smsgw-Key: nobody\r\nUser-Agent: %s\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n\r\n",
			strings.Repeat("A", 500))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil && i == 0 {
			t.Logf("status %d", resp.StatusCode)
		}
		c.Close()
	}
	sys := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	list, _, err := f.db.FindAudit(context.Background(), sys, app.AuditFilter{Action: "POST /api/v1/apps", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) > 4 {
		t.Fatalf("%d rows stored for 50 unauthenticated calls (first: result %s, user %d, UA %d bytes)", len(list), list[0].Result, list[0].UserID, len(list[0].UserAgent))
	}
}

// One address, one minute, distinct usernames typed at /login: each is a
// group of its own, stored at once.
func TestOneSourceCannotFillTheRefusedGroups(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := range 300 {
		f.db.AuditRefused(ctx, &app.AuditEntry{Actor: "console", Action: "login", Target: fmt.Sprintf("user:%0250d", i),
			Result: app.EUNAUTHORIZED, IP: "203.0.113.9", UserAgent: strings.Repeat("U", 600)})
	}
	f.db.FlushAudit(ctx)
	sys := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	list, _, _ := f.db.FindAudit(ctx, sys, app.AuditFilter{Action: "login", Limit: 1000})
	if len(list) > 10 {
		t.Fatalf("one address stored %d rows in a minute (x1440 a day)", len(list))
	}
}
