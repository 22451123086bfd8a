package dispatch

import (
	"time"

	"smsgw/app"
	"smsgw/dispatch/smpp"
)

// inflight is one submit_sm waiting for its response.
type inflight struct {
	t     *task
	part  int
	at    time.Time
	tries int // times submitted again (see again)
}

// submit sends every part of one task, each within the rate and the window.
// A long message that earlier attempts sent in part keeps their reference
// and sends only the parts not accepted yet, with their same numbers.
func (c *channel) submit(t *task) {
	cfg := c.conf()
	sent := t.msg.Sent
	var cc app.Concat
	if sent != nil {
		cc = sent.Concat
	} else {
		cc = smpp.NewConcat()
	}
	parts, err := smpp.Parts(t.msg, smpp.AddressingOf(cfg), cc)
	if err != nil {
		c.log.Error("cannot encode message", "message", t.msg.ID, "error", err)
		c.sink.finish(t, app.Outcome{MessageID: t.msg.ID, ChannelID: c.id, Kind: app.OutcomeFailed, ErrorCode: app.EENCODE})
		return
	}
	todo := len(parts)
	for i := range parts {
		if sent.Accepted(i) {
			todo--
		}
	}
	t.begin(len(parts), todo, cc)
	for i, p := range parts {
		if sent.Accepted(i) {
			continue
		}
		if c.take(c.ctx) != nil || c.win.acquire(c.ctx) != nil {
			break
		}
		c.mu.Lock()
		bound := c.bound
		c.mu.Unlock()
		// The connection seen bound before the part is tracked: a drop after
		// this answers the tracked part, and SubmitOn then refuses to send
		// it on a newer connection.
		link := c.sess.Current()
		if !bound {
			c.win.release()
			break
		}
		seq := p.Seq()
		t.sending()
		c.track(seq, &inflight{t: t, part: i, at: time.Now()})
		if err := c.sess.SubmitOn(link, p); err != nil {
			if inf := c.untrack(seq); inf != nil {
				c.answer(inf, "", app.OutcomeRetry, app.ECONNLOST)
			}
			break
		}
	}
	if t.close() {
		c.complete(t)
	}
}

func (c *channel) track(seq int32, inf *inflight) {
	c.mu.Lock()
	c.pending[seq] = inf
	c.mu.Unlock()
}

// untrack removes a submit from the window and frees its slot; nil if it
// was already answered.
func (c *channel) untrack(seq int32) *inflight {
	c.mu.Lock()
	inf, ok := c.pending[seq]
	delete(c.pending, seq)
	c.mu.Unlock()
	if !ok {
		return nil
	}
	c.win.release()
	return inf
}

// answer records one part's result and completes the task with its last.
func (c *channel) answer(inf *inflight, smscID string, kind app.OutcomeKind, code string) {
	if kind == app.OutcomeSubmitted {
		c.submitted.Add(1)
	} else {
		c.errors.Add(1)
	}
	if inf.t.answer(inf.part, smscID, kind, code) {
		c.complete(inf.t)
	}
}

// unknown gives up on a part whose outcome cannot be known: sent, but the
// session went away or no response came. The message is sent again.
func (c *channel) unknown(inf *inflight, code string) {
	inf.t.markUnknown()
	c.answer(inf, "", app.OutcomeRetry, code)
}

// complete turns a task's part results into its outcome. A long message
// reports its reference and the parts accepted, on a retry too: the retry
// sends only the others, under the same reference.
func (c *channel) complete(t *task) {
	o := app.Outcome{MessageID: t.msg.ID, ChannelID: c.id, At: time.Now(), Resumed: t.msg.Sent != nil}
	if t.parts > 1 && (t.sent > 0 || t.msg.Sent != nil) {
		o.Concat = &t.cc
	}
	switch {
	case t.failCode != "":
		// Refused for good: the message fails. Parts accepted before (in
		// this attempt or earlier ones) still reach the handset, which
		// shows them as an incomplete message or not at all, depending on
		// the handset; they are not recalled.
		o.Kind, o.ErrorCode = app.OutcomeFailed, t.failCode
	case t.retryCode != "":
		o.Kind, o.ErrorCode, o.RetryAfter = app.OutcomeRetry, t.retryCode, retryDelay(t)
		if o.Concat != nil {
			o.SMSCIDs = t.ids
		}
		if t.unknown {
			c.resent.Add(1)
		}
	default:
		o.Kind, o.SMSCIDs = app.OutcomeSubmitted, t.ids
	}
	c.sink.finish(t, o)
}

// throttledCode is the outcome code of a part the SMSC refused as too fast.
var throttledCode = smpp.StatusThrottled.Code()

// retryDelay backs off with the attempts a message has had; an unknown
// outcome (the SMSC may have it) and throttling retry soon.
func retryDelay(t *task) time.Duration {
	switch {
	case t.unknown:
		return 0
	case t.retryCode == throttledCode:
		return time.Second
	}
	return min(time.Second<<min(t.msg.Attempts, 6), time.Minute)
}

// failPending gives up on every submit still waiting for a response.
func (c *channel) failPending(code string) {
	c.mu.Lock()
	all := c.pending
	c.pending = map[int32]*inflight{}
	c.mu.Unlock()
	for range all {
		c.win.release()
	}
	for _, inf := range all {
		c.unknown(inf, code)
	}
}

// sweep times out submits that got no response, learns the SMSC's rate,
// and measures the send rate, once a second.
func (c *channel) sweep() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, lastThr := c.submitted.Load(), c.throttled.Load()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C:
			var late []int32
			c.mu.Lock()
			for seq, inf := range c.pending {
				if now.Sub(inf.at) > c.submitTimeout {
					late = append(late, seq)
				}
			}
			c.mu.Unlock()
			for _, seq := range late {
				if inf := c.untrack(seq); inf != nil {
					c.unknown(inf, app.ETIMEOUT)
				}
			}
			cur, thr := c.submitted.Load(), c.throttled.Load()
			c.learnRate(cur-last, thr-lastThr)
			c.rate.Store(uint64(cur - last))
			last, lastThr = cur, thr
		}
	}
}
