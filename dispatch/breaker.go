package dispatch

import "time"

// breaker is a channel's circuit breaker. Closed, it counts answers per
// second over a sliding window; when enough of them are errors it opens and
// the channel gets no traffic for a cooldown. Then it lets probes through
// one at a time (half-open): mostly good, it closes; else it opens again
// with twice the cooldown. Throttling is not an error here: the rate
// adapts to it instead.
type breaker struct {
	minResults int     // answers needed in the window before judging
	maxErrors  float64 // error share that opens the breaker
	probes     int     // answers judged while half-open
	baseCool   time.Duration
	maxCool    time.Duration

	state     breakerState
	buckets   [10]counts // one per second, the last 10 s
	second    int64      // the Unix second of buckets[second%10]
	openUntil time.Time
	cooldown  time.Duration
	probe     counts
}

type breakerState int

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

func (s breakerState) String() string {
	return [...]string{"closed", "open", "half-open"}[s]
}

type counts struct{ ok, bad int }

func newBreaker() *breaker {
	return &breaker{minResults: 20, maxErrors: 0.5, probes: 5, baseCool: 5 * time.Second,
		maxCool: time.Minute, cooldown: 5 * time.Second}
}

// record counts one answer and reports whether the state changed.
func (b *breaker) record(now time.Time, ok bool) bool {
	switch b.state {
	case breakerHalfOpen:
		b.probe.add(ok)
		if b.probe.ok+b.probe.bad < b.probes {
			return false
		}
		if b.probe.ok*2 > b.probes {
			b.state, b.cooldown, b.buckets = breakerClosed, b.baseCool, [10]counts{}
		} else {
			b.open(now, min(2*b.cooldown, b.maxCool))
		}
		return true
	case breakerClosed:
		b.advance(now)
		b.buckets[b.second%10].add(ok)
		var total counts
		for _, c := range b.buckets {
			total.ok, total.bad = total.ok+c.ok, total.bad+c.bad
		}
		if n := total.ok + total.bad; n >= b.minResults && float64(total.bad) >= b.maxErrors*float64(n) {
			b.open(now, b.cooldown)
			return true
		}
	}
	return false
}

// allow reports whether the channel may take traffic now, moving from open
// to half-open when the cooldown is over; probing means one at a time.
func (b *breaker) allow(now time.Time) (ok, probing bool) {
	if b.state == breakerOpen && !now.Before(b.openUntil) {
		b.state, b.probe = breakerHalfOpen, counts{}
	}
	return b.state != breakerOpen, b.state == breakerHalfOpen
}

func (b *breaker) open(now time.Time, cooldown time.Duration) {
	b.state, b.cooldown, b.openUntil = breakerOpen, cooldown, now.Add(cooldown)
}

// advance clears the buckets of the seconds that passed since the last answer.
func (b *breaker) advance(now time.Time) {
	sec := now.Unix()
	for s := max(b.second+1, sec-9); s <= sec; s++ {
		b.buckets[s%10] = counts{}
	}
	b.second = max(b.second, sec)
}

func (c *counts) add(ok bool) {
	if ok {
		c.ok++
	} else {
		c.bad++
	}
}
