package dispatch

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// burst lets a few parts go back to back without exceeding the rate over
// any 50 ms.
func burst(tps float64) int { return max(1, int(tps/20)) }

// tolerated is the share of throttled answers in a second that leaves the
// learned rate where it is: an SMSC that throttles a few submits at random
// (not by rate) must not drive the rate down to nothing.
const tolerated = 0.10

// onThrottle counts a throttled answer; learnRate, once a second, acts on
// the count.
func (c *channel) onThrottle() { c.throttled.Add(1) }

// learnRate learns the rate the SMSC really takes (AIMD-like, from the last
// second's answers: ok accepted, thr throttled). More than tolerated
// throttled: the rate drops to what the SMSC accepted in that second (a
// tenth less, and at least a tenth below the current rate), however low
// that is, down to one a second. A clean second raises it by a twentieth
// (at least one), never above the channel's TPS. In between it holds: that
// is the rate learned.
func (c *channel) learnRate(ok, thr int64) {
	tps := float64(c.conf().TPS)
	c.mu.Lock()
	r := c.rateNow
	switch {
	case thr > 0 && float64(thr) > tolerated*float64(ok+thr):
		r = max(1, min(r*0.9, float64(ok)*0.9))
	case thr == 0 && ok > 0:
		r = min(tps, r+max(1, r/20))
	}
	changed := r != c.rateNow
	c.rateNow = r
	c.mu.Unlock()
	if changed {
		c.limiter.SetLimit(rate.Limit(r))
		c.limiter.SetBurst(burst(r))
	}
}

// take waits for the part's turn under the current rate, or ctx's end.
// It polls rather than calling the limiter's Wait, which books a slot at
// the rate of the moment: parts waiting at a rate later cut would keep the
// old pace for seconds. Polling makes a cut act at once; again caps the
// parts that poll at a window's worth.
func (c *channel) take(ctx context.Context) error {
	for !c.limiter.Allow() {
		wait := time.Duration(float64(time.Second) / float64(c.limiter.Limit()))
		t := time.NewTimer(min(max(wait, time.Millisecond), 20*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
