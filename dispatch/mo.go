package dispatch

import (
	"context"
	"time"

	"smsgw/app"
	"smsgw/dispatch/smpp"
)

// moReply is the reply (or part of one) a deliver_sm carried, as the store
// takes it. Parts are not joined here but stored one by one as they come,
// so that each can be answered once durable and none is lost in a crash;
// the store joins a set when its last part is in, on whichever session or
// after whichever restart it comes.
func moReply(channel int64, p smpp.ReplyPart) *app.Reply {
	r := &app.Reply{ChannelID: channel, From: p.From, To: p.To, Content: p.Text, ReceivedAt: p.At}
	if p.Total > 1 {
		r.Part = &app.ReplyPart{Ref: p.Ref, Total: p.Total, Seq: p.Seq}
	}
	return r
}

// replySweep is how often the engine looks for replies whose missing parts
// waited app.ReplyPartsWait. The first look comes a sweep after the start,
// by which time the sessions have rebound and the SMSC has sent again the
// parts unanswered before a restart.
const replySweep = time.Minute

// expireReplies stores, now and then, the replies whose missing parts will
// not come any more, with the parts that did.
func (e *Engine) expireReplies(ctx context.Context) {
	every(ctx, replySweep, func() {
		if err := e.opts.Outbox.ExpireReplyParts(ctx); err != nil && ctx.Err() == nil {
			e.log.Error("expiring reply parts failed", "error", err)
		}
	})
}
