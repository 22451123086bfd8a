package app

import (
	"context"
	"time"
)

// Job is a unit of queued work handed to the sending engine: the sendable
// messages of one queue entry. It is completed only after every message in it
// has an outcome recorded.
type Job struct {
	ID       string
	Messages []*Message
}

// OutcomeKind says what became of one submit attempt.
type OutcomeKind int

// The outcomes of a submit attempt.
const (
	OutcomeSubmitted OutcomeKind = iota // every part accepted by the SMSC
	OutcomeRetry                        // throttled, timed out or session lost: queue again
	OutcomeFailed                       // refused for good
	OutcomeExpired                      // its validity ran out before it could go
)

// Outcome is the result of submitting one message (all its parts).
type Outcome struct {
	MessageID  int64
	ChannelID  int64
	Kind       OutcomeKind
	SMSCIDs    []string      // one per part, in part order, for OutcomeSubmitted
	ErrorCode  string        // for OutcomeFailed, OutcomeRetry
	RetryAfter time.Duration // for OutcomeRetry
	At         time.Time
}

// Receipt is a delivery report (DLR) for one part, as the SMSC sent it.
type Receipt struct {
	ChannelID int64
	SMSCID    string
	Stat      string // DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, UNKNOWN, ACCEPTD
	Err       string
	At        time.Time
}

// Delivered reports whether the receipt says the part reached the handset.
func (r *Receipt) Delivered() bool { return r.Stat == "DELIVRD" }

// Final reports whether the receipt ends the part's life (ACCEPTD and ENROUTE do not).
func (r *Receipt) Final() bool {
	switch r.Stat {
	case "ACCEPTD", "ENROUTE", "":
		return false
	}
	return true
}

// Outbox is the durable queue as the sending engine sees it. Calls from many
// goroutines are merged into few transactions.
type Outbox interface {
	// HasWork reports cheaply whether a job is ready to be claimed.
	HasWork(ctx context.Context) (bool, error)
	// Claim takes up to max ready jobs and marks their messages submitting.
	Claim(ctx context.Context, max int) ([]*Job, error)
	// Record stores submit outcomes and then completes the finished jobs, in
	// that order, in one transaction.
	Record(ctx context.Context, outcomes []Outcome, done []string) error
	// ApplyReceipts sets final statuses from receipts. A receipt whose submit
	// result is not stored yet is kept and applied when it is; a repeated
	// receipt changes nothing.
	ApplyReceipts(ctx context.Context, receipts []Receipt) error
	// SaveReplies stores replies (MO), attributing them to the message they
	// answer where it can be found.
	SaveReplies(ctx context.Context, replies []*Reply) error
	// Maintain does periodic upkeep: expires messages whose receipt never
	// came, drops stale unmatched receipts, fails jobs claimed too often.
	Maintain(ctx context.Context) error
}
