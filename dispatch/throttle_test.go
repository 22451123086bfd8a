package dispatch_test

import (
	"testing"
	"time"

	"smsgw/app"
	"smsgw/dispatch/smscsim"
)

// TestThrottleLearnsTheSMSCRate pins that a channel configured far above
// what its SMSC takes learns the real rate: once it has learned, throttled
// answers are a small fraction of the parts accepted (counted, not timed).
func TestThrottleLearnsTheSMSCRate(t *testing.T) {
	const smscTPS, learned = 100, 300
	e := startEnv(t, setup{sims: []smscsim.Options{{TPS: smscTPS, ReceiptDelay: 10 * time.Millisecond}},
		channel: func(_ int, c *app.Channel) { c.TPS, c.Window = 5000, 64 }})
	ids := e.send("【测试单位】学习速率", numbers(0, 1500)...)
	sim := e.sims[0]
	waitFor(t, 60*time.Second, func() bool { return sim.Stats().Accepted >= learned })
	before := sim.Stats()
	if c := countStatus(e.waitFinal(ids, 120*time.Second)); c[app.StatusDelivered] != 1500 {
		t.Fatalf("statuses %v", c)
	}
	after := sim.Stats()
	acc, thr := after.Accepted-before.Accepted, after.Throttled-before.Throttled
	st := e.state(e.chans[0])
	t.Logf("after learning: %d accepted, %d throttled (%.1f%%); learned rate %.0f/s (SMSC %d/s, channel 5000/s); %d throttled while learning",
		acc, thr, 100*float64(thr)/float64(acc), st.RateLimit, smscTPS, before.Throttled)
	// The rate settles where at most a tenth of a second's answers are
	// throttled (see tolerated); the seconds that cut it can show more.
	if thr*100 > acc*15 {
		t.Errorf("%d throttled answers for %d accepted parts after learning: want under 15%% (it was 190%% before rates were learned)", thr, acc)
	}
	if st.RateLimit >= 5000 || st.RateLimit < 1 {
		t.Errorf("live rate_limit %.0f: want the learned rate, below the configured 5000", st.RateLimit)
	}
}

// TestChannelTONNPIReachTheSMSC pins that a channel's TON/NPI settings are
// what its submit_sm PDUs carry.
func TestChannelTONNPIReachTheSMSC(t *testing.T) {
	e := startEnv(t, setup{sims: []smscsim.Options{{}}, channel: func(_ int, c *app.Channel) {
		c.SourceTON, c.SourceNPI, c.DestTON, c.DestNPI = 5, 0, 1, 1
	}})
	ids := e.send("【测试单位】地址类型", numbers(0, 3)...)
	e.waitFinal(ids, 20*time.Second)
	subs := e.sims[0].Submitted()
	if len(subs) != 3 {
		t.Fatalf("the SMSC saw %d parts, want 3", len(subs))
	}
	for _, s := range subs {
		if s.SourceTON != 5 || s.SourceNPI != 0 || s.DestTON != 1 || s.DestNPI != 1 {
			t.Errorf("part to %s: source %d/%d, dest %d/%d; want source 5/0, dest 1/1", s.Dest, s.SourceTON, s.SourceNPI, s.DestTON, s.DestNPI)
		}
	}
}
