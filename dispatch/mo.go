package dispatch

import (
	"strings"
	"sync"
	"time"

	"smsgw/app"
	"smsgw/dispatch/smpp"
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
func (a *assembler) add(channel int64, p smpp.ReplyPart) *app.Reply {
	now := p.At
	if p.Total <= 1 {
		return &app.Reply{ChannelID: channel, From: p.From, To: p.To, Content: p.Text, ReceivedAt: now}
	}
	k := moKey{channel, p.From, p.To, p.Ref, p.Total}
	a.mu.Lock()
	defer a.mu.Unlock()
	part, ok := a.partial[k]
	if !ok {
		part = &moPartial{parts: make([]string, p.Total), first: now}
		a.partial[k] = part
	}
	if part.parts[p.Seq-1] == "" {
		part.got++
	}
	part.parts[p.Seq-1] = p.Text
	if part.got < p.Total {
		return nil
	}
	delete(a.partial, k)
	return &app.Reply{ChannelID: channel, From: p.From, To: p.To, Content: strings.Join(part.parts, ""), ReceivedAt: part.first}
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
