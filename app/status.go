package app

import "sort"

// Status is where a message is on its way to the handset.
type Status string

// The statuses of a message. They move forward only (see moves); the final
// ones never change again.
const (
	StatusAccepted    Status = "accepted"    // stored, waiting for its scheduled time or a reviewer
	StatusQueued      Status = "queued"      // stored, waiting for a channel
	StatusSubmitting  Status = "submitting"  // handed to a channel, no answer yet
	StatusHeld        Status = "held"        // possibly submitted when the process died; an operator releases or fails it
	StatusSubmitted   Status = "submitted"   // the SMSC took it; waiting for the receipt
	StatusDelivered   Status = "delivered"   // the handset got it
	StatusUndelivered Status = "undelivered" // the carrier could not deliver it
	StatusExpired     Status = "expired"     // its validity ran out before delivery
	StatusFailed      Status = "failed"      // the SMSC refused it for good
	StatusRejected    Status = "rejected"    // refused by our own checks; never sent
	StatusCancelled   Status = "cancelled"   // a scheduled message cancelled before it went
)

// Statuses lists every status in their forward order.
var Statuses = []Status{StatusAccepted, StatusQueued, StatusSubmitting, StatusHeld, StatusSubmitted,
	StatusDelivered, StatusUndelivered, StatusExpired, StatusFailed, StatusRejected, StatusCancelled}

// InitialStatuses are the statuses a message is stored with: waiting
// (accepted), ready (queued), or refused at once (rejected, EBLACKLIST).
var InitialStatuses = []Status{StatusAccepted, StatusQueued, StatusRejected}

// moves is the status machine: every status change a message may make.
// The store enforces it on every write (a trigger made from this table);
// anything else aborts the write.
var moves = map[Status][]Status{
	// Waiting for its time or a reviewer: released, claimed when due,
	// cancelled, refused by the reviewer, or failed when its queue job died.
	StatusAccepted: {StatusQueued, StatusSubmitting, StatusCancelled, StatusRejected, StatusFailed},
	// Ready: claimed by the engine, or failed when its queue job died.
	StatusQueued: {StatusSubmitting, StatusCancelled, StatusRejected, StatusFailed},
	// With a channel: answered (submitted), refused for good (failed),
	// out of validity (expired), or back to the queue (a retry).
	StatusSubmitting: {StatusSubmitted, StatusFailed, StatusExpired, StatusQueued, StatusHeld},
	// Possibly submitted through a hold channel when the process died (see
	// OnCrashHold): an operator sends it again (queued) or fails it.
	StatusHeld: {StatusQueued, StatusFailed},
	// Waiting for the receipt: its final status, expired when none came, or
	// back to the queue once when its channel resends undelivered messages.
	StatusSubmitted: {StatusDelivered, StatusUndelivered, StatusExpired, StatusQueued},
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Final reports whether s is a final status: nothing leaves it, so a late
// or repeated receipt changes nothing.
func (s Status) Final() bool { return s.Valid() && len(moves[s]) == 0 }

// CanMove reports whether a message may go from s to next. Statuses move
// forward; the one step back is a retry (submitting or submitted back to
// queued).
func (s Status) CanMove(next Status) bool {
	for _, v := range moves[s] {
		if v == next {
			return true
		}
	}
	return false
}

// StatusMoves lists every legal change as from, to pairs, sorted: the
// store builds its trigger from it.
func StatusMoves() [][2]Status {
	var out [][2]Status
	for from, tos := range moves {
		for _, to := range tos {
			out = append(out, [2]Status{from, to})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}
