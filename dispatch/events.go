package dispatch

import (
	"time"

	"smsgw/app"
	"smsgw/dispatch/smpp"
)

// events is a channel seen as its session's smpp.Handler: what the SMSC and
// the connection tell the channel. A type of its own keeps these callbacks,
// which run on the session's goroutines, apart from the channel's own
// methods; converting costs nothing.
type events channel

var _ smpp.Handler = (*events)(nil)

// Bound lets the channel send again.
func (e *events) Bound() {
	c := (*channel)(e)
	c.mu.Lock()
	c.bound, c.lastErr = true, ""
	c.mu.Unlock()
}

// Down stops the sending and gives up on every submit without a response:
// they may or may not have reached the SMSC, so they are sent again, and
// the duplicates this can cause are bounded by the window.
func (e *events) Down() {
	c := (*channel)(e)
	c.mu.Lock()
	c.bound, c.downAt = false, time.Now()
	c.mu.Unlock()
	c.failPending(app.ECONNLOST)
}

// Fault shows why the session failed in the channel's state.
func (e *events) Fault(err error) { (*channel)(e).setErr(err.Error()) }

// SubmitFailed gives up on a part that could not be written.
func (e *events) SubmitFailed(seq int32) {
	c := (*channel)(e)
	if inf := c.untrack(seq); inf != nil {
		c.unknown(inf, app.ECONNLOST)
	}
}

// Response records the SMSC's answer to a part, slows down when it
// throttles, and feeds the circuit breaker.
func (e *events) Response(seq int32, st smpp.Status, smscID string) {
	c := (*channel)(e)
	inf := c.untrack(seq)
	if inf == nil {
		return // answered already: timed out, or the session was reset
	}
	now := time.Now()
	switch {
	case st.OK():
		// Taken, even without an id (then no receipt can match; the upkeep
		// expires it): sending it again would reach the handset twice.
		c.judge(now, true)
		c.answer(inf, smscID, app.OutcomeSubmitted, "")
	case st.Throttled():
		c.onThrottle()
		if !c.again(inf) {
			c.answer(inf, "", app.OutcomeRetry, st.Code())
		}
	case st.Transient():
		c.judge(now, false)
		if !c.again(inf) {
			c.answer(inf, "", app.OutcomeRetry, st.Code())
		}
	default:
		c.judge(now, false)
		c.answer(inf, "", app.OutcomeFailed, st.Code())
	}
}

// Receipt hands a delivery receipt to the engine, to be answered once stored.
func (e *events) Receipt(r app.Receipt, ack func()) {
	r.ChannelID = e.id
	e.sink.receipt(r, ack)
}

// Reply hands a reply (or part of one) to the engine.
func (e *events) Reply(p smpp.ReplyPart, ack func()) { e.sink.reply(e.id, p, ack) }

// judge feeds the circuit breaker.
func (c *channel) judge(now time.Time, ok bool) {
	c.mu.Lock()
	changed := c.brk.record(now, ok)
	state := c.brk.state
	c.mu.Unlock()
	if changed {
		c.log.Warn("circuit breaker", "state", state.String())
		if state == breakerOpen {
			c.setErr("错误率过高，暂停发送 (error rate too high: paused)")
		}
	}
}
