package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/time/rate"

	"smsgw/app"
	"smsgw/dispatch/smpp"
)

// reconcileBatch is how many messages one pass reads from the store.
const reconcileBatch = 200

// reconcileNoChannel is why a message awaits reconciliation when its
// channel does not run (removed or disabled): nobody can be asked.
const reconcileNoChannel = "channel_unavailable"

// reconcile asks the SMSCs, once per start, about the messages an earlier
// run left submitted: their receipts may have been lost with it (a crash
// between a receipt's storing and its commit, or a restore or promote that
// lacks the old primary's last receipts). It waits ReconcileAfter first, so
// that receipts the SMSCs resend after a rebind come in on their own, then
// sends query_sm at ReconcileRate per channel, beside the channel's own
// traffic. Final answers go through the receipt path (Outbox.ApplyReceipts),
// so a late real receipt changes nothing. Messages on a channel whose SMSC
// does not implement query_sm, or that the SMSC does not know, are marked
// awaiting reconciliation and reported rather than left silently waiting for
// the receipt timeout. Nothing is held in memory across restarts: reconciled
// messages leave submitted, marked ones are skipped, so the next start goes
// on with the rest.
func (e *Engine) reconcile(ctx context.Context) {
	rs := e.opts.Reconcile
	if rs == nil {
		return
	}
	before := time.Now()
	e.setReconcile(func(s *app.ReconcileState) { s.Running, s.Before = true, before })
	defer e.setReconcile(func(s *app.ReconcileState) { s.Running = false })
	if !sleep(ctx, e.opts.ReconcileAfter) {
		return
	}
	r := &reconciler{e: e, limiters: map[int64]*rate.Limiter{}, unsupported: map[int64]bool{}, gone: map[int64]bool{}}
	var after int64
	for ctx.Err() == nil {
		batch, err := rs.Unconfirmed(ctx, before, after, reconcileBatch)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Error("listing messages to reconcile failed", "error", err)
			}
			return
		}
		if len(batch) == 0 {
			break
		}
		for _, u := range batch {
			if ctx.Err() != nil {
				return
			}
			r.one(ctx, u)
			after = u.MessageID
		}
	}
	st := e.Reconciliation()
	e.log.Info("reconciliation done", "checked", st.Checked, "reconciled", st.Reconciled, "pending", st.Pending, "reported", st.Reported, "left", st.Left)
	if n, err := rs.Unreconciled(ctx); err == nil && n > 0 {
		e.setReconcile(func(s *app.ReconcileState) { s.Awaiting = n })
		e.log.Warn("messages await reconciliation: their receipts may be lost and their SMSC cannot be asked", "messages", n)
	}
}

// reconciler is one reconciliation pass's memory: a query budget per
// channel, the channels found not to implement query_sm, and those not
// running.
type reconciler struct {
	e           *Engine
	limiters    map[int64]*rate.Limiter
	unsupported map[int64]bool
	gone        map[int64]bool
}

