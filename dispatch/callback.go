package dispatch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"smsgw/app"
)

// CallbackSender posts the callbacks the store owes to apps' URLs, signed
// with each app's secret, until each is delivered or given up. A callback
// is stored with the event that caused it, so a restart loses none.
//
// Each app is a lane of its own (issue 14, item 14): an app's callbacks go
// one at a time, in order, while other apps' go at the same time, up to
// Lanes apps at once; so a receiver that is slow or never answers delays
// only its own app. After a failure the store holds the app's other
// callbacks for the same backoff as the failed one. The sender carries any
// event the store queues: it reads only the URL, event name and body.
type CallbackSender struct {
	Store app.CallbackStore
	// Client sends the callbacks; nil: CallbackClient(AllowPrivate, 0),
	// which refuses loopback, private and link-local targets unless
	// AllowPrivate, and follows no redirect.
	Client       *http.Client
	AllowPrivate bool
	Lanes        int           // apps delivered to at once; 0: 16
	Interval     time.Duration // how often to look for due callbacks; 0: 1 s
	Logger       *slog.Logger
}

// dueBatch is how many due callbacks one look reads (the store gives each
// app at most a few of them, so busy apps do not crowd out the rest).
const dueBatch = 200

// Run delivers callbacks until ctx ends, then waits for the attempts in
// flight to stop.
func (s *CallbackSender) Run(ctx context.Context) {
	if s.Client == nil {
		s.Client = CallbackClient(s.AllowPrivate, 0)
	}
	if s.Interval == 0 {
		s.Interval = time.Second
	}
	if s.Lanes <= 0 {
		s.Lanes = 16
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l := &lanes{busy: map[int64]bool{}, free: make(chan struct{}, 1)}
	defer s.Client.CloseIdleConnections()
	defer l.wg.Wait()
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		s.startDue(ctx, l)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.free: // a lane ended: what waited for one may start
		}
	}
}

// lanes are the apps being delivered to.
type lanes struct {
	mu   sync.Mutex
	busy map[int64]bool
	wg   sync.WaitGroup
	free chan struct{}
}

// startDue starts a lane for each app with due callbacks and none running,
// while there is room.
func (s *CallbackSender) startDue(ctx context.Context, l *lanes) {
	due, err := s.Store.DueCallbacks(ctx, dueBatch)
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Error("reading due callbacks", "error", err)
		}
		return
	}
	var order []int64
	byApp := map[int64][]*app.Callback{}
	for _, c := range due {
		if byApp[c.APIKeyID] == nil {
			order = append(order, c.APIKeyID)
		}
		byApp[c.APIKeyID] = append(byApp[c.APIKeyID], c)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range order {
		if len(l.busy) >= s.Lanes {
			return
		}
		if l.busy[id] {
			continue
		}
		l.busy[id] = true
		l.wg.Add(1)
		go func(id int64, list []*app.Callback) {
			defer l.wg.Done()
			s.deliver(ctx, list)
			l.mu.Lock()
			delete(l.busy, id)
			l.mu.Unlock()
			select {
			case l.free <- struct{}{}:
			default:
			}
		}(id, byApp[id])
	}
}

// deliver makes one attempt at each of an app's due callbacks, in order,
// and stops at the first failure.
func (s *CallbackSender) deliver(ctx context.Context, list []*app.Callback) {
	for _, c := range list {
		err := s.post(ctx, c)
		if ctx.Err() != nil {
			return // stopping: the attempt is not the callback's fault
		}
		if err != nil {
			s.Logger.Warn("callback failed", "app", c.APIKeyID, "event", c.Event, "attempt", c.Attempts+1, "error", err)
		}
		if err := s.Store.CallbackDone(ctx, c.ID, err); err != nil && ctx.Err() == nil {
			s.Logger.Error("recording a callback attempt", "error", err)
			return
		}
		if err != nil {
			return
		}
	}
}

// post sends one callback; any 2xx answer delivers it.
func (s *CallbackSender) post(ctx context.Context, c *app.Callback) error {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(c.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Smsgw-Event", c.Event)
	req.Header.Set("X-Smsgw-Timestamp", ts)
	req.Header.Set("X-Smsgw-Signature", app.SignCallback(c.Secret, ts, c.Body))
	resp, err := s.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
