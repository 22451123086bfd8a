package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"smsgw/app"
	"smsgw/dispatch"
	"smsgw/store"
)

// reconcileDrillResult is what reconciliation (issue 13, item 5) made of
// the messages the serving copy held as submitted after the kill: some had
// their receipts stored only on the lost primary, others' receipts the
// SMSC still owed.
type reconcileDrillResult struct {
	Copy      string `json:"copy"`      // "restored" or "promoted": the copy that serves
	Submitted int    `json:"submitted"` // submitted on the copy when it started
	// Reconciled took their final status from query_sm; Pending the SMSC
	// said were still on their way; Reported were marked awaiting
	// reconciliation.
	Reconciled int `json:"reconciled"`
	Pending    int `json:"pending"`
	Reported   int `json:"reported"`
	// LeftSubmitted are those still submitted once reconciliation ended
	// (receipts resent by the SMSC after the rebind come in meanwhile).
	LeftSubmitted int     `json:"left_submitted"`
	ReconcileMS   float64 `json:"reconcile_ms"`
}

// reconcileCopy runs the sending engine, as `smsgw serve` would, on a copy
// until its reconciliation of messages the dead primary left submitted
// ends, and counts what is left. Messages accepted before killedAt only
// are counted: the engine also sends what the copy held queued.
func reconcileCopy(ctx context.Context, copyName, dir, keyPath string, killedAt time.Time) (*reconcileDrillResult, error) {
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, store.DBFile), KeyPath: keyPath,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	res := &reconcileDrillResult{Copy: copyName}
	if res.Submitted, err = countSubmitted(ctx, db, killedAt); err != nil {
		return nil, err
	}
	began := time.Now()
	e := dispatch.New(dispatch.Options{Outbox: db, Channels: db, Notify: db.Notifications(), Reconcile: db,
		// Shorter than serve's 30 s: the simulators resend owed receipts
		// within a second of the bind.
		ReconcileAfter: 3 * time.Second, ReconcileRate: 200})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(runCtx) }()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		st := e.Reconciliation()
		if !st.Before.IsZero() && !st.Running {
			res.Reconciled, res.Pending, res.Reported = st.Reconciled, st.Pending, st.Reported
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			<-done
			return nil, fmt.Errorf("reconciliation did not end within 5 minutes: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	res.ReconcileMS = ms(time.Since(began))
	stop()
	<-done
	res.LeftSubmitted, err = countSubmitted(ctx, db, killedAt)
	return res, err
}

// countSubmitted counts the messages accepted before until that are
// submitted.
func countSubmitted(ctx context.Context, db *store.DB, until time.Time) (int, error) {
	sysadmin := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	n := 0
	for cursor := ""; ; {
		list, next, err := db.FindMessages(ctx, sysadmin, app.MessageFilter{Status: app.StatusSubmitted, Until: until, Limit: 1000, Cursor: cursor})
		if err != nil {
			return 0, err
		}
		n += len(list)
		if next == "" {
			return n, nil
		}
		cursor = next
	}
}
