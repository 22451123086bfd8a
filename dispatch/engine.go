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
}

// Engine sends queued messages through the channels.
type Engine struct {
	opts Options
	log  *slog.Logger
	rec  *recorder
	mo   *assembler

	held  atomic.Int64  // messages claimed, no outcome yet
	freed chan struct{} // signalled when held falls to half of MaxHeld

	mu       sync.Mutex
	channels map[int64]*channel
	stopping sync.WaitGroup // channels removed or changed, still winding down
}

// New builds an engine; Run starts it.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Second
	}
	if opts.ReloadInterval == 0 {
		opts.ReloadInterval = time.Second
	}
	if opts.SubmitTimeout == 0 {
		opts.SubmitTimeout = 10 * time.Second
	}
	if opts.MaxHeld == 0 {
		opts.MaxHeld = 4000
	}
	if opts.ClaimJobs == 0 {
		opts.ClaimJobs = 8
	}
	if opts.Grace == 0 {
		opts.Grace = 3 * time.Second
	}
	if opts.MaintainEvery == 0 {
		opts.MaintainEvery = time.Minute
	}
	if opts.Validity == 0 {
		opts.Validity = 24 * time.Hour
	}
	e := &Engine{opts: opts, log: opts.Logger, channels: map[int64]*channel{}, freed: make(chan struct{}, 1)}
	e.rec = newRecorder(opts.Outbox, opts.Logger)
	e.mo = newAssembler(time.Minute)
	return e
}

// Run sends until ctx is cancelled, then stops claiming, lets in-flight
// submits finish (up to Grace), records every answer and returns. Messages
// claimed but not yet sent stay in their jobs and go after the next start.
func (e *Engine) Run(ctx context.Context) error {
	recCtx, stopRec := context.WithCancel(context.Background())
	recDone := make(chan struct{})
	go func() {
		defer close(recDone)
		e.rec.run(recCtx)
	}()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		e.watchChannels(ctx)
	}()
	go func() {
		defer wg.Done()
		e.maintain(ctx)
	}()
	e.reload(ctx)
	e.fetch(ctx)
	wg.Wait()

	// Shut down: every channel finishes its current message, waits for its
	// window to empty and unbinds.
	e.mu.Lock()
	var stopping sync.WaitGroup
	for id, c := range e.channels {
		stopping.Add(1)
		go func() {
			defer stopping.Done()
			c.stop(e.opts.Grace)
		}()
		delete(e.channels, id)
	}
	e.mu.Unlock()
	stopping.Wait()
	e.stopping.Wait()
	stopRec()
	<-recDone
	return nil
}

// fetch claims jobs while some channel is bound and the engine holds room for
// more messages, and routes their messages to channels.
func (e *Engine) fetch(ctx context.Context) {
	poll := time.NewTicker(e.opts.PollInterval)
	defer poll.Stop()
	for {
		if ctx.Err() != nil {
			return
		}
		room := int64(e.opts.MaxHeld) - e.held.Load()
		if room > 0 && e.anyBound() {
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

// claim takes ready jobs and routes their messages; it returns how many
// messages it took.
func (e *Engine) claim(ctx context.Context, room int64) (int, error) {
	ok, err := e.opts.Outbox.HasWork(ctx)
	if err != nil || !ok {
		return 0, err
	}
	jobs := int(room/200) + 1
	jobs = min(jobs, e.opts.ClaimJobs)
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
			e.route(&task{msg: m, job: jb})
		}
	}
	return n, nil
}

// route hands a task to a channel (see pick). A message past its validity
// expires instead; with no channel able to take it, it goes back to the
// queue to wait.
func (e *Engine) route(t *task) {
	start := t.msg.CreatedAt
	if t.msg.SendAt.After(start) {
		start = t.msg.SendAt // a scheduled message is valid from its time
	}
	if !start.IsZero() && time.Since(start) > e.opts.Validity {
		e.finish(t, app.Outcome{MessageID: t.msg.ID, Kind: app.OutcomeExpired, ErrorCode: "EVALIDITY"})
		return
	}
	e.reroute(t, nil)
}

// reroute hands a task to a channel other than from (nil: any). A task
// that went round too many channels goes back to the queue.
func (e *Engine) reroute(t *task, from *channel) {
	t.hops++
	if t.hops <= 4 {
		for tries := 0; tries < 3; tries++ {
			c := e.pick(t, from)
			if c == nil {
				break
			}
			if c.enqueue(t) {
				return
			}
		}
	}
	e.finish(t, app.Outcome{MessageID: t.msg.ID, Kind: app.OutcomeRetry, ErrorCode: "ENOCHANNEL", RetryAfter: 5 * time.Second})
}

// pick chooses the channel for a message: among the channels that are bound,
// not paused and serve the number's carrier, the primary with the least work
// in hand relative to its TPS and weight; standby channels only when every
// primary is down or saturated (more than a second of work in hand). The
// channel that last failed the message is avoided when another can take it.
func (e *Engine) pick(t *task, exclude *channel) *channel {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	var best [2]*channel // best primary, best standby
	var score [2]float64
	var fallback *channel // the last failed channel, if nothing else fits
	for _, c := range e.channels {
		cfg := c.conf()
		if c == exclude || !cfg.Serves(t.msg.Carrier) || cfg.Weight == 0 {
			continue
		}
		ok, probing := c.available(now)
		if !ok {
			continue
		}
		backlog := c.backlog()
		if probing && backlog > 0 {
			continue // a probing channel takes one message at a time
		}
		if c.id == t.msg.ChannelID {
			fallback = c
			continue
		}
		tier := 0
		if cfg.Standby {
			tier = 1
		}
		if s := backlog / float64(cfg.Weight); best[tier] == nil || s < score[tier] {
			best[tier], score[tier] = c, s
		}
	}
	switch {
	case best[0] != nil && (score[0]*float64(best[0].conf().Weight) < 1 || best[1] == nil):
		return best[0]
	case best[1] != nil:
		return best[1]
	}
	return fallback
}

// finish records a task's outcome and, with its job's last message, the job.
func (e *Engine) finish(t *task, o app.Outcome) {
	if o.At.IsZero() {
		o.At = time.Now()
	}
	e.rec.addOutcome(o, t.job)
	if e.held.Add(-1) == int64(e.opts.MaxHeld/2) {
		select {
		case e.freed <- struct{}{}:
		default:
		}
	}
}

func (e *Engine) anyBound() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.channels {
		if ok, _ := c.available(time.Now()); ok {
			return true
		}
	}
	return false
}

// ChannelStates reports every running channel's live state.
func (e *Engine) ChannelStates() map[int64]app.ChannelState {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[int64]app.ChannelState, len(e.channels))
	for id, c := range e.channels {
		out[id] = c.state()
	}
	return out
}

// job counts the messages of a claimed job that still lack an outcome.
type job struct {
	id   string
	left atomic.Int32
}

// maintain runs the store's upkeep every MaintainEvery.
func (e *Engine) maintain(ctx context.Context) {
	t := time.NewTicker(e.opts.MaintainEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.opts.Outbox.Maintain(ctx); err != nil && ctx.Err() == nil {
				e.log.Error("store upkeep failed", "error", err)
			}
		}
	}
}
