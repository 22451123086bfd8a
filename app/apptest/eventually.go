// Package apptest holds the helpers the tests of every layer share. It uses
// only the standard library, like app.
package apptest

import (
	"testing"
	"time"
)

// Eventually waits until cond returns nil, checking at once and then every
// few milliseconds (2 ms, doubling to 50 ms), and fails tb when within has
// passed, with cond's last error saying what it saw. It is how a test waits
// for something another goroutine or process does: never a bare sleep,
// never a timing assertion (within is a generous bound, not a target).
func Eventually(tb testing.TB, within time.Duration, cond func() error) {
	tb.Helper()
	deadline := time.Now().Add(within)
	pause := 2 * time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not within %v: %v", within, err)
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}
