package dispatch

import (
	"strings"
	"sync"
	"time"

	"smsgw/app"
)

// assembler joins the parts of concatenated replies. A reply whose parts do
// not all arrive within ttl is stored with the parts that did, rather than
// lost.
type assembler struct {
	ttl time.Duration

	mu      sync.Mutex
	partial map[moKey]*moPartial
}

type moKey struct {
	channel  int64
	from, to string
	ref      int
	total    int
}

type moPartial struct {
	parts []string
	got   int
	first time.Time
}

func newAssembler(ttl time.Duration) *assembler {
	return &assembler{ttl: ttl, partial: map[moKey]*moPartial{}}
}

// add takes one part and returns the reply once it is complete.
func (a *assembler) add(channel int64, p moPart, now time.Time) *app.Reply {
	if p.total <= 1 {
		return &app.Reply{ChannelID: channel, From: p.from, To: p.to, Content: p.text, ReceivedAt: now}
	}
	k := moKey{channel, p.from, p.to, p.ref, p.total}
	a.mu.Lock()
	defer a.mu.Unlock()
	part, ok := a.partial[k]
	if !ok {
		part = &moPartial{parts: make([]string, p.total), first: now}
		a.partial[k] = part
	}
	if part.parts[p.seq-1] == "" {
		part.got++
	}
	part.parts[p.seq-1] = p.text
	if part.got < p.total {
		return nil
	}
	delete(a.partial, k)
	return &app.Reply{ChannelID: channel, From: p.from, To: p.to, Content: strings.Join(part.parts, ""), ReceivedAt: part.first}
}

// expire returns the replies whose missing parts waited longer than ttl.
func (a *assembler) expire(now time.Time) []*app.Reply {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []*app.Reply
	for k, p := range a.partial {
		if now.Sub(p.first) > a.ttl {
			delete(a.partial, k)
			out = append(out, &app.Reply{ChannelID: k.channel, From: k.from, To: k.to, Content: strings.Join(p.parts, ""), ReceivedAt: p.first})
		}
	}
	return out
}
