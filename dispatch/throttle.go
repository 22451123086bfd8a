package dispatch

import (
	"time"

	"golang.org/x/time/rate"
)

// burst lets a few parts go back to back without exceeding the rate over
// any 50 ms.
func burst(tps int) int { return max(1, tps/20) }

// onThrottle slows the channel down when the SMSC says it is sending too
// fast: 30% less, at most once per half second (a whole window of throttled
// answers is one signal), down to a twentieth of its TPS.
func (c *channel) onThrottle() {
	c.throttled.Add(1)
	tps := float64(c.conf().TPS)
	now := time.Now()
	c.mu.Lock()
	if now.Sub(c.lastThrottle) < 500*time.Millisecond {
		c.mu.Unlock()
		return
	}
	c.rateNow = max(c.rateNow*0.7, max(1, tps/20))
	c.lastThrottle = now
	r := c.rateNow
	c.mu.Unlock()
	c.limiter.SetLimit(rate.Limit(r))
}

// recoverRate raises a throttled rate by a tenth of the TPS a second once
// the SMSC has not throttled for a second, back up to the channel's TPS.
func (c *channel) recoverRate(now time.Time) {
	tps := float64(c.conf().TPS)
	c.mu.Lock()
	if c.rateNow >= tps || now.Sub(c.lastThrottle) < time.Second {
		c.mu.Unlock()
		return
	}
	c.rateNow = min(tps, c.rateNow+tps/10)
	r := c.rateNow
	c.mu.Unlock()
	c.limiter.SetLimit(rate.Limit(r))
}
