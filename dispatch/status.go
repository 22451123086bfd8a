package dispatch

import (
	"time"

	"smsgw/app"
)

// available reports whether the channel may take traffic: bound and its
// breaker not open; probing means one message at a time.
func (c *channel) available(now time.Time) (ok, probing bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.bound {
		return false, false
	}
	return c.brk.allow(now)
}

// rebinding reports whether the channel lost its session less than
// rebindWait ago and is expected back.
func (c *channel) rebinding(now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.bound && now.Sub(c.downAt) < rebindWait
}

func (c *channel) inFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) + c.waiting
}

// backlog is the channel's work in hand in seconds at its TPS.
func (c *channel) backlog() float64 {
	return float64(c.queued.Load()+int64(c.inFlight())) / float64(c.conf().TPS)
}

func (c *channel) setErr(s string) {
	c.mu.Lock()
	c.lastErr = s
	c.mu.Unlock()
}

func (c *channel) state() app.ChannelState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return app.ChannelState{
		Bound:         c.bound,
		Paused:        c.brk.state != breakerClosed,
		InFlight:      len(c.pending),
		Queued:        int(c.queued.Load()),
		SentPerS:      float64(c.rate.Load()),
		RateLimit:     c.rateNow,
		Submitted:     c.submitted.Load(),
		Errors:        c.errors.Load(),
		Throttled:     c.throttled.Load(),
		UnknownResent: c.resent.Load(),
		LastError:     c.lastErr,
	}
}
