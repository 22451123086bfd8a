package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"smsgw/app"
)

// recorder collects what the channels learn (submit outcomes, receipts,
// replies) and writes it in batches, so thousands of answers a second cost a
// few transactions. It never drops a batch on a write error: it retries.
type recorder struct {
	outcomes *batcher[outcomeItem]
	receipts *batcher[acked[app.Receipt]]
	replies  *batcher[acked[*app.Reply]]
}

// acked is something an SMSC sent that it must not be told was received
// (its deliver_sm_resp) before it is stored: ack answers once the write has
// committed. An SMSC that gets no answer sends it again, after a crash too.
type acked[T any] struct {
	v   T
	ack func() // nil: nothing to answer
}

// writeAcked stores the values with write, then answers each.
func writeAcked[T any](write func(context.Context, []T) error) func(context.Context, []acked[T]) error {
	return func(ctx context.Context, items []acked[T]) error {
		list := make([]T, len(items))
		for i, it := range items {
			list[i] = it.v
		}
		if err := write(ctx, list); err != nil {
			return err
		}
		for _, it := range items {
			if it.ack != nil {
				it.ack()
			}
		}
		return nil
	}
}

// outcomeItem is an outcome plus, for a job's last message, the job to
// complete after it.
type outcomeItem struct {
	o    app.Outcome
	done string
}

// newRecorder writes through box; recorded is told how many outcomes each
// successful write stored.
func newRecorder(box app.Outbox, log *slog.Logger, recorded func(n int)) *recorder {
	return &recorder{
		outcomes: newBatcher("outcomes", log, func(ctx context.Context, items []outcomeItem) error {
			list := make([]app.Outcome, len(items))
			var done []string
			for i, it := range items {
				list[i] = it.o
				if it.done != "" {
					done = append(done, it.done)
				}
			}
			if err := box.Record(ctx, list, done); err != nil {
				return err
			}
			recorded(len(items))
			return nil
		}),
		receipts: newBatcher("receipts", log, writeAcked(box.ApplyReceipts)),
		replies:  newBatcher("replies", log, writeAcked(box.SaveReplies)),
	}
}

// addOutcome buffers a message's outcome. The job's count is taken down in
// the same step, so a job's completion is always buffered after the outcomes
// of all its messages, never between them.
func (r *recorder) addOutcome(o app.Outcome, j *job) {
	r.outcomes.addWith(func() outcomeItem {
		done := ""
		if j.left.Add(-1) == 0 {
			done = j.id
		}
		return outcomeItem{o, done}
	})
}

// run writes until ctx is cancelled, then writes what is left and returns.
func (r *recorder) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, run := range []func(context.Context){r.outcomes.run, r.receipts.run, r.replies.run} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(ctx)
		}()
	}
	wg.Wait()
}

// maxFlush caps one write so a backlog does not become one huge transaction.
const maxFlush = 2000

type batcher[T any] struct {
	name  string
	log   *slog.Logger
	write func(context.Context, []T) error

	mu   sync.Mutex
	buf  []T
	kick chan struct{}
}

func newBatcher[T any](name string, log *slog.Logger, write func(context.Context, []T) error) *batcher[T] {
	return &batcher[T]{name: name, log: log, write: write, kick: make(chan struct{}, 1)}
}

func (b *batcher[T]) add(v T) { b.addWith(func() T { return v }) }

// addWith buffers the value make returns, computed under the buffer's lock.
func (b *batcher[T]) addWith(make func() T) {
	b.mu.Lock()
	b.buf = append(b.buf, make())
	b.mu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

func (b *batcher[T]) run(ctx context.Context) {
	for {
		select {
		case <-b.kick:
			b.flush(ctx)
		case <-ctx.Done():
			b.flush(ctx)
			return
		}
	}
}

// flush writes everything buffered, retrying failed writes with backoff.
// Once ctx is done it gives up after a few tries, logging what it could not
// write: unrecorded outcomes are resent after the next start.
func (b *batcher[T]) flush(ctx context.Context) {
	for {
		b.mu.Lock()
		n := min(len(b.buf), maxFlush)
		items := make([]T, n)
		copy(items, b.buf)
		b.mu.Unlock()
		if n == 0 {
			return
		}
		for try := 1; ; try++ {
			err := b.write(context.WithoutCancel(ctx), items)
			if err == nil {
				break
			}
			b.log.Error("recording failed; retrying", "what", b.name, "items", n, "try", try, "error", err)
			if ctx.Err() != nil && try >= 5 {
				b.log.Error("recording abandoned at shutdown", "what", b.name, "items", n)
				break
			}
			time.Sleep(min(time.Duration(try)*100*time.Millisecond, 2*time.Second))
		}
		b.mu.Lock()
		b.buf = append(b.buf[:0], b.buf[n:]...)
		b.mu.Unlock()
	}
}
