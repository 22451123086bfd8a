// Package dispatch is the sending engine: it claims queued messages, spreads
// them over the SMPP channels, records what the carriers answer, and applies
// delivery receipts and replies as they come back.
package dispatch

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"smsgw/app"
)

// Options configure an Engine. Zero values get defaults.
type Options struct {
	Outbox   app.Outbox
	Channels app.ChannelService
	// Notify, when set, wakes the engine as soon as new work is queued.
	Notify <-chan struct{}
	Logger *slog.Logger

	PollInterval   time.Duration // how often an idle engine looks for due work (1s)
	ReloadInterval time.Duration // how often channel records are re-read (1s)
	SubmitTimeout  time.Duration // how long to wait for a submit_sm_resp (10s)
	MaxHeld        int           // messages claimed but without an outcome yet (4000)
	Validity       time.Duration // how long a message may wait to be sent before it expires (24h)
	ClaimJobs      int           // jobs per claim (8)
	Grace          time.Duration // how long shutdown waits for in-flight submits (3s)
	MaintainEvery  time.Duration // how often the store's upkeep runs (1m)
	// ReceiptLinger is how long a disabled or removed channel stays bound,
	// sending nothing, to take the receipts still owed for what it sent (30s).
	ReceiptLinger time.Duration
	// Reconcile, when set, has the engine ask the SMSCs with query_sm, after
	// each start, about messages left submitted by an earlier run (see
	// reconcile.go): ReconcileAfter after the start (30s), ReconcileRate
	// queries per second per channel (10), waiting up to ReconcileWait for
	// a channel to bind (1m).
	Reconcile      app.ReconcileStore
	ReconcileAfter time.Duration
	ReconcileRate  float64
	ReconcileWait  time.Duration
}

// Engine sends queued messages through the channels.
type Engine struct {
	opts Options
	log  *slog.Logger
	rec  *recorder

	held    atomic.Int64  // messages claimed whose outcome is not stored yet
	freed   chan struct{} // signalled when outcomes were stored
	pending chan *task    // claimed, waiting for a channel with room
	room    chan struct{} // signalled when a channel's queue has room
	quit    chan struct{} // closed when shutdown begins

	mu       sync.Mutex
	channels map[int64]*channel
	retired  map[int64]app.ChannelState // last state of channels stopped since
	stopping sync.WaitGroup             // channels removed or changed, still winding down

	rmu    sync.Mutex
	rstate app.ReconcileState // this run's reconciliation (reconcile.go)
}

// New builds an engine; Run starts it.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&opts.PollInterval, time.Second)
	def(&opts.ReloadInterval, time.Second)
	def(&opts.SubmitTimeout, 10*time.Second)
	def(&opts.Validity, 24*time.Hour)
	def(&opts.Grace, 3*time.Second)
	def(&opts.MaintainEvery, time.Minute)
	def(&opts.ReceiptLinger, 30*time.Second)
	def(&opts.ReconcileAfter, 30*time.Second)
	def(&opts.ReconcileWait, time.Minute)
	if opts.ReconcileRate <= 0 {
		opts.ReconcileRate = 10
	}
	if opts.MaxHeld == 0 {
		opts.MaxHeld = 4000
	}
	if opts.ClaimJobs == 0 {
		opts.ClaimJobs = 8
	}
	e := &Engine{
		opts:     opts,
		log:      opts.Logger,
		channels: map[int64]*channel{},
		retired:  map[int64]app.ChannelState{},
		freed:    make(chan struct{}, 1),
		// A claim may overshoot MaxHeld by a few jobs; channels hand tasks
		// back here too. Sends never block in practice.
		pending: make(chan *task, 2*opts.MaxHeld+opts.ClaimJobs*256),
		room:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
	}
	e.rec = newRecorder(opts.Outbox, opts.Logger, e.recorded)
	return e
}

// Run sends until ctx is cancelled, then stops claiming, lets in-flight
// submits finish (up to Grace), records every answer and returns. Messages
// claimed but not yet sent are recorded as retries and go after the next
// start.
func (e *Engine) Run(ctx context.Context) error {
	recCtx, stopRec := context.WithCancel(context.Background())
	recDone := make(chan struct{})
	go func() {
		defer close(recDone)
		e.rec.run(recCtx)
	}()

	var wg sync.WaitGroup
	for _, f := range []func(context.Context){e.watchChannels, e.maintain, e.dispatch, e.expireReplies, e.reconcile} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
		}()
	}
	e.reload(ctx)
	e.fetch(ctx)
	close(e.quit)
	wg.Wait()

	// Shut down: every channel finishes its current message, waits for its
	// window to empty and unbinds; what no channel sent goes back to the queue.
	e.mu.Lock()
	for id, c := range e.channels {
		e.stopping.Add(1)
		go func() {
			defer e.stopping.Done()
			c.stop(e.opts.Grace, 0)
		}()
		delete(e.channels, id)
	}
	e.mu.Unlock()
	e.stopping.Wait()
	e.drainPending()
	stopRec()
	<-recDone
	return nil
}

