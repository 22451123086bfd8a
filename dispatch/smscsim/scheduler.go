package smscsim

import (
	"container/heap"
	"sync"
	"time"
)

// scheduler holds deliveries that are not due yet, in one time-ordered
// heap served by one goroutine: no timer or goroutine per receipt.
type scheduler struct {
	mu   sync.Mutex
	h    timeHeap
	next uint64        // insertion counter; keeps equal due times in order
	wake chan struct{} // a new earliest entry arrived
}

// timed is a heap entry: a receipt to build at due, or a built delivery to
// offer again.
type timed struct {
	due time.Time
	n   uint64
	job *receiptJob
	d   *delivery
}

func (q *scheduler) init() { q.wake = make(chan struct{}, 1) }

// pushJob schedules a receipt to be built and routed at due.
func (q *scheduler) pushJob(due time.Time, j *receiptJob) { q.push(timed{due: due, job: j}) }

// pushDelivery schedules an already built delivery to be routed at due.
func (q *scheduler) pushDelivery(due time.Time, d *delivery) { q.push(timed{due: due, d: d}) }

func (q *scheduler) push(t timed) {
	q.mu.Lock()
	t.n = q.next
	q.next++
	heap.Push(&q.h, t)
	first := q.h[0].n == t.n
	q.mu.Unlock()
	// Only a new head changes when the scheduler must wake up; with a
	// constant delay that is rare, so a busy server seldom signals.
	if first {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// popDue removes the entries due at now and returns them with the due time
// of the next entry (zero if none).
func (q *scheduler) popDue(now time.Time, buf []timed) ([]timed, time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.h) > 0 && !q.h[0].due.After(now) {
		buf = append(buf, heap.Pop(&q.h).(timed))
	}
	if len(q.h) == 0 {
		return buf, time.Time{}
	}
	return buf, q.h[0].due
}

// runScheduler routes receipts as they fall due, until Close.
func (s *Server) runScheduler() {
	defer s.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var due []timed
	var ds []*delivery
	for {
		now := time.Now()
		var next time.Time
		due, next = s.sched.popDue(now, due[:0])
		if len(due) > 0 {
			ds = ds[:0]
			for _, t := range due {
				if t.job != nil {
					ds = append(ds, t.job.delivery(now))
				} else {
					ds = append(ds, t.d)
				}
			}
			s.dl.routeAll(ds)
			clear(due)
			clear(ds)
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = next.Sub(now)
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-s.sched.wake:
		case <-s.quit:
			return
		}
	}
}

// timeHeap orders entries by due time, then by insertion.
type timeHeap []timed

func (h timeHeap) Len() int { return len(h) }
func (h timeHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].n < h[j].n
	}
	return h[i].due.Before(h[j].due)
}
func (h timeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timeHeap) Push(x any)   { *h = append(*h, x.(timed)) }
func (h *timeHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = timed{}
	*h = old[:len(old)-1]
	return t
}
