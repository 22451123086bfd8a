package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"smsgw/app"
	"smsgw/dispatch/smpp"
)

// channel schedules one SMSC's traffic: it sends tasks within the
// channel's rate and window, matches responses to parts, retries and fails
// over, and hands receipts and replies to the engine through its sink. The
// SMPP session itself (binding, PDUs, parsing) is smpp.Session's. Its tuning
// (rate, window, weight, carriers, standby, source number) can change while
// it runs; a change of SMSC address or credentials restarts it.
type channel struct {
	id            int64
	cfg           atomic.Pointer[app.Channel]
	sink          sink
	quit          <-chan struct{} // closed when the engine shuts down
	submitTimeout time.Duration
	log           *slog.Logger
	sess          *smpp.Session
	limiter       *rate.Limiter
	win           *window
	in            chan *task
	queued        atomic.Int64
	inMu          sync.Mutex // guards closed against sends after stop
	closed        bool

	ctx      context.Context // cancelled at the very end of stop
	cancel   context.CancelFunc
	stopSend chan struct{}
	sendDone chan struct{}

	mu       sync.Mutex
	bound    bool
	pending  map[int32]*inflight
	lastErr  string
	brk      *breaker
	rateNow  float64   // the limiter's rate: the SMSC's rate as learned (throttle.go)
	downAt   time.Time // when the session was lost (or the channel started)
	waiting  int       // parts waiting to be submitted again (see again)
	stopping bool      // stop has begun: no part waits to go again

	retries sync.WaitGroup // the goroutines of again

	submitted atomic.Int64 // parts accepted by the SMSC
	errors    atomic.Int64
	throttled atomic.Int64
	resent    atomic.Int64  // messages sent again after an unknown outcome
	rate      atomic.Uint64 // parts per second over the last sweep
}

// channelOptions is what a channel gets from the engine that starts it.
type channelOptions struct {
	sink          sink
	quit          <-chan struct{} // closed when the engine shuts down
	submitTimeout time.Duration   // how long a submit waits for its response
	log           *slog.Logger
}

func startChannel(cfg *app.Channel, o channelOptions) *channel {
	c := &channel{
		id:            cfg.ID,
		sink:          o.sink,
		quit:          o.quit,
		submitTimeout: o.submitTimeout,
		log:           o.log.With("channel", cfg.ID),
		limiter:       rate.NewLimiter(rate.Limit(cfg.TPS), burst(float64(cfg.TPS))),
		win:           newWindow(cfg.Window),
		in:            make(chan *task, 1024+100000/5), // full() caps the queue well below
		stopSend:      make(chan struct{}),
		sendDone:      make(chan struct{}),
		pending:       map[int32]*inflight{},
		brk:           newBreaker(),
		rateNow:       float64(cfg.TPS),
		downAt:        time.Now(),
	}
	c.cfg.Store(cfg)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.sess = smpp.Open(c.ctx, smpp.Config{
		Addr: cfg.Addr(), SystemID: cfg.SystemID, Password: cfg.Password,
		Handler: (*events)(c), Logger: c.log,
	})
	go c.send()
	go c.sweep()
	return c
}

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
		c.limiter.SetBurst(burst(float64(cfg.TPS)))
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
	c.mu.Lock()
	c.stopping = true
	c.mu.Unlock()
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
			c.sink.reroute(t, c)
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
		c.linger(linger)
	}
	c.cancel()
	c.retries.Wait()
	<-c.sess.Done()
}

// linger keeps the channel bound, sending nothing: receipts owed for what
// it sent can still arrive, unless the engine shuts down meanwhile. An SMSC
// holds back receipts we have not answered yet (we answer once stored), so
// while they keep coming the channel stays, until linger passes without one
// (at most 20 lingers in all).
func (c *channel) linger(linger time.Duration) {
	since := time.Now()
	giveUp := time.After(20 * linger)
	tick := time.NewTicker(linger / 10)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			last := c.sess.LastDeliver()
			if last.Before(since) {
				last = since
			}
			if time.Since(last) >= linger {
				return
			}
		case <-giveUp:
			return
		case <-c.quit:
			return
		case <-c.ctx.Done():
			return
		}
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
			c.sink.roomFreed()
			batch := []*task{t}
			if c.conf().OnCrash == app.OnCrashHold {
				batch = c.place(batch)
			}
			for i, t := range batch {
				select {
				case <-c.stopSend:
					for _, t := range batch[i:] {
						c.sink.reroute(t, c)
					}
					return
				default:
				}
				if ok, _ := c.available(time.Now()); !ok && !c.waitRebind(t) {
					c.sink.reroute(t, c)
					continue
				}
				c.submit(t)
			}
		}
	}
}

// place takes up to a window's worth more of the queued tasks and records
// durably, in one write, that they are this hold channel's before any part
// of them goes: a crash from here on holds them rather than sending them
// again. If the write fails they go to the queue unsent.
func (c *channel) place(batch []*task) []*task {
	for len(batch) < c.conf().Window {
		select {
		case t := <-c.in:
			c.queued.Add(-1)
			batch = append(batch, t)
			continue
		default:
		}
		break
	}
	c.sink.roomFreed()
	ids := make([]int64, len(batch))
	for i, t := range batch {
		ids[i] = t.msg.ID
	}
	if err := c.sink.placed(c.id, ids); err != nil {
		c.log.Error("cannot record the placement of held-on-crash messages; they go back to the queue", "error", err)
		for _, t := range batch {
			c.sink.finish(t, app.Outcome{MessageID: t.msg.ID, ChannelID: c.id, Kind: app.OutcomeRetry, ErrorCode: app.ESTOPPED, RetryAfter: time.Second})
		}
		return nil
	}
	return batch
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
		bound, downFor := c.bound, time.Since(c.downAt)
		c.mu.Unlock()
		if bound {
			ok, _ := c.available(time.Now())
			return ok
		}
		if downFor > rebindWait || c.sink.othersAvailable(c, t) {
			return false
		}
		select {
		case <-c.stopSend:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}
