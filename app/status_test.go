package app_test

import (
	"testing"

	"smsgw/app"
)

func TestStatus_CanMove(t *testing.T) {
	tests := []struct {
		from, to app.Status
		ok       bool
	}{
		{app.StatusAccepted, app.StatusQueued, true},
		{app.StatusAccepted, app.StatusSubmitting, true},
		{app.StatusQueued, app.StatusSubmitting, true},
		{app.StatusSubmitting, app.StatusSubmitted, true},
		{app.StatusSubmitted, app.StatusDelivered, true},
		{app.StatusSubmitted, app.StatusUndelivered, true},
		{app.StatusSubmitted, app.StatusExpired, true},
		{app.StatusSubmitting, app.StatusFailed, true},
		{app.StatusSubmitting, app.StatusExpired, true},
		{app.StatusQueued, app.StatusFailed, true},
		{app.StatusQueued, app.StatusExpired, false}, // validity is judged once claimed
		{app.StatusAccepted, app.StatusDelivered, false},
		{app.StatusAccepted, app.StatusCancelled, true},
		{app.StatusQueued, app.StatusRejected, true},
		// The one step back: a retry.
		{app.StatusSubmitting, app.StatusQueued, true},
		{app.StatusSubmitted, app.StatusQueued, true},
		// Backwards otherwise, sideways into cancel/reject late, or out of a final status: never.
		{app.StatusSubmitted, app.StatusSubmitting, false},
		{app.StatusQueued, app.StatusAccepted, false},
		{app.StatusSubmitting, app.StatusCancelled, false},
		{app.StatusSubmitted, app.StatusRejected, false},
		{app.StatusDelivered, app.StatusUndelivered, false},
		{app.StatusUndelivered, app.StatusDelivered, false},
		{app.StatusFailed, app.StatusQueued, false},
		{app.StatusCancelled, app.StatusQueued, false},
		{app.StatusDelivered, app.StatusDelivered, false},
		{app.StatusQueued, app.Status("lost"), false},
	}
	for _, tt := range tests {
		if got := tt.from.CanMove(tt.to); got != tt.ok {
			t.Errorf("%s -> %s: got %v, want %v", tt.from, tt.to, got, tt.ok)
		}
	}
	for _, s := range app.Statuses {
		if s.Final() {
			for _, next := range app.Statuses {
				if s.CanMove(next) {
					t.Errorf("final status %s can move to %s", s, next)
				}
			}
		}
	}
}

// TestStatusMoves: the pairs the store's trigger is made from are exactly
// the moves CanMove allows, and every status is reachable from a status a
// message is stored with.
func TestStatusMoves(t *testing.T) {
	allowed := map[[2]app.Status]bool{}
	for _, m := range app.StatusMoves() {
		allowed[m] = true
	}
	for _, from := range app.Statuses {
		for _, to := range app.Statuses {
			if allowed[[2]app.Status{from, to}] != from.CanMove(to) {
				t.Errorf("%s -> %s: StatusMoves and CanMove disagree", from, to)
			}
		}
	}
	reached := map[app.Status]bool{}
	next := append([]app.Status(nil), app.InitialStatuses...)
	for len(next) > 0 {
		s := next[0]
		next = next[1:]
		if reached[s] {
			continue
		}
		reached[s] = true
		for _, to := range app.Statuses {
			if s.CanMove(to) {
				next = append(next, to)
			}
		}
	}
	for _, s := range app.Statuses {
		if !reached[s] {
			t.Errorf("no message can ever be %s", s)
		}
	}
}
