package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linxGnu/gosmpp"
	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
	"golang.org/x/time/rate"

	"smsgw/app"
)

// channel runs one SMPP transceiver session to one SMSC: it binds (and
// rebinds), sends tasks within the channel's TPS and window, matches
// responses to parts and hands receipts and replies to the engine.
type channel struct {
	cfg     *app.Channel
	e       *Engine
	log     *slog.Logger
	limiter *rate.Limiter
	slots   chan struct{} // one per submit_sm in flight: the window
	in      chan *task
	queued  atomic.Int64
	inMu    sync.Mutex // guards closed against sends after stop
	closed  bool

	ctx      context.Context // cancelled at the very end of stop
	cancel   context.CancelFunc
	stopSend chan struct{}
	sendDone chan struct{}
	connDone chan struct{}

	mu      sync.Mutex
	sess    *gosmpp.Session
	pending map[int32]*inflight
	lastErr string

	submitted atomic.Int64 // parts accepted by the SMSC
	errors    atomic.Int64
	rate      atomic.Uint64 // parts per second over the last sweep, as float64 bits
}

// inflight is one submit_sm waiting for its response.
type inflight struct {
	t    *task
	part int
	at   time.Time
}

func startChannel(cfg *app.Channel, e *Engine) *channel {
	c := &channel{
		cfg:      cfg,
		e:        e,
		log:      e.log.With("channel", cfg.ID),
		limiter:  rate.NewLimiter(rate.Limit(cfg.TPS), max(1, cfg.TPS/20)),
		slots:    make(chan struct{}, cfg.Window),
		in:       make(chan *task, 2*e.opts.MaxHeld), // a claim may overshoot MaxHeld by a few jobs
		stopSend: make(chan struct{}),
		sendDone: make(chan struct{}),
		connDone: make(chan struct{}),
		pending:  map[int32]*inflight{},
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.connect()
	go c.send()
	go c.sweep()
	return c
}

// stop takes no new tasks, finishes the one being sent, waits up to grace for
// the window to empty, requeues everything left, and unbinds. A dead SMSC
// cannot hold it longer than about grace.
func (c *channel) stop(grace time.Duration) {
	c.inMu.Lock()
	c.closed = true
	c.inMu.Unlock()
	close(c.stopSend)
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	select {
	case <-c.sendDone:
	case <-deadline.C:
		c.cancel() // unblocks the sender's waits for a token or a window slot
		<-c.sendDone
	}
	for {
		select {
		case t := <-c.in:
			c.queued.Add(-1)
			c.e.finish(t, app.Outcome{MessageID: t.msg.ID, Kind: app.OutcomeRetry, ErrorCode: "ESTOPPED"})
			continue
		default:
		}
		break
	}
	for c.inFlight() > 0 && c.ctx.Err() == nil {
		select {
		case <-deadline.C:
			c.cancel()
		case <-time.After(5 * time.Millisecond):
		}
	}
	c.failPending("ESTOPPED")
	c.cancel()
	<-c.connDone
}

// connect keeps a session bound until the channel stops, retrying with
// backoff. gosmpp's own rebind is off: one loop owns the session's life.
func (c *channel) connect() {
	defer close(c.connDone)
	backoff := 500 * time.Millisecond
	for c.ctx.Err() == nil {
		died := make(chan struct{})
		var once sync.Once
		kill := func() { once.Do(func() { close(died) }) }
		sess, err := gosmpp.NewSession(gosmpp.TRXConnector(c.dial, gosmpp.Auth{
			SMSC: c.cfg.Addr(), SystemID: c.cfg.SystemID, Password: c.cfg.Password,
		}), gosmpp.Settings{
			ReadTimeout:  45 * time.Second,
			WriteTimeout: 10 * time.Second,
			EnquireLink:  15 * time.Second,
			OnAllPDU:     c.onPDU,
			OnReceivingError: func(err error) {
				c.setErr("receive: " + err.Error())
				kill()
			},
			OnSubmitError: func(p pdu.PDU, err error) {
				c.setErr("write: " + err.Error())
				if inf := c.untrack(p.GetSequenceNumber()); inf != nil {
					c.answer(inf, "", app.OutcomeRetry, "ECONNLOST")
				}
				kill()
			},
			OnClosed: func(gosmpp.State) { kill() },
		}, -1)
		if err != nil {
			c.setErr("bind: " + err.Error())
			c.log.Warn("bind failed", "smsc", c.cfg.Addr(), "error", err)
			if !c.sleep(backoff) {
				return
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = 500 * time.Millisecond
		c.log.Info("bound", "smsc", c.cfg.Addr())
		c.mu.Lock()
		c.sess, c.lastErr = sess, ""
		c.mu.Unlock()
		select {
		case <-died:
			c.log.Warn("session lost", "error", c.lastError())
		case <-c.ctx.Done():
		}
		c.mu.Lock()
		c.sess = nil
		c.mu.Unlock()
		// Submits without a response may or may not have reached the SMSC;
		// they are sent again, and the duplicates this can cause are bounded
		// by the window.
		c.failPending("ECONNLOST")
		sess.Close()
		if !c.sleep(500 * time.Millisecond) {
			return
		}
	}
}

// dial connects with a deadline covering the bind, which gosmpp reads
// without one; the session's own timeouts take over after the bind.
func (c *channel) dial(addr string) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return conn, nil
}

func (c *channel) sleep(d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-c.ctx.Done():
		return false
	}
}

// enqueue hands a task to this channel's sender; false if the channel is
// stopping or its queue is full.
func (c *channel) enqueue(t *task) bool {
	c.inMu.Lock()
	defer c.inMu.Unlock()
	if c.closed {
		return false
	}
	select {
	case c.in <- t:
		c.queued.Add(1)
		return true
	default:
		return false
	}
}

// send submits queued tasks until stop.
func (c *channel) send() {
	defer close(c.sendDone)
	for {
		select {
		case <-c.stopSend:
			return
		default:
		}
		select {
		case <-c.stopSend:
			return
		case t := <-c.in:
			c.queued.Add(-1)
			c.submit(t)
		}
	}
}

// submit sends every part of one task, each within the rate and the window.
func (c *channel) submit(t *task) {
	parts, err := buildParts(t.msg, c.cfg.SourceAddr)
	if err != nil {
		c.log.Error("cannot encode message", "message", t.msg.ID, "error", err)
		c.e.finish(t, app.Outcome{MessageID: t.msg.ID, ChannelID: c.cfg.ID, Kind: app.OutcomeFailed, ErrorCode: "EENCODE"})
		return
	}
	t.begin(len(parts))
	for i, p := range parts {
		if c.limiter.Wait(c.ctx) != nil {
			break
		}
		select {
		case c.slots <- struct{}{}:
		case <-c.ctx.Done():
		}
		if c.ctx.Err() != nil {
			break
		}
		c.mu.Lock()
		sess := c.sess
		c.mu.Unlock()
		if sess == nil {
			<-c.slots
			break
		}
		seq := p.GetSequenceNumber()
		t.sending()
		c.track(seq, &inflight{t: t, part: i, at: time.Now()})
		if err := sess.Transceiver().Submit(p); err != nil {
			if inf := c.untrack(seq); inf != nil {
				c.answer(inf, "", app.OutcomeRetry, "ECONNLOST")
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
	<-c.slots
	return inf
}

// answer records one part's result and completes the task with its last.
func (c *channel) answer(inf *inflight, smscID string, kind app.OutcomeKind, code string) {
	if kind != app.OutcomeSubmitted {
		c.errors.Add(1)
	} else {
		c.submitted.Add(1)
	}
	if inf.t.answer(inf.part, smscID, kind, code) {
		c.complete(inf.t)
	}
}

// complete turns a task's part results into its outcome.
func (c *channel) complete(t *task) {
	o := app.Outcome{MessageID: t.msg.ID, ChannelID: c.cfg.ID, At: time.Now()}
	switch {
	case t.failCode != "":
		o.Kind, o.ErrorCode = app.OutcomeFailed, t.failCode
	case t.retryCode != "":
		o.Kind, o.ErrorCode, o.RetryAfter = app.OutcomeRetry, t.retryCode, time.Second
	default:
		o.Kind, o.SMSCIDs = app.OutcomeSubmitted, t.ids
	}
	c.e.finish(t, o)
}

// failPending gives up on every submit still waiting for a response.
func (c *channel) failPending(code string) {
	c.mu.Lock()
	all := c.pending
	c.pending = map[int32]*inflight{}
	c.mu.Unlock()
	for range all {
		<-c.slots
	}
	for _, inf := range all {
		c.answer(inf, "", app.OutcomeRetry, code)
	}
}

// sweep times out submits that got no response and measures the send rate.
func (c *channel) sweep() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := c.submitted.Load()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C:
			var late []int32
			c.mu.Lock()
			for seq, inf := range c.pending {
				if now.Sub(inf.at) > c.e.opts.SubmitTimeout {
					late = append(late, seq)
				}
			}
			c.mu.Unlock()
			for _, seq := range late {
				if inf := c.untrack(seq); inf != nil {
					c.answer(inf, "", app.OutcomeRetry, "ETIMEOUT")
				}
			}
			cur := c.submitted.Load()
			c.rate.Store(uint64(cur - last))
			last = cur
			for _, r := range c.e.mo.expire(now) {
				c.e.rec.replies.add(r)
			}
		}
	}
}

// onPDU handles every PDU the SMSC sends, on the session's read goroutine.
func (c *channel) onPDU(p pdu.PDU) (pdu.PDU, bool) {
	switch p := p.(type) {
	case *pdu.SubmitSMResp:
		c.onResp(p.SequenceNumber, p.CommandStatus, p.MessageID)
		return nil, false
	case *pdu.GenericNack:
		c.onResp(p.SequenceNumber, p.CommandStatus, "")
		return nil, false
	case *pdu.DeliverSM:
		c.onDeliver(p)
		return p.GetResponse(), false
	case *pdu.EnquireLink:
		return p.GetResponse(), false
	case *pdu.Unbind:
		return p.GetResponse(), true
	case *pdu.EnquireLinkResp, *pdu.UnbindResp:
		return nil, false
	default:
		c.log.Warn("unexpected PDU from SMSC", "command", fmt.Sprintf("%v", p.GetHeader().CommandID))
		if p.CanResponse() {
			return p.GetResponse(), false
		}
		return nil, false
	}
}

func (c *channel) onResp(seq int32, status data.CommandStatusType, smscID string) {
	inf := c.untrack(seq)
	if inf == nil {
		return // answered already: timed out, or the session was reset
	}
	switch {
	case status == data.ESME_ROK && smscID != "":
		c.answer(inf, smscID, app.OutcomeSubmitted, "")
	case status == data.ESME_ROK:
		c.answer(inf, "", app.OutcomeRetry, "ENOID")
	case transient(status):
		c.answer(inf, "", app.OutcomeRetry, smppCode(status))
	default:
		c.answer(inf, "", app.OutcomeFailed, smppCode(status))
	}
}

// transient reports whether an SMPP error is worth a retry.
func transient(s data.CommandStatusType) bool {
	switch s {
	case data.ESME_RTHROTTLED, data.ESME_RMSGQFUL, data.ESME_RSYSERR, data.ESME_RSUBMITFAIL, data.ESME_RX_T_APPN:
		return true
	}
	return false
}

func smppCode(s data.CommandStatusType) string { return fmt.Sprintf("SMPP_0x%02X", uint32(s)) }

func (c *channel) onDeliver(p *pdu.DeliverSM) {
	now := time.Now()
	if r, ok := parseReceipt(p); ok {
		r.ChannelID, r.At = c.cfg.ID, now
		c.e.rec.receipts.add(r)
		return
	}
	part, err := parseMO(p)
	if err != nil {
		c.log.Warn("unreadable reply from SMSC", "error", err)
		return
	}
	if r := c.e.mo.add(c.cfg.ID, part, now); r != nil {
		c.e.rec.replies.add(r)
	}
}

func (c *channel) bound() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess != nil
}

func (c *channel) inFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// load is the channel's backlog relative to its capacity, for balancing.
func (c *channel) load() float64 {
	w := max(c.cfg.Weight, 1)
	return float64(c.queued.Load()+int64(c.inFlight())) / float64(c.cfg.TPS*w)
}

func (c *channel) setErr(s string) {
	c.mu.Lock()
	c.lastErr = s
	c.mu.Unlock()
}

func (c *channel) lastError() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

func (c *channel) state() app.ChannelState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return app.ChannelState{
		Bound:     c.sess != nil,
		InFlight:  len(c.pending),
		SentPerS:  float64(c.rate.Load()),
		Submitted: c.submitted.Load(),
		Errors:    c.errors.Load(),
		LastError: c.lastErr,
	}
}
