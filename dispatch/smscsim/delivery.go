package smscsim

import (
	"slices"
	"sync"
	"time"
)

// retryDelay is how long a deliver_sm refused by the client waits before it
// is offered again.
const retryDelay = time.Second

// delivery is one deliver_sm on its way to a client: a receipt or a part of
// an injected MO. It is encoded once; only the sequence number changes
// between attempts.
type delivery struct {
	raw      []byte   // encoded deliver_sm; bytes 12..16 are patched per send
	receipt  bool     // false for an MO part
	systemID string   // receipts go only to sessions bound with this system_id
	origin   *session // preferred session (the submitter's); nil for MOs
}

// sent is a delivery written on a session with its sequence number.
type sent struct {
	d   *delivery
	seq uint32
}

// deliveries routes deliver_sm to sessions. A delivery is in exactly one
// place: the scheduler (not due yet), pending (no session can take it), a
// session's queue (waiting for the window) or a session's outstanding map
// (written, waiting for deliver_sm_resp).
type deliveries struct {
	mu        sync.Mutex
	pending   fifo
	receipts  int        // receipts in pending
	receivers []*session // attached sessions, in bind order
}

// pendingReceipts returns the number of receipts without a session.
func (dl *deliveries) pendingReceipts() int {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	return dl.receipts
}

// pick returns the session that should take d, or nil if none can: the
// submitter while it can receive, else the least busy receiver of the same
// system_id (any receiver for an MO). The caller holds dl.mu.
func (dl *deliveries) pick(d *delivery) *session {
	if c := d.origin; c != nil && c.attached {
		return c
	}
	var best *session
	for _, c := range dl.receivers {
		if d.receipt && c.systemID != d.systemID {
			continue
		}
		if best == nil || c.load() < best.load() {
			best = c
		}
	}
	return best
}

// route hands d to a session's queue, or to pending, and returns the
// session to wake (nil if none). The caller holds dl.mu.
func (dl *deliveries) route(d *delivery) *session {
	c := dl.pick(d)
	if c == nil {
		dl.pending.push(d)
		if d.receipt {
			dl.receipts++
		}
		return nil
	}
	c.queue.push(d)
	return c
}

// routeAll routes a batch under one lock and wakes the sessions concerned.
func (dl *deliveries) routeAll(ds []*delivery) {
	var kick []*session
	dl.mu.Lock()
	for _, d := range ds {
		if c := dl.route(d); c != nil && !slices.Contains(kick, c) {
			kick = append(kick, c)
		}
	}
	dl.mu.Unlock()
	for _, c := range kick {
		c.wake()
	}
}

// load is how busy a session is, for choosing among receivers. The caller
// holds dl.mu.
func (c *session) load() int {
	return c.queue.len() + len(c.outstanding)
}

// wake tells the session's writer that deliveries may be waiting.
func (c *session) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// attach makes a bound session a receiver and gives it the pending
// deliveries it may take, oldest first.
func (dl *deliveries) attach(c *session) {
	dl.mu.Lock()
	c.attached = true
	dl.receivers = append(dl.receivers, c)
	dl.pending.filter(func(d *delivery) bool {
		if d.receipt && d.systemID != c.systemID {
			return true
		}
		if d.receipt {
			dl.receipts--
		}
		c.queue.push(d)
		return false
	})
	dl.mu.Unlock()
	c.wake()
}

// detach stops delivering to c and routes its queued and unacknowledged
// deliveries elsewhere; what no other session can take goes to the front of
// pending, ahead of younger deliveries. It is idempotent.
func (dl *deliveries) detach(c *session) {
	dl.mu.Lock()
	if !c.attached {
		dl.mu.Unlock()
		return
	}
	c.attached = false
	dl.receivers = slices.DeleteFunc(dl.receivers, func(x *session) bool { return x == c })

	back := make([]sent, 0, len(c.outstanding))
	for seq, d := range c.outstanding {
		back = append(back, sent{d, seq})
	}
	clear(c.outstanding)
	// Sequence numbers grow with time (wrapping only after 2^31 PDUs).
	slices.SortFunc(back, func(a, b sent) int { return int(int64(a.seq) - int64(b.seq)) })
	all := make([]*delivery, 0, len(back)+c.queue.len())
	for _, s := range back {
		all = append(all, s.d)
	}
	all = append(all, c.queue.drain()...)

	var front []*delivery
	var kick []*session
	for _, d := range all {
		d.origin = nil // a rebind is a new session; do not wait for this one
		to := dl.pick(d)
		if to == nil {
			front = append(front, d)
			if d.receipt {
				dl.receipts++
			}
			continue
		}
		to.queue.push(d)
		if !slices.Contains(kick, to) {
			kick = append(kick, to)
		}
	}
	dl.pending.pushFront(front)
	dl.mu.Unlock()
	for _, k := range kick {
		k.wake()
	}
}

// take moves queued deliveries of c into its window and returns them with
// their sequence numbers, for the writer to send.
func (dl *deliveries) take(c *session, buf []sent) []sent {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if !c.attached {
		return buf
	}
	for len(c.outstanding) < window && c.queue.len() > 0 {
		d := c.queue.pop()
		seq := c.nextSeq()
		c.outstanding[seq] = d
		buf = append(buf, sent{d, seq})
	}
	return buf
}

// sendNow registers d as outstanding on c outside the window and returns
// its encoding, for a receipt that must precede its submit_sm_resp. It
// returns nil if c cannot receive.
func (dl *deliveries) sendNow(c *session, d *delivery) []byte {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if !c.attached {
		return nil
	}
	seq := c.nextSeq()
	c.outstanding[seq] = d
	return withSeq(d.raw, seq)
}

// ack resolves the outstanding delivery seq of c. It returns nil for an
// unknown sequence number (a late or duplicate response).
func (dl *deliveries) ack(c *session, seq uint32) *delivery {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	d, ok := c.outstanding[seq]
	if !ok {
		return nil
	}
	delete(c.outstanding, seq)
	if c.queue.len() > 0 {
		c.wake()
	}
	return d
}

// acknowledge handles the client's answer to one of our deliver_sm. A
// refusal is retried after retryDelay; a success is counted.
func (s *Server) acknowledge(c *session, seq uint32, ok bool) {
	d := s.dl.ack(c, seq)
	if d == nil {
		return
	}
	switch {
	case !ok:
		s.sched.pushDelivery(time.Now().Add(retryDelay), d)
	case d.receipt:
		s.counters.receiptsSent.Add(1)
	default:
		s.counters.moSent.Add(1)
	}
}
