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
// rebinds), sends tasks within the channel's rate and window, matches
// responses to parts and hands receipts and replies to the engine. Its
// tuning (rate, window, weight, carriers, standby, source number) can change
// while it runs; a change of SMSC address or credentials restarts it.
type channel struct {
	id      int64
	cfg     atomic.Pointer[app.Channel]
	e       *Engine
	log     *slog.Logger
	limiter *rate.Limiter
	win     *window
	in      chan *task
	queued  atomic.Int64
	inMu    sync.Mutex // guards closed against sends after stop
	closed  bool

	ctx      context.Context // cancelled at the very end of stop
	cancel   context.CancelFunc
	stopSend chan struct{}
	sendDone chan struct{}
	connDone chan struct{}

	mu           sync.Mutex
	sess         *gosmpp.Session
	pending      map[int32]*inflight
	lastErr      string
	brk          *breaker
	rateNow      float64 // the limiter's rate, lowered while the SMSC throttles
	lastThrottle time.Time
	downAt       time.Time // when the session was lost (or the channel started)

	submitted   atomic.Int64 // parts accepted by the SMSC
	lastDeliver atomic.Int64 // unix ns of the last deliver_sm (receipt or reply)
	errors      atomic.Int64
	throttled   atomic.Int64
	resent      atomic.Int64  // messages sent again after an unknown outcome
	rate        atomic.Uint64 // parts per second over the last sweep
}

// inflight is one submit_sm waiting for its response.
type inflight struct {
	t    *task
	part int
	at   time.Time
}

func startChannel(cfg *app.Channel, e *Engine) *channel {
	c := &channel{
		id:       cfg.ID,
		e:        e,
		log:      e.log.With("channel", cfg.ID),
		limiter:  rate.NewLimiter(rate.Limit(cfg.TPS), burst(cfg.TPS)),
		win:      newWindow(cfg.Window),
		in:       make(chan *task, 1024+100000/5), // full() caps the queue well below
		stopSend: make(chan struct{}),
		sendDone: make(chan struct{}),
		connDone: make(chan struct{}),
		pending:  map[int32]*inflight{},
		brk:      newBreaker(),
		rateNow:  float64(cfg.TPS),
		downAt:   time.Now(),
	}
	c.cfg.Store(cfg)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.connect()
	go c.send()
	go c.sweep()
	return c
}

// burst lets a few parts go back to back without exceeding the rate over
// any 50 ms.
func burst(tps int) int { return max(1, tps/20) }

// conf is the channel's current record.
func (c *channel) conf() *app.Channel { return c.cfg.Load() }

// retune applies a changed record that keeps the same SMSC and credentials.
func (c *channel) retune(cfg *app.Channel) {
	old := c.cfg.Swap(cfg)
	if old.TPS != cfg.TPS {
		c.mu.Lock()
		c.rateNow = float64(cfg.TPS)
		c.mu.Unlock()
		c.limiter.SetLimit(rate.Limit(cfg.TPS))
		c.limiter.SetBurst(burst(cfg.TPS))
	}
	if old.Window != cfg.Window {
		c.win.setLimit(cfg.Window)
	}
}

// stop takes no new tasks, finishes the one being sent, waits up to grace for
// the window to empty, hands everything left to other channels (or back to
// the queue), stays bound for linger to take owed receipts, and unbinds. A
// dead SMSC cannot hold it longer than about grace.
func (c *channel) stop(grace, linger time.Duration) {
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
			c.e.reroute(t, c)
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
	c.failPending(app.ESTOPPED)
	if linger > 0 && c.ctx.Err() == nil {
		// Still bound, sending nothing: receipts owed for what the channel
		// sent can still arrive, unless the engine shuts down meanwhile. An
		// SMSC holds back receipts we have not answered yet (we answer once
		// stored), so while they keep coming the channel stays, until
		// linger passes without one (at most 20 lingers in all).
		c.lastDeliver.Store(time.Now().UnixNano())
		giveUp := time.After(20 * linger)
		tick := time.NewTicker(linger / 10)
	wait:
		for {
			select {
			case <-tick.C:
				if time.Since(time.Unix(0, c.lastDeliver.Load())) >= linger {
					break wait
				}
			case <-giveUp:
				break wait
			case <-c.e.quit:
				break wait
			case <-c.ctx.Done():
				break wait
			}
		}
		tick.Stop()
	}
	c.cancel()
	<-c.connDone
}

