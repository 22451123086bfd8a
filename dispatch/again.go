package dispatch

import (
	"time"

	"smsgw/app"
	"smsgw/dispatch/smpp"
)

// maxAgain is how often a part refused for now (throttled, or a transient
// error) is submitted again within the session before its message goes
// back to the queue. Retrying the part alone, at once, keeps a long
// message's parts together: the same PDU, the same reference and number.
const maxAgain = 3

// againDelay is the wait before the n-th resubmission of a part (n from 1):
// the rate is being learned meanwhile (learnRate), so a short wait suffices.
func againDelay(n int) time.Duration { return 100 * time.Millisecond << n }

// again submits a refused part once more after a backoff, unless it has
// been tried maxAgain times; false means it was not taken and the caller
// answers the part as a retry. While it waits the part counts as in flight,
// so a stopping channel waits for it (or cancels it) before it goes.
func (c *channel) again(inf *inflight) bool {
	if inf.tries >= maxAgain {
		return false
	}
	c.mu.Lock()
	// A window's worth of parts waiting is enough: when the SMSC throttles
	// hard, the rest go back to the queue rather than pile up here.
	if c.stopping || c.waiting >= c.conf().Window {
		c.mu.Unlock()
		return false
	}
	inf.tries++
	c.waiting++
	c.retries.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.retries.Done()
		code := c.resubmit(inf)
		c.mu.Lock()
		c.waiting--
		c.mu.Unlock()
		if code != "" {
			c.answer(inf, "", app.OutcomeRetry, code)
		}
	}()
	return true
}

// resubmit waits, then sends the part again under a new sequence number;
// it returns the code to answer the part with when it could not be sent.
func (c *channel) resubmit(inf *inflight) string {
	t := time.NewTimer(againDelay(inf.tries))
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.stopSend:
		return app.ESTOPPED
	case <-c.ctx.Done():
		return app.ESTOPPED
	}
	if c.take(c.ctx) != nil || c.win.acquire(c.ctx) != nil {
		return app.ESTOPPED
	}
	link := c.sess.Current() // see submit: never a newer connection than seen
	if ok, _ := c.available(time.Now()); !ok {
		c.win.release()
		return app.ENOTBOUND
	}
	// The part is built again rather than its first PDU reused: gosmpp's
	// writer goroutine wrote to that one, and nothing the race detector
	// can see orders that write before this.
	parts, err := smpp.Parts(inf.t.msg, smpp.AddressingOf(c.conf()), inf.t.cc)
	if err != nil || inf.part >= len(parts) {
		c.win.release()
		return app.EENCODE
	}
	p := parts[inf.part]
	seq := p.Seq()
	inf.at = time.Now()
	c.track(seq, inf)
	if err := c.sess.SubmitOn(link, p); err != nil {
		if c.untrack(seq) != nil {
			return app.ECONNLOST
		}
	}
	return ""
}
