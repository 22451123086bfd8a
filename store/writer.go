package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"smsgw/app"
)

// writer is the group-commit writer. Many goroutines hand it work; it runs a
// batch of that work in one transaction, commits once (one fsync with
// synchronous=FULL), and only then answers every caller. Work runs in the
// order it was handed over, so a caller's later work never commits before its
// earlier work. Each piece runs inside a savepoint, so one caller's error
// undoes only that caller's changes.
type writer struct {
	db  *sql.DB
	max int
	log *slog.Logger
	// queueJobs, when set, queues at the end of each transaction the message
	// ranges its ops left with queueLater, as few jobs as they make.
	queueJobs func(ctx context.Context, tx *sql.Tx, ranges []idRange) error
	// audit, when set, appends a request's pending audit entry in the
	// transaction of the first change the request makes (see op.pending).
	audit func(ctx context.Context, tx *sql.Tx, e *app.AuditEntry) error
	// settle, when set, runs last in every transaction, before the commit,
	// with the ledger notes of the ops that succeeded: it settles the
	// refunds the transaction's status changes gathered and writes the
	// transaction's ledger rows and consumption (settleLedger).
	settle func(ctx context.Context, tx *sql.Tx, notes *ledgerNotes) error
	// committed, when set, runs after each commit that succeeded.
	committed func()
	// rolledBack, when set, runs after each transaction that failed as a
	// whole: what was cached from inside it may describe rows that never
	// were (the account a department draws on).
	rolledBack func()

	mu     sync.RWMutex // guards closed against sends on a closed ops
	closed bool
	ops    chan *op
	done   chan struct{}
}

type op struct {
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
	// pending is the audit entry of the caller's request, from its context
	// (app.WithAudit); claimed says this op appended it, so the entry is
	// written exactly when the op's changes are (issue 14, item 1).
	pending *app.PendingAudit
	claimed bool
}

func newWriter(db *sql.DB, max int, log *slog.Logger) *writer {
	w := &writer{db: db, max: max, log: log, ops: make(chan *op, 2*max), done: make(chan struct{})}
	go w.run()
	return w
}

// do runs fn in a shared transaction and returns fn's error, or the commit's.
// When do returns nil, fn's changes are durable. ctx limits only the wait to
// hand the work over: fn gets a context that is never cancelled, because an
// interrupted statement would roll back every caller's work in the batch.
//
// When ctx carries a pending audit entry no earlier change has written, fn's
// work carries it: the entry is appended in fn's savepoint after fn succeeds,
// and counts as written only once the transaction commits.
func (w *writer) do(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return w.submit(ctx, &op{fn: fn, pending: app.PendingAuditOf(ctx)})
}

// doAlone is do for work that must not carry ctx's pending audit entry:
// the audit log's own appends.
func (w *writer) doAlone(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return w.submit(ctx, &op{fn: fn})
}

func (w *writer) submit(ctx context.Context, o *op) error {
	o.done = make(chan error, 1)
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return app.Errorf(app.EUNAVAILABLE, "服务正在停止，请稍后重试 (shutting down)")
	}
	select {
	case w.ops <- o:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	// Once handed over the work will commit or fail on its own; waiting for
	// the answer, rather than for ctx, keeps the caller's answer truthful.
	return <-o.done
}

// close lets the writer finish the work already handed over, then stops it.
func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.ops)
	}
	w.mu.Unlock()
	<-w.done
}