// connect keeps a session bound until the channel stops, retrying with
// backoff. gosmpp's own rebind is off: one loop owns the session's life.
func (c *channel) connect() {
	defer close(c.connDone)
	cfg := c.conf()
	backoff := 500 * time.Millisecond
	for c.ctx.Err() == nil {
		died := make(chan struct{})
		var once sync.Once
		kill := func() { once.Do(func() { close(died) }) }
		sess, err := gosmpp.NewSession(gosmpp.TRXConnector(c.dial, gosmpp.Auth{
			SMSC: cfg.Addr(), SystemID: cfg.SystemID, Password: cfg.Password,
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
					c.unknown(inf, app.ECONNLOST)
				}
				kill()
			},
			OnClosed: func(gosmpp.State) { kill() },
		}, -1)
		if err != nil {
			c.setErr("bind: " + err.Error())
			c.log.Warn("bind failed", "smsc", cfg.Addr(), "error", err)
			if !c.sleep(backoff) {
				return
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = 500 * time.Millisecond
		c.log.Info("bound", "smsc", cfg.Addr())
		c.mu.Lock()
		c.sess, c.lastErr = sess, ""
		c.mu.Unlock()
		select {
		case <-died:
			c.log.Warn("session lost", "error", c.lastError())
		case <-c.ctx.Done():
		}
		c.mu.Lock()
		c.sess, c.downAt = nil, time.Now()
		c.mu.Unlock()
		// Submits without a response may or may not have reached the SMSC;
		// they are sent again, and the duplicates this can cause are bounded
		// by the window.
		c.failPending(app.ECONNLOST)
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
	if c.full() {
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

// full reports whether the channel's queue holds its share already: about a
// fifth of a second of work, at least a window. Short queues keep the rest
// in the engine, so a channel added or freed takes its share at once.
func (c *channel) full() bool {
	cfg := c.conf()
	return c.queued.Load() >= int64(max(cfg.Window, cfg.TPS/5))
}

// send submits queued tasks until stop. A task that finds the channel unbound
// or paused goes to another channel.
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
			select {
			case c.e.room <- struct{}{}:
			default:
			}
			if ok, _ := c.available(time.Now()); !ok && !c.waitRebind(t) {
				c.e.reroute(t, c)
				continue
			}
			c.submit(t)
		}
	}
}

// rebindWait is how long a channel that lost its session keeps its queue,
// expecting to bind again, before handing the queue to other channels.
const rebindWait = 5 * time.Second

// waitRebind waits for a lost session to come back, unless another channel
// can take t at once or the session has been gone for rebindWait already;
// it reports whether the channel can send again.
func (c *channel) waitRebind(t *task) bool {
	for {
		c.mu.Lock()
		bound, downFor := c.sess != nil, time.Since(c.downAt)
		c.mu.Unlock()
		if bound {
			ok, _ := c.available(time.Now())
			return ok
		}
		if downFor > rebindWait || c.e.othersAvailable(c, t) {
			return false
		}
		select {
		case <-c.stopSend:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// rebinding reports whether the channel lost its session less than
// rebindWait ago and is expected back.
func (c *channel) rebinding(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess == nil && now.Sub(c.downAt) < rebindWait
}

// submit sends every part of one task, each within the rate and the window.
func (c *channel) submit(t *task) {
	cfg := c.conf()
	parts, err := buildParts(t.msg, cfg.SourceAddr)
	if err != nil {
		c.log.Error("cannot encode message", "message", t.msg.ID, "error", err)
		c.e.finish(t, app.Outcome{MessageID: t.msg.ID, ChannelID: c.id, Kind: app.OutcomeFailed, ErrorCode: app.EENCODE})
		return
	}
	t.begin(len(parts))
	for i, p := range parts {
		if c.limiter.Wait(c.ctx) != nil || c.win.acquire(c.ctx) != nil {
			break
		}
		c.mu.Lock()
		sess := c.sess
		c.mu.Unlock()
		if sess == nil {
			c.win.release()
			break
		}
		seq := p.GetSequenceNumber()
		t.sending()
		c.track(seq, &inflight{t: t, part: i, at: time.Now()})
		if err := sess.Transceiver().Submit(p); err != nil {
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

// complete turns a task's part results into its outcome.
func (c *channel) complete(t *task) {
	o := app.Outcome{MessageID: t.msg.ID, ChannelID: c.id, At: time.Now()}
	switch {
	case t.failCode != "":
		o.Kind, o.ErrorCode = app.OutcomeFailed, t.failCode
	case t.retryCode != "":
		o.Kind, o.ErrorCode, o.RetryAfter = app.OutcomeRetry, t.retryCode, retryDelay(t)
		if t.unknown {
			c.resent.Add(1)
		}
	default:
		o.Kind, o.SMSCIDs = app.OutcomeSubmitted, t.ids
	}
	c.e.finish(t, o)
}

// retryDelay backs off with the attempts a message has had; an unknown
// outcome (the SMSC may have it) and throttling retry soon.
func retryDelay(t *task) time.Duration {
	switch {
	case t.unknown:
		return 0
	case t.retryCode == smppCode(data.ESME_RTHROTTLED):
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

// sweep times out submits that got no response, restores a throttled rate,
// and measures the send rate, once a second.
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
					c.unknown(inf, app.ETIMEOUT)
				}
			}
			c.recoverRate(now)
			cur := c.submitted.Load()
			c.rate.Store(uint64(cur - last))
			last = cur
			for _, r := range c.e.mo.expire(now) {
				c.e.rec.replies.add(acked[*app.Reply]{v: r})
			}
		}
	}
}

// onThrottle slows the channel down when the SMSC says it is sending too
// fast: 30% less, at most once per half second (a whole window of throttled
// answers is one signal), down to a twentieth of its TPS.
func (c *channel) onThrottle() {
	c.throttled.Add(1)
	tps := float64(c.conf().TPS)
	now := time.Now()
	c.mu.Lock()
	if now.Sub(c.lastThrottle) < 500*time.Millisecond {
		c.mu.Unlock()
		return
	}
	c.rateNow = max(c.rateNow*0.7, max(1, tps/20))
	c.lastThrottle = now
	r := c.rateNow
	c.mu.Unlock()
	c.limiter.SetLimit(rate.Limit(r))
}

// recoverRate raises a throttled rate by a tenth of the TPS a second once
// the SMSC has not throttled for a second, back up to the channel's TPS.
func (c *channel) recoverRate(now time.Time) {
	tps := float64(c.conf().TPS)
	c.mu.Lock()
	if c.rateNow >= tps || now.Sub(c.lastThrottle) < time.Second {
		c.mu.Unlock()
		return
	}
	c.rateNow = min(tps, c.rateNow+tps/10)
	r := c.rateNow
	c.mu.Unlock()
	c.limiter.SetLimit(rate.Limit(r))
}

// onPDU handles every PDU the SMSC sends, on the session's read goroutine,
// where a panic would end the process: a PDU that trips a bug is logged and
// still answered.
func (c *channel) onPDU(p pdu.PDU) (resp pdu.PDU, closeBind bool) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("handling a PDU from the SMSC failed", "command", fmt.Sprintf("%v", p.GetHeader().CommandID), "panic", r)
			if p.CanResponse() {
				resp, closeBind = p.GetResponse(), false
			}
		}
	}()
	switch p := p.(type) {
	case *pdu.SubmitSMResp:
		c.onResp(p.SequenceNumber, p.CommandStatus, p.MessageID)
		return nil, false
	case *pdu.GenericNack:
		c.onResp(p.SequenceNumber, p.CommandStatus, "")
		return nil, false
	case *pdu.DeliverSM:
		c.onDeliver(p) // answered once stored
		return nil, false
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
	now := time.Now()
	switch {
	case status == data.ESME_ROK:
		// Taken, even without an id (then no receipt can match; the upkeep
		// expires it): sending it again would reach the handset twice.
		c.judge(now, true)
		c.answer(inf, smscID, app.OutcomeSubmitted, "")
	case status == data.ESME_RTHROTTLED:
		c.onThrottle()
		c.answer(inf, "", app.OutcomeRetry, smppCode(status))
	case transient(status):
		c.judge(now, false)
		c.answer(inf, "", app.OutcomeRetry, smppCode(status))
	default:
		c.judge(now, false)
		c.answer(inf, "", app.OutcomeFailed, smppCode(status))
	}
}

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

// available reports whether the channel may take traffic: bound and its
// breaker not open; probing means one message at a time.
func (c *channel) available(now time.Time) (ok, probing bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return false, false
	}
	return c.brk.allow(now)
}

// transient reports whether an SMPP error is worth a retry.
func transient(s data.CommandStatusType) bool {
	switch s {
	case data.ESME_RTHROTTLED, data.ESME_RMSGQFUL, data.ESME_RSYSERR, data.ESME_RSUBMITFAIL, data.ESME_RX_T_APPN:
		return true
	}
	return false
}

func smppCode(s data.CommandStatusType) string { return app.SMPPCode(uint32(s)) }

func (c *channel) onDeliver(p *pdu.DeliverSM) {
	now := time.Now()
	c.lastDeliver.Store(now.UnixNano())
	ack := c.answerLater(p)
	if r, ok := parseReceipt(p); ok {
		r.ChannelID, r.At = c.id, now
		c.e.rec.receipts.add(acked[app.Receipt]{r, ack})
		return
	}
	part, err := parseMO(p)
	if err != nil {
		c.log.Warn("unreadable reply from SMSC", "error", err)
		ack() // it would come back unreadable again
		return
	}
	r := c.e.mo.add(c.id, part, now)
	if r == nil {
		// A part of a longer reply, held in memory until the rest arrive:
		// answered at once, or an SMSC that sends one part at a time
		// would wait for ever. A crash loses the parts held.
		ack()
		return
	}
	c.e.rec.replies.add(acked[*app.Reply]{r, ack})
}

// answerLater returns the function that sends p's response on the session
// p came in on. If that session is gone by then, the SMSC sends p again on
// the next one, and storing it again changes nothing for a receipt.
func (c *channel) answerLater(p *pdu.DeliverSM) func() {
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	resp := p.GetResponse()
	return func() {
		if sess == nil {
			// It came between the bind and the session being noted here.
			c.mu.Lock()
			sess = c.sess
			c.mu.Unlock()
		}
		if sess != nil {
			_ = sess.Transceiver().Submit(resp)
		}
	}
}

func (c *channel) inFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// backlog is the channel's work in hand in seconds at its TPS.
func (c *channel) backlog() float64 {
	return float64(c.queued.Load()+int64(c.inFlight())) / float64(c.conf().TPS)
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
		Bound:         c.sess != nil,
		Paused:        c.brk.state != breakerClosed,
		InFlight:      len(c.pending),
		Queued:        int(c.queued.Load()),
		SentPerS:      float64(c.rate.Load()),
		RateLimit:     c.rateNow,
		Submitted:     c.submitted.Load(),
		Errors:        c.errors.Load(),
		Throttled:     c.throttled.Load(),
		UnknownResent: c.resent.Load(),
		LastError:     c.lastErr,
	}
}
