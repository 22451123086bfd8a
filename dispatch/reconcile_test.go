package dispatch_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/app/apptest"
	"smsgw/dispatch"
	"smsgw/dispatch/smscsim"
	"smsgw/store"
)

// reconcileEnv runs an engine that reconciles at once after a start, on one
// simulator that decides every part's outcome but drops its receipt, as a
// failover or a crash loses receipts.
func reconcileEnv(t *testing.T, o smscsim.Options) (*env, string) {
	var path string
	o.ReceiptDelay, o.DropReceipts = -1, true
	// A number ending in 7 is undeliverable, the rest delivered.
	o.ReceiptStatus = func(s smscsim.Submitted) string {
		if strings.HasSuffix(s.Dest, "7") {
			return "UNDELIV"
		}
		return "DELIVRD"
	}
	var e *env
	e = startEnv(t, setup{
		sims:  []smscsim.Options{o},
		store: func(so *store.Options) { path = so.Path },
		engine: func(eo *dispatch.Options) {
			if e != nil { // the first start, within startEnv, has nothing to reconcile
				eo.Reconcile, eo.ReconcileAfter, eo.ReconcileRate = e.db, time.Millisecond, 1000
			}
		},
	})
	return e, path
}

// sendAndRestart sends messages (a long one among them), waits until every
// one is submitted, and restarts the store and the engine on the same file.
func sendAndRestart(t *testing.T, e *env, path string) []int64 {
	ids := e.send("【测试单位】对账测试", numbers(0, 20)...)
	ids = append(ids, e.send("【测试单位】"+strings.Repeat("长消息", 60), "13800000107")...)
	waitStatus(t, e, ids, app.StatusSubmitted)
	e.stopEngine()
	e.db.Close()
	db, err := store.Open(context.Background(), store.Options{Path: path, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	e.db = db
	t.Cleanup(func() { e.stopEngine(); db.Close() })
	e.startEngine()
	return ids
}

func waitStatus(t *testing.T, e *env, ids []int64, want app.Status) {
	t.Helper()
	apptest.Eventually(t, slowdown*20*time.Second, func() error {
		for _, id := range ids {
			m, err := e.db.FindMessageByID(context.Background(), e.p, id)
			if err != nil {
				return err
			}
			if m.Status != want {
				return fmt.Errorf("message %d is %s, want %s", id, m.Status, want)
			}
		}
		return nil
	})
}

func TestReconcile_AfterRestartMessagesTakeTheirStateFromQuerySM(t *testing.T) {
	e, path := reconcileEnv(t, smscsim.Options{})
	ids := sendAndRestart(t, e, path)
	apptest.Eventually(t, slowdown*20*time.Second, func() error {
		if st := e.engine.Reconciliation(); st.Running || st.Reconciled != len(ids) {
			return fmt.Errorf("reconciliation %+v, want %d reconciled", st, len(ids))
		}
		return nil
	})
	for _, id := range ids {
		m, err := e.db.FindMessageByID(context.Background(), e.p, id)
		if err != nil {
			t.Fatal(err)
		}
		want := app.StatusDelivered
		if strings.HasSuffix(m.To, "7") {
			want = app.StatusUndelivered
		}
		if m.Status != want {
			t.Errorf("message %d to %s is %s, want %s", id, m.To, m.Status, want)
		}
	}
	if q := e.sims[0].Stats().Queries; q != int64(len(ids)+2) { // the long message has 3 parts
		t.Errorf("%d query_sm sent, want one per part (%d)", q, len(ids)+2)
	}
	if n, err := e.db.Unreconciled(context.Background()); err != nil || n != 0 {
		t.Errorf("Unreconciled = %d, %v; want 0", n, err)
	}
}

func TestReconcile_WithoutQuerySMMessagesAreReported(t *testing.T) {
	e, path := reconcileEnv(t, smscsim.Options{RefuseQuery: true})
	ids := sendAndRestart(t, e, path)
	apptest.Eventually(t, slowdown*20*time.Second, func() error {
		if st := e.engine.Reconciliation(); st.Running || st.Reported != len(ids) {
			return fmt.Errorf("reconciliation %+v, want %d reported", st, len(ids))
		}
		return nil
	})
	if n, err := e.db.Unreconciled(context.Background()); err != nil || n != len(ids) {
		t.Errorf("Unreconciled = %d, %v; want %d", n, err, len(ids))
	}
	apptest.Eventually(t, slowdown*5*time.Second, func() error {
		if st := e.engine.Reconciliation(); st.Awaiting != len(ids) {
			return fmt.Errorf("reconciliation %+v, want %d awaiting", st, len(ids))
		}
		return nil
	})
	listed, _, err := e.db.FindMessages(context.Background(), e.p, app.MessageFilter{Unreconciled: true, Limit: 100})
	if err != nil || len(listed) != len(ids) {
		t.Errorf("listing awaiting reconciliation = %d messages, %v; want %d", len(listed), err, len(ids))
	}
	// One refusal tells the channel does not support query_sm: the rest
	// are not asked.
	if q := e.sims[0].Stats().Queries; q != 1 {
		t.Errorf("%d query_sm sent, want 1", q)
	}
	waitStatus(t, e, ids, app.StatusSubmitted)
}
