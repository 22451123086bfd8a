package dispatch

import (
	"sync"

	"smsgw/app"
)

// task is one message on its way through a channel: its parts are submitted
// one by one and answered in any order; the last answer completes it.
type task struct {
	msg *app.Message
	job *job

	mu        sync.Mutex
	parts     int
	todo      int // parts to send in this attempt: those not accepted before
	cc        app.Concat
	sent      int
	answered  int
	open      bool // the sender may still submit parts
	ids       []string
	retryCode string
	failCode  string
	unknown   bool     // some part's outcome is unknown: it may have reached the SMSC
	hops      int      // times a channel handed it back
	avoid     *channel // the channel that handed it back last
}

// begin prepares for n parts under cc, todo of them to send now.
func (t *task) begin(n, todo int, cc app.Concat) {
	t.mu.Lock()
	t.parts, t.todo, t.cc, t.open, t.ids = n, todo, cc, true, make([]string, n)
	t.mu.Unlock()
}

// sending counts a part handed to the session.
func (t *task) sending() {
	t.mu.Lock()
	t.sent++
	t.mu.Unlock()
}

// answer records one part's result; true when it was the task's last.
func (t *task) answer(part int, smscID string, kind app.OutcomeKind, code string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.answered++
	switch kind {
	case app.OutcomeSubmitted:
		t.ids[part] = smscID
	case app.OutcomeFailed:
		if t.failCode == "" {
			t.failCode = code
		}
	default:
		if t.retryCode == "" {
			t.retryCode = code
		}
	}
	return !t.open && t.answered == t.sent
}

// close ends the sending; true when every sent part is answered already.
// Parts never sent (the session went away) make the task a retry.
func (t *task) close() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.open = false
	if t.sent < t.todo && t.retryCode == "" && t.failCode == "" {
		t.retryCode = app.ENOTBOUND
	}
	return t.answered == t.sent
}

// markUnknown notes that a part may have reached the SMSC without an answer.
func (t *task) markUnknown() {
	t.mu.Lock()
	t.unknown = true
	t.mu.Unlock()
}
