package smscsim

import "sync/atomic"

// Stats are the simulator's counters since New. All of them are exact.
type Stats struct {
	// Binds counts successful binds.
	Binds int64 `json:"binds"`
	// Bound is the number of sessions bound now.
	Bound int `json:"bound"`
	// SubmitSM counts submit_sm PDUs received, whatever the answer.
	SubmitSM int64 `json:"submit_sm"`
	// Accepted counts submit_sm answered with status 0 (each got an id).
	Accepted int64 `json:"accepted"`
	// Throttled counts submit_sm answered with ESME_RTHROTTLED (0x58).
	Throttled int64 `json:"throttled"`
	// Errors counts submit_sm answered with ESME_RSYSERR (0x08).
	Errors int64 `json:"errors"`
	// Unique counts accepted parts seen for the first time.
	Unique int64 `json:"unique"`
	// Duplicates counts accepted parts seen before: same destination,
	// concatenation total and sequence, and text.
	Duplicates int64 `json:"duplicates"`
	// SameRefDuplicates counts accepted parts of concatenated messages
	// seen before under the same source, destination, reference, total
	// and number: a part sent again whose first answer was lost, which a
	// handset joins as one. Duplicates minus these were sent again under
	// another reference: the handset shows them twice.
	SameRefDuplicates int64 `json:"same_ref_duplicates"`
	// Incomplete is the number of concatenated sets with parts missing
	// now: once traffic has settled, orphan fragments a handset cannot
	// complete.
	Incomplete int `json:"incomplete"`
	// Messages counts accepted complete messages: every single-part submit
	// plus one for each concatenated set when its last missing part arrives.
	Messages int64 `json:"messages"`
	// ReceiptsSent counts delivery receipts acknowledged by a client.
	ReceiptsSent int64 `json:"receipts_sent"`
	// ReceiptsPending is the number of receipts waiting for a session that
	// can receive them.
	ReceiptsPending int `json:"receipts_pending"`
	// MOSent counts injected MO deliver_sm acknowledged by a client.
	MOSent int64 `json:"mo_sent"`
	// Queries counts query_sm received, answered or refused.
	Queries int64 `json:"queries"`
}

// counters are the atomics behind Stats; the pending count lives with the
// pending queue it describes.
type counters struct {
	binds, bound                          atomic.Int64
	submitSM, accepted, throttled, errors atomic.Int64
	unique, duplicates, messages, sameRef atomic.Int64
	receiptsSent, moSent, queries         atomic.Int64
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	c := &s.counters
	return Stats{
		Binds:             c.binds.Load(),
		Bound:             int(c.bound.Load()),
		SubmitSM:          c.submitSM.Load(),
		Accepted:          c.accepted.Load(),
		Throttled:         c.throttled.Load(),
		Errors:            c.errors.Load(),
		Unique:            c.unique.Load(),
		Duplicates:        c.duplicates.Load(),
		SameRefDuplicates: c.sameRef.Load(),
		Incomplete:        s.rec.incomplete(),
		Messages:          c.messages.Load(),
		ReceiptsSent:      c.receiptsSent.Load(),
		ReceiptsPending:   s.dl.pendingReceipts(),
		MOSent:            c.moSent.Load(),
		Queries:           c.queries.Load(),
	}
}
