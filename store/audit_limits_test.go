package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"smsgw/app"
	"smsgw/store"
)

// TestAuditBoundsWhatCallersControl (issue 14, item 4): fields a caller
// controls are stored capped, and refused calls from one source are counted
// into a bounded number of rows that still add up to every call.
func TestAuditBoundsWhatCallersControl(t *testing.T) {
	ctx := context.Background()
	sys := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	t.Run("HugeFieldsAreCapped", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		huge := strings.Repeat("名", 1<<20)          // a 3 MB username
		ua := strings.Repeat("Mozilla/5.0 ", 60000) // a 700 KB User-Agent
		for _, write := range []func(context.Context, *app.AuditEntry) error{db.Audit, db.AuditRefused} {
			if err := write(ctx, &app.AuditEntry{Actor: "console", Action: "login", Target: "user:" + huge, Summary: huge,
				Result: app.EUNAUTHORIZED, IP: "192.0.2.1", UserAgent: ua}); err != nil {
				t.Fatal(err)
			}
		}
		list, _, err := db.FindAudit(ctx, sys, app.AuditFilter{})
		if err != nil || len(list) != 2 {
			t.Fatalf("%d entries, %v", len(list), err)
		}
		for _, e := range list {
			for name, f := range map[string]string{"target": e.Target, "summary": e.Summary, "user agent": e.UserAgent} {
				if len(f) > 2048 || !utf8.ValidString(f) || !strings.HasSuffix(f, "…[截断]") {
					t.Errorf("%s stored as %d bytes (valid UTF-8 %v)", name, len(f), utf8.ValidString(f))
				}
			}
		}
		var size int
		if err := MustRawDB(t, path).QueryRow(`select sum(length(cast(target as blob)) + length(cast(summary as blob)) + length(cast(user_agent as blob))) from audit_log`).Scan(&size); err != nil || size > 10000 {
			t.Errorf("the two entries take %d bytes (%v)", size, err)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
	})
	t.Run("RefusedCallsAreCounted", func(t *testing.T) {
		var clock atomic.Int64
		clock.Store(time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC).UnixMilli())
		path := filepath.Join(t.TempDir(), "smsgw.db")
		open := func() *store.DB {
			db, err := store.Open(ctx, store.Options{Path: path, Exclusive: true, Now: func() time.Time { return time.UnixMilli(clock.Load()) }})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		}
		db := open()
		raw := MustRawDB(t, path)
		rows := func() (n, total int) {
			t.Helper()
			if err := raw.QueryRow(`select count(*), coalesce(sum(count), 0) from audit_log`).Scan(&n, &total); err != nil {
				t.Fatal(err)
			}
			return n, total
		}
		for range 1000 {
			clock.Add(10) // all within one minute
			if err := db.AuditRefused(ctx, &app.AuditEntry{Actor: "api", Action: "GET /api/v1/channels", Result: app.EUNAUTHORIZED, IP: "192.0.2.1"}); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := rows(); n != 1 {
			t.Errorf("%d rows while the minute lasts, want the first call's alone", n)
		}
		// 3,000 calls from as many addresses: beyond the groups counted
		// separately, they share one.
		for i := range 3000 {
			if err := db.AuditRefused(ctx, &app.AuditEntry{Actor: "api", Action: "login", Result: app.EUNAUTHORIZED, IP: fmt.Sprintf("10.0.%d.%d", i/256, i%256)}); err != nil {
				t.Fatal(err)
			}
		}
		db.Close() // stores what was counted
		n, total := rows()
		if total != 4000 || n > 2*(256+1) {
			t.Errorf("%d rows for %d calls; want at most %d rows for 4000 calls", n, total, 2*(256+1))
		}
		db = open()
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
		list, _, err := db.FindAudit(ctx, sys, app.AuditFilter{Action: "GET /api/v1/channels"})
		if err != nil || len(list) != 2 || list[0].Count != 999 || !strings.Contains(list[0].Summary, "999") {
			t.Errorf("the counted entry: %+v %v", list, err)
		}
	})
}

// TestAuditRetention (issue 14, item 4): entries older than the audit
// retention are pruned, the chain still verifies from the signed
// checkpoint and goes on from it, and an edit after pruning, or a forged
// checkpoint, is still found.
func TestAuditRetention(t *testing.T) {
	ctx := context.Background()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	path := filepath.Join(t.TempDir(), "smsgw.db")
	db, err := store.Open(ctx, store.Options{Path: path, Exclusive: true, AuditRetention: 30 * 24 * time.Hour,
		Now: func() time.Time { return time.UnixMilli(clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw := MustRawDB(t, path)
	add := func(n int) {
		for range n {
			if err := db.Audit(ctx, &app.AuditEntry{Actor: "api", Action: "PATCH /api/v1/channels/:id", Result: "ok"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	advance := func(d time.Duration) {
		clock.Add(d.Milliseconds())
		if err := db.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	verify := func(want int) {
		t.Helper()
		if n, err := db.VerifyAudit(ctx); err != nil || n != want {
			t.Fatalf("verified %d entries, %v; want %d", n, err, want)
		}
	}
	add(600) // more than one pruning step
	advance(20 * 24 * time.Hour)
	add(5)
	advance(15 * 24 * time.Hour) // the first 600 are 35 days old
	verify(5)
	add(1)
	verify(6)
	var first int64
	raw.QueryRow(`select min(id) from audit_log`).Scan(&first)
	if first != 601 {
		t.Fatalf("the kept log starts at %d, want 601", first)
	}
	advance(100 * 24 * time.Hour) // everything old: the log is empty
	verify(0)
	add(2)
	verify(2)
	raw.QueryRow(`select min(id) from audit_log`).Scan(&first)
	if first != 607 {
		t.Fatalf("after pruning everything the log goes on at %d, want 607", first)
	}

	if _, err := raw.Exec(`update audit_log set summary = 'edited' where id = 608`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.VerifyAudit(ctx); err == nil || !strings.Contains(err.Error(), "entry 608") {
		t.Fatalf("an edit after pruning: %v", err)
	}
	if _, err := raw.Exec(`delete from audit_log where id = 607; update audit_checkpoint set first_id = 608`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.VerifyAudit(ctx); err == nil || !strings.Contains(err.Error(), "checkpoint") {
		t.Fatalf("a forged checkpoint: %v", err)
	}
}
