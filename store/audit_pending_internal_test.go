package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"smsgw/app"
)

// TestPendingAuditCommitsWithItsChange (issue 14, item 1): a request's audit
// entry is written in the transaction of its first change, alone or among
// other callers' work in one group commit; a change that rolls back takes
// its entry with it, and the caller's own write then stores it once.
func TestPendingAuditCommitsWithItsChange(t *testing.T) {
	ctx := context.Background()
	open := func(t *testing.T) *DB {
		db, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	count := func(t *testing.T, db *DB, cond string) (n int) {
		t.Helper()
		if err := db.rdb.QueryRowContext(ctx, `select count(*) from audit_log where `+cond).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert := func(name string, fail error) func(context.Context, *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `insert into signatures (department_id, name, created_at) values (1, ?, 0)`, name); err != nil {
				return err
			}
			return fail
		}
	}
	pending := func(target string) (context.Context, *app.PendingAudit) {
		ctx := app.WithAudit(ctx, &app.AuditEntry{Actor: "api", Action: "POST /test", Target: target, Result: "ok"}, nil)
		return ctx, app.PendingAuditOf(ctx)
	}

	t.Run("FirstOfSeveralWritesCarriesIt", func(t *testing.T) {
		db := open(t)
		rctx, p := pending("several")
		for i := range 3 {
			if err := db.writer.do(rctx, insert(fmt.Sprint("several", i), nil)); err != nil {
				t.Fatal(err)
			}
		}
		if !p.Written() || count(t, db, `target = 'several'`) != 1 {
			t.Fatalf("written %v, %d entries; want one", p.Written(), count(t, db, `target = 'several'`))
		}
	})
	for _, grouped := range []bool{false, true} {
		t.Run(fmt.Sprintf("RolledBackChangeLeavesNoEntry/grouped=%v", grouped), func(t *testing.T) {
			db := open(t)
			rctx, p := pending("rolled back")
			boom := errors.New("boom")
			var wg sync.WaitGroup
			if grouped {
				// Held inside one piece of work, the writer queues the next
				// ones: they run in one transaction, each in its savepoint.
				started, release := make(chan struct{}), make(chan struct{})
				wg.Go(func() {
					db.writer.do(ctx, func(context.Context, *sql.Tx) error { close(started); <-release; return nil })
				})
				<-started
				wg.Go(func() {
					if err := db.writer.do(ctx, insert("neighbour", nil)); err != nil {
						t.Error(err)
					}
				})
				waitOps(t, db, 1)
				wg.Go(func() {
					if err := db.writer.do(rctx, insert("mine", boom)); !errors.Is(err, boom) {
						t.Errorf("got %v, want boom", err)
					}
				})
				waitOps(t, db, 2)
				close(release)
			} else if err := db.writer.do(rctx, insert("mine", boom)); !errors.Is(err, boom) {
				t.Fatalf("got %v, want boom", err)
			}
			wg.Wait()
			if p.Written() || count(t, db, `1`) != 0 {
				t.Fatalf("a rolled-back change left its entry: written %v, %d entries", p.Written(), count(t, db, `1`))
			}
			// The caller's fallback, as ui's auditTrail does it.
			if err := db.Audit(rctx, p.Entry()); err != nil {
				t.Fatal(err)
			}
			if n := count(t, db, `target = 'rolled back'`); n != 1 {
				t.Fatalf("%d entries after the fallback, want 1", n)
			}
			if _, err := db.VerifyAudit(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("NotYetCompleteIsNotCarried", func(t *testing.T) {
		db := open(t)
		known := false
		rctx := app.WithAudit(ctx, &app.AuditEntry{Action: "POST /test", Target: "late"}, func(e *app.AuditEntry) bool {
			e.UserID = 7
			return known
		})
		if err := db.writer.do(rctx, insert("nonce", nil)); err != nil {
			t.Fatal(err)
		}
		known = true
		if err := db.writer.do(rctx, insert("change", nil)); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, `target = 'late' and user_id = 7`); n != 1 {
			t.Fatalf("%d entries, want 1 carried by the change", n)
		}
	})
}