func (w *writer) run() {
	defer close(w.done)
	batch := make([]*op, 0, w.max)
	for first := range w.ops {
		batch = append(batch[:0], first)
	drain:
		for len(batch) < w.max {
			select {
			case o, ok := <-w.ops:
				if !ok {
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		w.commit(batch)
	}
}

func (w *writer) commit(batch []*op) {
	errs := make([]error, len(batch))
	err := storageError(w.apply(batch, errs))
	if err != nil {
		w.log.Error("group commit failed", "ops", len(batch), "error", err)
		if w.rolledBack != nil {
			w.rolledBack()
		}
	} else if w.committed != nil {
		w.committed()
	}
	for i, o := range batch {
		if o.claimed {
			// Settled before the caller hears back, so that it sees
			// Written once its change is durable.
			o.pending.Settle(err == nil && errs[i] == nil)
		}
		if err != nil {
			o.done <- err
		} else {
			o.done <- storageError(errs[i])
		}
	}
}

// storageError turns SQLite's "database or disk is full" into ESTORAGE, so
// the caller is told plainly that nothing was stored and why.
func storageError(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return app.Errorf(app.ESTORAGE, "存储空间已满，未能保存，请联系管理员 (storage full: nothing was stored)")
	}
	return err
}

func isFull(err error) bool { return app.ErrorCode(storageError(err)) == app.ESTORAGE }

// idRange is a run of consecutive message ids, first and last included.
type idRange struct{ from, to int64 }

type laterKey struct{}

// queueLater asks the writer running ctx's op to queue messages from..to as
// jobs when the transaction ends, merged with the other ops' messages: one
// job for many single-number sends. It reports false outside the writer.
func queueLater(ctx context.Context, from, to int64) bool {
	l, ok := ctx.Value(laterKey{}).(*[]idRange)
	if ok {
		*l = append(*l, idRange{from, to})
	}
	return ok
}

// runOp runs one op, collecting its queueLater ranges into ranges and
// appending its pending audit entry if it succeeds.
func (w *writer) runOp(ctx context.Context, tx *sql.Tx, o *op, ranges *[]idRange, notes *ledgerNotes) error {
	var mine []idRange
	var mineNotes ledgerNotes
	ctx = context.WithValue(ctx, notesKey{}, &mineNotes)
	if w.queueJobs != nil {
		ctx = context.WithValue(ctx, laterKey{}, &mine)
	}
	err := w.withAudit(ctx, tx, o, o.fn(ctx, tx))
	if err == nil {
		*ranges = append(*ranges, mine...)
		notes.merge(&mineNotes)
	}
	return err
}

// withAudit appends o's pending audit entry after its work succeeded (err
// nil), in the same savepoint: if the entry cannot be written, the change
// is undone with it.
func (w *writer) withAudit(ctx context.Context, tx *sql.Tx, o *op, err error) error {
	if err != nil || o.pending == nil || w.audit == nil {
		return err
	}
	e, ok := o.pending.Claim()
	if !ok {
		return nil
	}
	if err := w.audit(ctx, tx, e); err != nil {
		o.pending.Settle(false)
		return err
	}
	o.claimed = true
	return nil
}

// finish queues the transaction's ranges and commits.
func (w *writer) finish(ctx context.Context, tx *sql.Tx, ranges []idRange, notes *ledgerNotes) error {
	if len(ranges) > 0 {
		if err := w.queueJobs(ctx, tx, ranges); err != nil {
			tx.Rollback()
			return err
		}
	}
	if w.settle != nil {
		if err := w.settle(ctx, tx, notes); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// apply runs the batch in one transaction. It returns an error only when the
// whole transaction failed; each op's own error is in errs.
func (w *writer) apply(batch []*op, errs []error) (err error) {
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			tx.Rollback()
			err = fmt.Errorf("panic in write: %v", r)
		}
	}()
	var ranges []idRange
	var notes ledgerNotes
	if len(batch) == 1 {
		if errs[0] = w.runOp(ctx, tx, batch[0], &ranges, &notes); errs[0] != nil {
			tx.Rollback()
			return nil
		}
		return w.finish(ctx, tx, ranges, &notes)
	}
	for i, o := range batch {
		if _, err := tx.ExecContext(ctx, `savepoint op`); err != nil {
			tx.Rollback()
			return err
		}
		if errs[i] = w.runOp(ctx, tx, o, &ranges, &notes); errs[i] != nil {
			if isFull(errs[i]) {
				// The whole transaction is in doubt: none of it commits.
				tx.Rollback()
				return errs[i]
			}
			if _, err := tx.ExecContext(ctx, `rollback to op`); err != nil {
				tx.Rollback()
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `release op`); err != nil {
			tx.Rollback()
			return err
		}
	}
	return w.finish(ctx, tx, ranges, &notes)
}
