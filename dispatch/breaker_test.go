package dispatch

import (
	"testing"
	"time"
)

func TestBreaker(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	t.Run("StaysClosedOnFewErrorsOrAFewAnswers", func(t *testing.T) {
		b := newBreaker()
		for i := 0; i < 19; i++ {
			if b.record(t0, false) {
				t.Fatal("opened on fewer answers than minResults")
			}
		}
		b = newBreaker()
		for i := 0; i < 100; i++ {
			b.record(t0, i%3 != 0) // a third errors
		}
		if ok, _ := b.allow(t0); !ok {
			t.Fatal("opened at a 33% error rate")
		}
	})
	t.Run("OpensProbesAndCloses", func(t *testing.T) {
		b := newBreaker()
		for i := 0; i < 20; i++ {
			b.record(t0, false)
		}
		if ok, _ := b.allow(t0.Add(time.Second)); ok {
			t.Fatal("still takes traffic after 20 errors in a row")
		}
		ok, probing := b.allow(t0.Add(5 * time.Second))
		if !ok || !probing {
			t.Fatalf("after the cooldown: ok %v probing %v, want a probe", ok, probing)
		}
		for i := 0; i < 5; i++ {
			b.record(t0.Add(6*time.Second), true)
		}
		if ok, probing := b.allow(t0.Add(6 * time.Second)); !ok || probing {
			t.Fatal("good probes did not close the breaker")
		}
	})
	t.Run("FailedProbesDoubleTheCooldown", func(t *testing.T) {
		b := newBreaker()
		for i := 0; i < 20; i++ {
			b.record(t0, false)
		}
		b.allow(t0.Add(5 * time.Second))
		for i := 0; i < 5; i++ {
			b.record(t0.Add(5*time.Second), false)
		}
		if ok, _ := b.allow(t0.Add(14 * time.Second)); ok {
			t.Fatal("reopened with the same cooldown, want twice as long")
		}
		if ok, _ := b.allow(t0.Add(15 * time.Second)); !ok {
			t.Fatal("never probes again")
		}
	})
	t.Run("OldErrorsAgeOut", func(t *testing.T) {
		b := newBreaker()
		for i := 0; i < 15; i++ {
			b.record(t0, false)
		}
		for i := 0; i < 15; i++ {
			b.record(t0.Add(11*time.Second), false)
		}
		if ok, _ := b.allow(t0.Add(11 * time.Second)); !ok {
			t.Fatal("errors older than the 10 s window still counted")
		}
	})
}