// fetch claims jobs while some channel can send and the engine holds room
// for more messages.
func (e *Engine) fetch(ctx context.Context) {
	poll := time.NewTicker(e.opts.PollInterval)
	defer poll.Stop()
	for {
		if ctx.Err() != nil {
			return
		}
		room := int64(e.opts.MaxHeld) - e.held.Load()
		if room > 0 && e.anyAvailable() {
			n, err := e.claim(ctx, room)
			if err != nil && ctx.Err() == nil {
				e.log.Error("claiming queued messages failed", "error", err)
			}
			if n > 0 {
				continue // there may be more ready right now
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-e.opts.Notify:
		case <-poll.C:
		case <-e.freed:
		}
	}
}

// claim takes ready jobs and queues their messages for dispatch; it returns
// how many messages it took.
func (e *Engine) claim(ctx context.Context, room int64) (int, error) {
	ok, err := e.opts.Outbox.HasWork(ctx)
	if err != nil || !ok {
		return 0, err
	}
	jobs := min(int(room/200)+1, e.opts.ClaimJobs)
	claimed, err := e.opts.Outbox.Claim(context.WithoutCancel(ctx), jobs)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, j := range claimed {
		jb := &job{id: j.ID}
		jb.left.Store(int32(len(j.Messages)))
		e.held.Add(int64(len(j.Messages)))
		n += len(j.Messages)
		for _, m := range j.Messages {
			e.pending <- &task{msg: m, job: jb}
		}
	}
	return n, nil
}

// dispatch hands claimed tasks to channels as they have room.
func (e *Engine) dispatch(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-e.pending:
			e.place(ctx, t)
		}
	}
}

// place hands one task to a channel (see pick), waiting while every channel
// that could take it is full. A message past its validity expires instead;
// one that no channel can take now goes back to the queue to wait.
func (e *Engine) place(ctx context.Context, t *task) {
	start := t.msg.CreatedAt
	if t.msg.SendAt.After(start) {
		start = t.msg.SendAt // a scheduled message is valid from its time
	}
	if !start.IsZero() && time.Since(start) > e.opts.Validity {
		e.finish(t, app.Outcome{MessageID: t.msg.ID, Kind: app.OutcomeExpired, ErrorCode: app.EVALIDITY})
		return
	}
	for {
		c, busy := e.pick(t)
		if c != nil && c.enqueue(t) {
			return
		}
		if c == nil && !busy {
			e.finish(t, app.Outcome{MessageID: t.msg.ID, Kind: app.OutcomeRetry, ErrorCode: app.ENOCHANNEL, RetryAfter: 5 * time.Second})
			return
		}
		select {
		case <-e.room:
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			e.finish(t, app.Outcome{MessageID: t.msg.ID, Kind: app.OutcomeRetry, ErrorCode: app.ESTOPPED})
			return
		}
	}
}

// reroute takes a task back from channel from (stopping, or its session
// lost) to place it elsewhere. A task that went round too many channels, or
// one handed back during shutdown, goes back to the queue.
func (e *Engine) reroute(t *task, from *channel) {
	t.hops++
	t.avoid = from
	select {
	case <-e.quit:
	default:
		if t.hops <= 4 {
			select {
			case e.pending <- t:
				return
			default:
			}
		}
	}
	e.finish(t, app.Outcome{MessageID: t.msg.ID, Kind: app.OutcomeRetry, ErrorCode: app.ENOCHANNEL, RetryAfter: time.Second})
}

// drainPending records the tasks nobody took as retries, at shutdown.
func (e *Engine) drainPending() {
	for {
		select {
		case t := <-e.pending:
			e.finish(t, app.Outcome{MessageID: t.msg.ID, Kind: app.OutcomeRetry, ErrorCode: app.ESTOPPED})
		default:
			return
		}
	}
}

// finish records a task's outcome; the job goes with its last message.
func (e *Engine) finish(t *task, o app.Outcome) {
	if o.At.IsZero() {
		o.At = time.Now()
	}
	e.rec.addOutcome(o, t.job)
}

// recorded frees room for n messages once their outcomes are stored. Counting
// them held until then bounds the outcomes waiting in memory too, so a slow
// disk slows claiming, and a crash resends at most MaxHeld messages.
func (e *Engine) recorded(n int) {
	e.held.Add(-int64(n))
	select {
	case e.freed <- struct{}{}:
	default:
	}
}

// maintain runs the store's upkeep every MaintainEvery.
func (e *Engine) maintain(ctx context.Context) {
	every(ctx, e.opts.MaintainEvery, func() {
		if err := e.opts.Outbox.Maintain(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("store upkeep failed", "error", err)
		}
	})
}

// every calls f every d until ctx is done.
func every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

// job counts the messages of a claimed job that still lack an outcome.
type job struct {
	id   string
	left atomic.Int32
}
