package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"modernc.org/sqlite"

	"smsgw/app/apptest"
)

// TestWriterGroupCommit pins what the public tests can only make likely: work
// queued while the writer is busy commits as one group, and a failing piece
// of that group is undone alone.
func TestWriterGroupCommit(t *testing.T) {
	t.Run("FailingWorkIsUndoneAloneInTheSameTransaction", func(t *testing.T) {
		ctx := context.Background()
		db, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()

		// Hold the writer inside one piece of work so the next pieces queue
		// up behind it; released, they are drained into one transaction.
		var wg sync.WaitGroup
		started, release := make(chan struct{}), make(chan struct{})
		wg.Go(func() {
			if err := db.writer.do(ctx, func(context.Context, *sql.Tx) error { close(started); <-release; return nil }); err != nil {
				t.Errorf("blocker: %v", err)
			}
		})
		<-started

		const n = 30
		boom := errors.New("boom")
		errs := make([]error, n)
		txs := make([]*sql.Tx, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
					txs[i] = tx
					if _, err := tx.ExecContext(ctx, `insert into signatures (department_id, name, created_at) values (1, ?, 0)`, fmt.Sprint("s", i)); err != nil {
						return err
					}
					if i%3 == 0 {
						return boom // after writing: the write must be undone
					}
					return nil
				})
			})
		}
		waitOps(t, db, n)
		close(release)
		wg.Wait()

		for i := range n {
			if txs[i] != txs[0] {
				t.Fatalf("work %d ran in another transaction than work 0: not one group commit", i)
			}
			var stored int
			if err := db.rdb.QueryRow(`select count(*) from signatures where name = ?`, fmt.Sprint("s", i)).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			switch {
			case i%3 == 0 && !errors.Is(errs[i], boom):
				t.Errorf("work %d: error %v, want its own error back", i, errs[i])
			case i%3 == 0 && stored != 0:
				t.Errorf("work %d failed but its row is stored", i)
			case i%3 != 0 && errs[i] != nil:
				t.Errorf("work %d: %v", i, errs[i])
			case i%3 != 0 && stored != 1:
				t.Errorf("work %d succeeded but %d rows are stored", i, stored)
			}
		}
	})

	t.Run("CallerCancellingDuringItsStatementChangesNothingForAnyone", func(t *testing.T) {
		ctx := context.Background()
		registerCancelFunction(t)
		db, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()

		var wg sync.WaitGroup
		started, release := make(chan struct{}), make(chan struct{})
		wg.Go(func() {
			db.writer.do(ctx, func(context.Context, *sql.Tx) error { close(started); <-release; return nil })
		})
		<-started

		// Three callers queue in order; the middle one's request is cancelled
		// (an HTTP client gone) while its insert runs in the shared
		// transaction. Work once handed over runs with the writer's context,
		// so the cancellation interrupts nothing: all three commit, and the
		// middle caller's answer tells the truth about its work.
		insert := func(name string) func(context.Context, *sql.Tx) error {
			return func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `insert into signatures (department_id, name, created_at) values (1, ?, 0)`, name)
				return err
			}
		}
		callerCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		setCancel(cancel)
		defer setCancel(nil)
		works := []func(context.Context, *sql.Tx) error{
			insert("before"),
			func(ctx context.Context, tx *sql.Tx) error {
				// test_cancel() cancels callerCtx from inside the statement.
				_, err := tx.ExecContext(ctx, `with recursive c(x) as (select 1 union all select x + 1 from c where x < 100000)
					insert into signatures (department_id, name, created_at) select 1, 'cancelled', max(x + test_cancel()) from c`)
				return err
			},
			insert("after"),
		}
		ctxs := []context.Context{ctx, callerCtx, ctx}
		errs := make([]error, len(works))
		for i, work := range works {
			wg.Go(func() { errs[i] = db.writer.do(ctxs[i], work) })
			waitOps(t, db, i+1)
		}
		close(release)
		wg.Wait()

		if callerCtx.Err() == nil {
			t.Fatal("the middle caller's context was not cancelled: the test did not test anything")
		}
		for i, name := range []string{"before", "cancelled", "after"} {
			var stored int
			if err := db.rdb.QueryRow(`select count(*) from signatures where name = ?`, name).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if errs[i] != nil || stored != 1 {
				t.Errorf("work %q: error %v, %d rows stored; want success and its row", name, errs[i], stored)
			}
		}
	})
}

var (
	registerOnce sync.Once
	cancelMu     sync.Mutex
	cancelFn     context.CancelFunc
)

// registerCancelFunction gives new connections the SQL function
// test_cancel(), which calls the function set by setCancel and returns 0.
func registerCancelFunction(t *testing.T) {
	registerOnce.Do(func() {
		err := sqlite.RegisterScalarFunction("test_cancel", 0, func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
			cancelMu.Lock()
			defer cancelMu.Unlock()
			if cancelFn != nil {
				cancelFn()
			}
			return int64(0), nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func setCancel(f context.CancelFunc) {
	cancelMu.Lock()
	cancelFn = f
	cancelMu.Unlock()
}

// waitOps waits until the writer holds n operations.
func waitOps(t *testing.T, db *DB, n int) {
	t.Helper()
	apptest.Eventually(t, 10*time.Second, func() error {
		if got := len(db.writer.ops); got != n {
			return fmt.Errorf("the writer holds %d operations, want %d", got, n)
		}
		return nil
	})
}
