package dispatch

import (
	"context"
	"reflect"
	"time"

	"smsgw/app"
)

// watchChannels re-reads the channel records every ReloadInterval and starts,
// restarts or stops channels to match, so changes take effect without a
// restart, whichever process made them.
func (e *Engine) watchChannels(ctx context.Context) {
	every(ctx, e.opts.ReloadInterval, func() { e.reload(ctx) })
}

func (e *Engine) reload(ctx context.Context) {
	list, err := e.opts.Channels.FindChannels(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("reading channels failed", "error", err)
		}
		return
	}
	want := map[int64]*app.Channel{}
	for _, c := range list {
		if c.Enabled {
			want[c.ID] = c
		}
	}
	e.mu.Lock()
	var stale []*channel
	for id, c := range e.channels {
		w, ok := want[id]
		switch {
		case !ok || !sameSMSC(c.conf(), w):
			stale = append(stale, c)
			delete(e.channels, id)
			e.retired[id] = retiredState(c)
		case !reflect.DeepEqual(tuning(c.conf()), tuning(w)):
			e.log.Info("retuning channel", "channel", id, "name", w.Name)
			c.retune(w)
		}
	}
	for id, w := range want {
		if _, ok := e.channels[id]; !ok {
			e.log.Info("starting channel", "channel", w.ID, "name", w.Name, "smsc", w.Addr())
			e.channels[id] = startChannel(w, channelOptions{sink: e, quit: e.quit, submitTimeout: e.opts.SubmitTimeout, log: e.log})
			delete(e.retired, id)
		}
	}
	e.mu.Unlock()
	for _, c := range stale {
		e.log.Info("stopping channel", "channel", c.id, "name", c.conf().Name)
		// Not a shutdown: its submits in flight get the full submit
		// timeout to be answered, so few go out twice.
		e.stopping.Add(1)
		go func() {
			defer e.stopping.Done()
			c.stop(e.opts.SubmitTimeout, e.opts.ReceiptLinger)
			e.retire(c)
		}()
	}
}

// sameSMSC reports whether two records reach the same SMSC the same way;
// anything else can change on a running channel.
func sameSMSC(a, b *app.Channel) bool {
	return a.Host == b.Host && a.Port == b.Port && a.SystemID == b.SystemID && a.Password == b.Password
}

// tuning is a record without its timestamps, to tell real changes.
func tuning(c *app.Channel) app.Channel {
	x := *c
	x.CreatedAt, x.UpdatedAt = time.Time{}, time.Time{}
	return x
}

// ChannelStates reports every running channel's live state, and the last
// state of channels stopped (disabled, say) since the engine started.
func (e *Engine) ChannelStates() map[int64]app.ChannelState {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[int64]app.ChannelState, len(e.channels)+len(e.retired))
	for id, st := range e.retired {
		out[id] = st
	}
	for id, c := range e.channels {
		out[id] = c.state()
	}
	return out
}

// retire remembers a stopped channel's final state, unless it runs again.
func (e *Engine) retire(c *channel) {
	e.mu.Lock()
	if _, running := e.channels[c.id]; !running {
		e.retired[c.id] = retiredState(c)
	}
	e.mu.Unlock()
}

// retiredState is a stopped channel's state: its counters, not sending.
func retiredState(c *channel) app.ChannelState {
	st := c.state()
	st.Bound, st.InFlight, st.Queued, st.SentPerS = false, 0, 0, 0
	return st
}
