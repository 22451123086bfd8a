package dispatch

import (
	"context"
	"sync"
)

// window limits the submits in flight on a channel. Unlike a buffered
// channel its limit can change while in use: an edited window, or a circuit
// breaker letting a single probe through.
type window struct {
	mu    sync.Mutex
	limit int
	used  int
	wake  chan struct{} // closed when a slot frees or the limit rises
}

func newWindow(limit int) *window {
	return &window{limit: limit, wake: make(chan struct{})}
}

// acquire takes a slot, waiting until one is free or ctx is done.
func (w *window) acquire(ctx context.Context) error {
	for {
		w.mu.Lock()
		if w.used < w.limit {
			w.used++
			w.mu.Unlock()
			return nil
		}
		wake := w.wake
		w.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release frees a slot taken by acquire.
func (w *window) release() {
	w.mu.Lock()
	w.used--
	w.signal()
	w.mu.Unlock()
}

// setLimit changes the limit; slots in use above it drain as they are released.
func (w *window) setLimit(n int) {
	w.mu.Lock()
	w.limit = n
	w.signal()
	w.mu.Unlock()
}

// signal wakes every waiter; the caller holds mu.
func (w *window) signal() {
	close(w.wake)
	w.wake = make(chan struct{})
}
