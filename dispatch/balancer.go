package dispatch

import (
	"time"

	"smsgw/app"
)

// pick chooses the channel for a message: among the channels that are bound,
// not paused and serve the number's carrier, the primary with the least work
// in hand relative to its TPS and weight; standby channels only when every
// primary is down or saturated (more than a second of work in hand). The
// channel that last failed the message is avoided when another can take it.
// busy reports that some channel could take the message but has no room
// now, or is binding again after losing its session.
//
// A long message some of whose parts went out already goes first to a
// channel with the source number those parts carried: a handset joins parts
// by sender and reference. When none can take it, the rest go from another
// number, and such a handset shows two fragments.
func (e *Engine) pick(t *task) (best *channel, busy bool) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	var top [2]*channel // best primary, best standby
	var score [2]float64
	var fallback *channel // the channel that last failed it, if nothing else fits
	sources := e.sentFrom(t.msg.Sent)
	var same *channel // a channel with the source of parts sent before
	for _, c := range e.channels {
		cfg := c.conf()
		if c == t.avoid || !cfg.Serves(t.msg.Carrier) || cfg.Weight == 0 {
			continue
		}
		ok, probing := c.available(now)
		if !ok {
			busy = busy || c.rebinding(now) // worth waiting for
			continue
		}
		backlog := c.backlog()
		if c.full() || probing && backlog > 0 { // a probing channel takes one at a time
			busy = true
			continue
		}
		if sources[cfg.SourceAddr] && same == nil {
			same = c
		}
		if c.id == t.msg.ChannelID {
			fallback = c
			continue
		}
		tier := 0
		if cfg.Standby {
			tier = 1
		}
		if s := backlog / float64(cfg.Weight); top[tier] == nil || s < score[tier] {
			top[tier], score[tier] = c, s
		}
	}
	switch {
	case same != nil:
		return same, busy
	case top[0] != nil && (top[0].backlog() < 1 || top[1] == nil):
		return top[0], busy
	case top[1] != nil:
		return top[1], busy
	}
	return fallback, busy
}

// sentFrom returns the source numbers of the channels that accepted parts
// of a message before; nil for a message with none. The caller holds e.mu.
func (e *Engine) sentFrom(sent *app.PartsSent) map[string]bool {
	if sent == nil {
		return nil
	}
	out := map[string]bool{}
	for _, p := range sent.Parts {
		if c := e.channels[p.ChannelID]; c != nil {
			out[c.conf().SourceAddr] = true
		}
	}
	return out
}

// anyAvailable reports whether some channel can send now.
func (e *Engine) anyAvailable() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.channels {
		if ok, _ := c.available(time.Now()); ok {
			return true
		}
	}
	return false
}

// othersAvailable reports whether a channel other than c could take t now.
func (e *Engine) othersAvailable(c *channel, t *task) bool {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, o := range e.channels {
		if o == c || !o.conf().Serves(t.msg.Carrier) {
			continue
		}
		if ok, _ := o.available(now); ok {
			return true
		}
	}
	return false
}
