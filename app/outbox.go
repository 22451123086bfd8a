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
	MessageID int64
	ChannelID int64
	Kind      OutcomeKind
	// SMSCIDs has one entry per part, in part order: the id the SMSC gave
	// the part in this attempt, on ChannelID; "" for a part this attempt
	// did not get accepted (refused, unanswered, or accepted in an earlier
	// attempt, whose id is stored already). Set for OutcomeSubmitted, and
	// for an OutcomeRetry of a long message so that its accepted parts are
	// kept and not sent again.
	SMSCIDs []string
	// Concat is the concatenation of a long message whose parts (some or
	// all) went out in this attempt: its reference, to be kept for the
	// parts still to send. Nil for a one-part message.
	Concat *Concat
	// Resumed says some parts were accepted in earlier attempts (the
	// message came with Message.Sent): the store counts their receipts in.
	Resumed    bool
	ErrorCode  string        // for OutcomeFailed, OutcomeRetry
	RetryAfter time.Duration // for OutcomeRetry
	At         time.Time
}

// Concat is how a long message is concatenated at the SMSC: every part of
// it, in every attempt, carries this reference and its own fixed number, so
// that a retry sends only the parts missing and the handset joins them with
// those accepted before (the invariant: a long message's parts go out once
// each, under one reference).
type Concat struct {
	Ref uint8 // the 8-bit UDH reference
}

// SentPart is a part of a long message an SMSC accepted in an earlier
// attempt: where, and under which id (receipts match it by both).
type SentPart struct {
	ChannelID int64
	SMSCID    string
}

// PartsSent is what earlier attempts of a long message left at the SMSCs:
// the reference they used and, per part (in part order), the part accepted,
// or the zero SentPart for a part still to send. A part whose outcome was
// unknown (sent, then the session went) counts as still to send and goes
// again under the same reference and number: at worst the handset gets
// the same part twice, which it joins as one.
type PartsSent struct {
	Concat
	Parts []SentPart
}

// Accepted reports whether part i (from 0) was accepted already.
func (p *PartsSent) Accepted(i int) bool {
	return p != nil && i < len(p.Parts) && p.Parts[i].ChannelID != 0
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
	// answer where it can be found. A reply with Part set is stored as a
	// part; the part completing a set stores the joined reply in the same
	// transaction. Nil means every reply and part is durable, so each may
	// be answered (deliver_sm_resp) then. It is idempotent within
	// ReplyResendWindow: a reply or part the SMSC sends again is not stored
	// twice (it comes back with Duplicate set), so an unsubscribe blacklists
	// and audits once.
	SaveReplies(ctx context.Context, replies []*Reply) error
	// ExpireReplyParts stores, marked Incomplete, the concatenated replies
	// whose missing parts were awaited ReplyPartsWait, and forgets the parts
	// of stored replies once a copy of them could no longer be told apart.
	ExpireReplyParts(ctx context.Context) error
	// Placed records durably that messages ids were handed to channel, a
	// hold channel (OnCrashHold), before any of their parts is submitted:
	// after a crash they are held, not sent again.
	Placed(ctx context.Context, channel int64, ids []int64) error
	// Maintain does periodic upkeep: expires messages whose receipt never
	// came, drops stale unmatched receipts, fails jobs claimed too often.
	Maintain(ctx context.Context) error
}
