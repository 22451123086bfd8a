package apptest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeTB records a failure instead of ending the test that runs it.
type fakeTB struct {
	testing.TB
	failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = format
	if len(args) > 1 {
		f.failed = args[1].(error).Error()
	}
}

func TestEventuallyWaitsForCondition(t *testing.T) {
	n := 0
	Eventually(t, 10*time.Second, func() error {
		if n++; n < 5 {
			return errors.New("not yet")
		}
		return nil
	})
	if n != 5 {
		t.Errorf("checked %d times, want 5", n)
	}
}

func TestEventuallyFailsWithLastState(t *testing.T) {
	tb := &fakeTB{}
	n := 0
	// Fatalf on a fake does not stop the loop: the condition ends it.
	Eventually(tb, 20*time.Millisecond, func() error {
		n++
		if tb.failed != "" {
			return nil
		}
		return errors.New("state " + strings.Repeat("x", n))
	})
	if !strings.HasPrefix(tb.failed, "state x") {
		t.Errorf("failure %q does not carry the last state", tb.failed)
	}
}
