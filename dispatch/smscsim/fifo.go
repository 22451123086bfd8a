package smscsim

// fifo is a queue of deliveries that reuses its backing array, so a busy
// session does not allocate per delivery.
type fifo struct {
	items []*delivery
	head  int
}

func (q *fifo) len() int { return len(q.items) - q.head }

func (q *fifo) push(d *delivery) { q.items = append(q.items, d) }

// pop removes and returns the oldest item; the queue must not be empty.
func (q *fifo) pop() *delivery {
	d := q.items[q.head]
	q.items[q.head] = nil // let the delivery be collected once acknowledged
	q.head++
	switch {
	case q.head == len(q.items):
		q.items, q.head = q.items[:0], 0
	case q.head >= 1024 && q.head*2 >= len(q.items):
		// Compact so that a queue that never empties does not grow forever.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return d
}

// drain removes and returns all items, oldest first.
func (q *fifo) drain() []*delivery {
	out := append([]*delivery(nil), q.items[q.head:]...)
	clear(q.items)
	q.items, q.head = q.items[:0], 0
	return out
}

// pushFront puts ds, in their order, ahead of the current items.
func (q *fifo) pushFront(ds []*delivery) {
	if len(ds) == 0 {
		return
	}
	q.items = append(append(make([]*delivery, 0, len(ds)+q.len()), ds...), q.items[q.head:]...)
	q.head = 0
}

// filter keeps the items for which keep returns true, in order.
func (q *fifo) filter(keep func(*delivery) bool) {
	kept := q.items[:0]
	for _, d := range q.items[q.head:] {
		if keep(d) {
			kept = append(kept, d)
		}
	}
	clear(q.items[len(kept):])
	q.items, q.head = kept, 0
}
