package dispatch

import (
	"context"

	"smsgw/app"
	"smsgw/dispatch/smpp"
)

// sink is all a channel needs from the engine: where outcomes, tasks it
// hands back, receipts and replies go, and whether another channel could
// take over. The Engine is the one sink; channels hold it as this
// interface, not as the engine, so what they may do to it is on one screen.
type sink interface {
	// finish records a task's outcome.
	finish(t *task, o app.Outcome)
	// reroute takes back a task channel from cannot send, to place it
	// on another channel or back on the queue.
	reroute(t *task, from *channel)
	// othersAvailable reports whether a channel other than c could take t
	// now.
	othersAvailable(c *channel, t *task) bool
	// placed records durably that messages ids go through hold channel ch.
	placed(ch int64, ids []int64) error
	// roomFreed says a channel took a task off its queue.
	roomFreed()
	// receipt stores a delivery receipt, then calls ack.
	receipt(r app.Receipt, ack func())
	// reply stores a reply, or a part of one, then calls ack.
	reply(channel int64, p smpp.ReplyPart, ack func())
}

var _ sink = (*Engine)(nil)

// roomFreed wakes place, which may be waiting for a channel with room.
func (e *Engine) roomFreed() {
	select {
	case e.room <- struct{}{}:
	default:
	}
}

func (e *Engine) placed(ch int64, ids []int64) error {
	return e.opts.Outbox.Placed(context.Background(), ch, ids)
}

func (e *Engine) receipt(r app.Receipt, ack func()) {
	e.rec.receipts.add(acked[app.Receipt]{r, ack})
}

func (e *Engine) reply(channel int64, p smpp.ReplyPart, ack func()) {
	e.rec.replies.add(acked[*app.Reply]{moReply(channel, p), ack})
}
