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
	t := time.NewTicker(e.opts.ReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.reload(ctx)
		}
	}
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
		if w, ok := want[id]; !ok || !sameConfig(c.cfg, w) {
			stale = append(stale, c)
			delete(e.channels, id)
		}
	}
	for id, w := range want {
		if _, ok := e.channels[id]; !ok {
			e.log.Info("starting channel", "channel", w.ID, "name", w.Name, "smsc", w.Addr())
			e.channels[id] = startChannel(w, e)
		}
	}
	e.mu.Unlock()
	for _, c := range stale {
		e.log.Info("stopping channel", "channel", c.cfg.ID, "name", c.cfg.Name)
		go c.stop(e.opts.Grace)
	}
}

// sameConfig reports whether a running channel's record is unchanged.
func sameConfig(a, b *app.Channel) bool {
	x, y := *a, *b
	x.CreatedAt, x.UpdatedAt = time.Time{}, time.Time{}
	y.CreatedAt, y.UpdatedAt = time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}
