package dispatch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"smsgw/app"
)

// CallbackSender posts the callbacks the store owes to apps' URLs, signed
// with each app's secret, until each is delivered or given up. A callback
// is stored with the review that caused it, so a restart loses none.
type CallbackSender struct {
	Store    app.CallbackStore
	Client   *http.Client  // nil: a client with a 10 s timeout
	Interval time.Duration // how often to look for due callbacks; 0: 1 s
	Logger   *slog.Logger
}

// Run delivers callbacks until ctx ends.
func (s *CallbackSender) Run(ctx context.Context) {
	if s.Client == nil {
		s.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if s.Interval == 0 {
		s.Interval = time.Second
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	t := time.NewTicker(s.Interval)
	defer t.Stop()
	for {
		s.deliverDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// deliverDue makes one attempt at each due callback.
func (s *CallbackSender) deliverDue(ctx context.Context) {
	due, err := s.Store.DueCallbacks(ctx, 50)
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Error("reading due callbacks", "error", err)
		}
		return
	}
	for _, c := range due {
		err := s.post(ctx, c)
		if ctx.Err() != nil {
			return // stopping: the attempt is not the callback's fault
		}
		if err != nil {
			s.Logger.Warn("callback failed", "app", c.APIKeyID, "event", c.Event, "attempt", c.Attempts+1, "error", err)
		}
		if err := s.Store.CallbackDone(ctx, c.ID, err); err != nil && ctx.Err() == nil {
			s.Logger.Error("recording a callback attempt", "error", err)
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
