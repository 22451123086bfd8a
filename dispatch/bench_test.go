package dispatch_test

import (
	"testing"
	"time"

	"smsgw/app"
	"smsgw/dispatch"
	"smsgw/dispatch/smscsim"
)

// These benchmarks measure what issue 3 asks to record in BENCHMARKS.md; run
// them with: go test -run XXX -bench Channel -benchtime 1x ./dispatch/

// BenchmarkChannelPairAt1000TPS: two channels capped at 1000 TPS each (R3.6)
// carry N messages: carried_msg/s is what the SMSCs took over the time they
// took it, e2e_msg/s first accept to last delivered.
func BenchmarkChannelPairAt1000TPS(b *testing.B) { benchPair(b, app.OnCrashResend) }

// BenchmarkChannelPairAt1000TPSHold is the same with on_crash hold: each
// window's worth of placements is written durably before it is submitted.
func BenchmarkChannelPairAt1000TPSHold(b *testing.B) { benchPair(b, app.OnCrashHold) }

func benchPair(b *testing.B, onCrash app.OnCrash) {
	const n = 12000
	for i := 0; i < b.N; i++ {
		e := startEnv(b, setup{sims: []smscsim.Options{{Keep: n}, {Keep: n}}, channel: func(_ int, c *app.Channel) {
			c.TPS, c.Window, c.OnCrash = 1000, 128, onCrash
		}})
		start := time.Now()
		ids := e.send("【测试单位】双通道压测", numbers(0, n/2)...)
		ids = append(ids, e.send("【测试单位】双通道压测", numbers(n/2, n/2)...)...)
		got := e.waitFinal(ids, 5*time.Minute)
		var last time.Time
		for _, m := range got {
			if m.DoneAt.After(last) {
				last = m.DoneAt
			}
		}
		b.ReportMetric(float64(n)/last.Sub(start).Seconds(), "e2e_msg/s")
		// What the pair carried: parts the SMSCs took over the time they
		// took them.
		var first, end time.Time
		total := 0
		for _, s := range e.sims {
			for _, sub := range s.Submitted() {
				if first.IsZero() || sub.At.Before(first) {
					first = sub.At
				}
				if sub.At.After(end) {
					end = sub.At
				}
				total++
			}
		}
		b.ReportMetric(float64(total)/end.Sub(first).Seconds(), "carried_msg/s")
		for j, s := range e.sims {
			b.ReportMetric(float64(s.Stats().Accepted), "parts_ch"+string(rune('1'+j)))
		}
	}
}

// BenchmarkChannelHotPlug: with traffic flowing on one channel, the time
// from adding a second channel (production reload interval, 1 s) to its
// first accepted submit.
func BenchmarkChannelHotPlug(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e := startEnv(b, setup{sims: []smscsim.Options{{}}, channel: func(_ int, c *app.Channel) { c.TPS = 500 },
			engine: func(o *dispatch.Options) { o.ReloadInterval = time.Second }})
		e.send("【测试单位】热插拔", numbers(0, 5000)...)
		waitFor(b, 10*time.Second, func() bool { return e.sims[0].Stats().Accepted > 100 })
		added := time.Now()
		e.addChannel(smscsim.Options{}, func(c *app.Channel) { c.TPS = 500 })
		waitFor(b, 10*time.Second, func() bool { return e.sims[1].Stats().Accepted > 0 })
		b.ReportMetric(float64(time.Since(added).Milliseconds()), "ms_to_traffic")
	}
}

// BenchmarkChannelDeath: with traffic on two channels, the time from
// killing one SMSC to the engine taking it out of rotation, and to the first
// message the survivor sends after that.
func BenchmarkChannelDeath(b *testing.B) {
	for i := 0; i < b.N; i++ {
		e := startEnv(b, setup{sims: []smscsim.Options{{}, {}}, channel: func(_ int, c *app.Channel) { c.TPS = 500 }})
		e.send("【测试单位】通道故障", numbers(0, 5000)...)
		waitFor(b, 10*time.Second, func() bool { return e.sims[0].Stats().Accepted > 200 })
		killed := time.Now()
		e.sims[0].Close()
		waitFor(b, 10*time.Second, func() bool { return !e.state(e.chans[0]).Bound })
		b.ReportMetric(float64(time.Since(killed).Milliseconds()), "ms_to_unbound")
		before := e.sims[1].Stats().Accepted
		waitFor(b, 10*time.Second, func() bool { return e.sims[1].Stats().Accepted > before })
		b.ReportMetric(float64(time.Since(killed).Milliseconds()), "ms_to_survivor_traffic")
	}
}