// one reconciles a message: every part's state, then the final ones as
// receipts. A message with a part the SMSC cannot tell about is marked.
func (r *reconciler) one(ctx context.Context, u app.Unconfirmed) {
	e := r.e
	var receipts []app.Receipt
	reason, pending, left := "", false, false
	for _, p := range u.Parts {
		st, code, err := r.query(ctx, p)
		switch {
		case errors.Is(err, smpp.ErrQueryUnsupported):
			reason = app.ReconcileUnsupported
		case errors.Is(err, errNoChannel):
			reason = reconcileNoChannel
		case errors.As(err, new(smpp.QueryError)):
			reason = app.ReconcileUnknown
		case err != nil:
			left = true
			e.log.Warn("query_sm failed", "channel", p.ChannelID, "message", u.MessageID, "error", err)
		default:
			stat, final := st.ReceiptStat()
			switch {
			case final:
				receipts = append(receipts, app.Receipt{ChannelID: p.ChannelID, SMSCID: p.SMSCID, Stat: stat,
					Err: fmt.Sprintf("%03d", code), At: time.Now()})
			case st == app.StateEnroute || st == app.StateAccepted:
				pending = true
			default:
				reason = app.ReconcileUnknown
			}
		}
	}
	if len(receipts) > 0 {
		if err := e.opts.Outbox.ApplyReceipts(context.WithoutCancel(ctx), receipts); err != nil {
			e.log.Error("storing reconciled states failed", "message", u.MessageID, "error", err)
			left = true
		}
	}
	if reason != "" {
		if err := e.opts.Reconcile.MarkUnreconciled(context.WithoutCancel(ctx), []int64{u.MessageID}, reason); err != nil {
			e.log.Error("marking a message awaiting reconciliation failed", "message", u.MessageID, "error", err)
		}
	}
	e.setReconcile(func(s *app.ReconcileState) {
		s.Checked++
		switch {
		case reason != "":
			s.Reported++
		case left:
			s.Left++
		case pending:
			s.Pending++
		default:
			s.Reconciled++
		}
	})
}

var errNoChannel = errors.New("the channel is gone")

// query asks a part's SMSC, within the channel's query budget, waiting up
// to ReconcileWait for the channel to be bound.
func (r *reconciler) query(ctx context.Context, p app.UnconfirmedPart) (app.MessageState, byte, error) {
	if r.unsupported[p.ChannelID] {
		return 0, 0, smpp.ErrQueryUnsupported
	} else if r.gone[p.ChannelID] {
		return 0, 0, errNoChannel
	}
	lim := r.limiters[p.ChannelID]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(r.e.opts.ReconcileRate), 1)
		r.limiters[p.ChannelID] = lim
	}
	if err := lim.Wait(ctx); err != nil {
		return 0, 0, err
	}
	sess, addr, err := r.e.boundSession(ctx, p.ChannelID)
	if errors.Is(err, errNoChannel) {
		r.gone[p.ChannelID] = true
	}
	if err != nil {
		return 0, 0, err
	}
	qctx, cancel := context.WithTimeout(ctx, r.e.opts.SubmitTimeout)
	defer cancel()
	addr.Source = p.Source // the number the part went from, extension included
	st, code, err := sess.Query(qctx, p.SMSCID, addr)
	if errors.Is(err, smpp.ErrQueryUnsupported) {
		r.unsupported[p.ChannelID] = true
		r.e.log.Warn("the SMSC does not support query_sm: messages left submitted on this channel are reported", "channel", p.ChannelID)
	}
	return st, code, err
}

// boundSession is a channel's session once bound, waiting up to
// ReconcileWait (channels start as the engine does); errNoChannel if the
// channel does not run by then.
func (e *Engine) boundSession(ctx context.Context, id int64) (*smpp.Session, smpp.Addressing, error) {
	deadline := time.Now().Add(e.opts.ReconcileWait)
	for {
		e.mu.Lock()
		c := e.channels[id]
		e.mu.Unlock()
		bound := false
		if c != nil {
			c.mu.Lock()
			bound = c.bound
			c.mu.Unlock()
		}
		if bound {
			return c.sess, smpp.AddressingOf(c.conf()), nil
		}
		if time.Now().After(deadline) {
			if c == nil {
				return nil, smpp.Addressing{}, errNoChannel
			}
			return nil, smpp.Addressing{}, smpp.ErrNotBound
		}
		if !sleep(ctx, 50*time.Millisecond) {
			return nil, smpp.Addressing{}, ctx.Err()
		}
	}
}

// Reconciliation reports how this run's reconciliation went.
func (e *Engine) Reconciliation() app.ReconcileState {
	e.rmu.Lock()
	defer e.rmu.Unlock()
	return e.rstate
}

func (e *Engine) setReconcile(f func(*app.ReconcileState)) {
	e.rmu.Lock()
	f(&e.rstate)
	e.rmu.Unlock()
}

// sleep waits d; false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
