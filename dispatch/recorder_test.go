package dispatch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"smsgw/app/apptest"
)

// TestBatcherWritesEveryItemOnce adds from many goroutines while slow
// writes run, and counts what was written.
func TestBatcherWritesEveryItemOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	b := newBatcher("test", slog.New(slog.NewTextHandler(io.Discard, nil)), func(_ context.Context, items []int) error {
		time.Sleep(time.Millisecond)
		mu.Lock()
		for _, v := range items {
			seen[v]++
		}
		mu.Unlock()
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.run(ctx); close(done) }()
	const workers, each = 8, 5000
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				b.add(w*each + i)
			}
		}()
	}
	wg.Wait()
	apptest.Eventually(t, 20*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if n := len(seen); n != workers*each {
			return fmt.Errorf("%d of %d items written", n, workers*each)
		}
		return nil
	})
	cancel()
	<-done
	if len(seen) != workers*each {
		t.Fatalf("%d of %d items written", len(seen), workers*each)
	}
	for v, c := range seen {
		if c != 1 {
			t.Fatalf("item %d written %d times", v, c)
		}
	}
}
