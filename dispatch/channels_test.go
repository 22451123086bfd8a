package dispatch_test

import (
	"context"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/dispatch"
	"smsgw/dispatch/smscsim"
	"smsgw/store"
)

// accepted sums the parts the simulators took.
func (e *env) accepted() (total int64) {
	for _, s := range e.sims {
		total += s.Stats().Accepted
	}
	return total
}

func (e *env) state(ch *app.Channel) app.ChannelState { return e.engine.ChannelStates()[ch.ID] }

func TestChannels(t *testing.T) {
	t.Run("KillingOneOfThreeSMSCsLosesNothing", func(t *testing.T) {
		e := startEnv(t, setup{
			sims:   []smscsim.Options{{ReceiptDelay: 20 * time.Millisecond}, {ReceiptDelay: 20 * time.Millisecond}, {ReceiptDelay: 20 * time.Millisecond}},
			store:  func(o *store.Options) { o.ReceiptTimeout = 5 * time.Second },
			engine: func(o *dispatch.Options) { o.MaintainEvery = 500 * time.Millisecond },
		})
		ids := e.send("【测试单位】三通道", numbers(0, 10000)...)
		waitFor(t, 30*time.Second, func() bool { return e.sims[1].Stats().Accepted > 1000 })
		e.sims[1].Close() // the carrier is gone, with the receipts it still owed
		got := e.waitFinal(ids, 90*time.Second)
		c := countStatus(got)
		// Receipts the dead SMSC owed never come: those messages expire
		// (ENORECEIPT); every other one is delivered. None is lost.
		if c[app.StatusDelivered]+c[app.StatusExpired] != 10000 {
			t.Fatalf("statuses %v: want every message delivered or, if its receipt died with the SMSC, expired", c)
		}
		if extra := e.accepted() - 10000; extra < 0 || extra > int64(e.chans[1].Window) {
			t.Errorf("the SMSCs took %d parts more than sent: want at most the dead channel's window %d", extra, e.chans[1].Window)
		}
		if st := e.state(e.chans[1]); st.Bound || st.LastError == "" {
			t.Errorf("dead channel state %+v: want unbound, saying why", st)
		}
	})

	t.Run("ChannelAddedAtRuntimeCarriesTraffic", func(t *testing.T) {
		e := startEnv(t, setup{sims: []smscsim.Options{{}}, channel: func(_ int, c *app.Channel) { c.TPS = 300 }})
		ids := e.send("【测试单位】热插拔", numbers(0, 3000)...)
		waitFor(t, 10*time.Second, func() bool { return e.sims[0].Stats().Accepted > 100 })
		added := time.Now()
		e.addChannel(smscsim.Options{}, func(c *app.Channel) { c.TPS = 300 })
		waitFor(t, 10*time.Second, func() bool { return e.sims[1].Stats().Accepted > 0 })
		t.Logf("the new channel took traffic %v after it was added (reload every 100 ms here)", time.Since(added).Round(time.Millisecond))
		if c := countStatus(e.waitFinal(ids, 60*time.Second)); c[app.StatusDelivered] != 3000 {
			t.Fatalf("statuses %v", c)
		}
	})

	t.Run("DisabledChannelDrainsAndStops", func(t *testing.T) {
		e := startEnv(t, setup{sims: []smscsim.Options{{}, {}}, channel: func(_ int, c *app.Channel) { c.TPS = 400 },
			engine: func(o *dispatch.Options) { o.ReceiptLinger = time.Second }})
		ids := e.send("【测试单位】停用通道", numbers(0, 3000)...)
		waitFor(t, 10*time.Second, func() bool { return e.sims[1].Stats().Accepted > 100 })
		ch := e.chans[1]
		ch.Enabled = false
		if err := e.db.UpdateChannel(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, func() bool { return !e.state(ch).Bound })
		// The sender finishes the message in hand: wait for the count to settle.
		waitFor(t, 10*time.Second, func() bool {
			before := e.sims[1].Stats().Accepted
			time.Sleep(300 * time.Millisecond)
			return e.sims[1].Stats().Accepted == before
		})
		stopped := e.sims[1].Stats().Accepted
		got := e.waitFinal(ids, 60*time.Second)
		if c := countStatus(got); c[app.StatusDelivered] != 3000 {
			t.Fatalf("statuses %v", c)
		}
		if now := e.sims[1].Stats().Accepted; now != stopped {
			t.Errorf("the disabled channel took %d more parts after it stopped", now-stopped)
		}
		if dups := e.accepted() - 3000; dups != 0 {
			t.Errorf("%d parts went twice: a drain must finish in-flight submits, not resend them", dups)
		}
	})

	t.Run("RateNeverExceedsTheChannelTPS", func(t *testing.T) {
		const tps = 200
		e := startEnv(t, setup{sims: []smscsim.Options{{Keep: 5000}}, channel: func(_ int, c *app.Channel) { c.TPS = tps }})
		ids := e.send("【测试单位】限速", numbers(0, 1000)...)
		e.waitFinal(ids, 60*time.Second)
		subs := e.sims[0].Submitted()
		// Over any second, at most TPS plus the bucket's small burst (and 10%).
		for i, j := 0, 0; i < len(subs); i++ {
			for subs[i].At.Sub(subs[j].At) > time.Second {
				j++
			}
			if n := i - j + 1; n > tps*11/10+tps/20 {
				t.Fatalf("%d submits within one second, channel TPS %d", n, tps)
			}
		}
	})

	t.Run("FivePercentThrottlingFailsNothing", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{ThrottleRatio: 0.05})
		ids := e.send("【测试单位】偶尔限流", numbers(0, 2000)...)
		got := e.waitFinal(ids, 60*time.Second)
		if c := countStatus(got); c[app.StatusDelivered] != 2000 {
			t.Fatalf("statuses %v", c)
		}
		if st := e.state(e.chans[0]); st.Throttled == 0 {
			t.Error("the simulator throttled nothing: the test tested nothing")
		}
	})

	t.Run("PermanentErrorFailsWithoutRetry", func(t *testing.T) {
		const bad = "13900000000"
		e := newEnv(t, 1, smscsim.Options{SubmitStatus: func(dest string) uint32 {
			if dest == bad {
				return 0x0B // ESME_RINVDSTADR
			}
			return 0
		}})
		ids := e.send("【测试单位】错号", bad, "13900000001")
		got := e.waitFinal(ids, 10*time.Second)
		if m := got[ids[0]]; m.Status != app.StatusFailed || m.ErrorCode != "SMPP_0x0B" || m.Attempts != 0 {
			t.Fatalf("refused message %+v: want failed SMPP_0x0B at the first attempt", m)
		}
		if got[ids[1]].Status != app.StatusDelivered {
			t.Errorf("the other message: %s", got[ids[1]].Status)
		}
		if st := e.sims[0].Stats(); st.SubmitSM != 2 {
			t.Errorf("%d submits, want 2: a permanent error is not retried", st.SubmitSM)
		}
	})

	t.Run("FailoverResendGivesOneFinalStatus", func(t *testing.T) {
		e := startEnv(t, setup{
			sims: []smscsim.Options{{ReceiptStatus: func(smscsim.Submitted) string { return "UNDELIV" }}, {}},
			channel: func(i int, c *app.Channel) {
				c.ResendUndelivered = i == 0
				c.Standby = i == 1 // first attempts all go through channel 0
			},
		})
		ids := e.send("【测试单位】失败补发", numbers(0, 50)...)
		got := e.waitFinal(ids, 20*time.Second)
		for _, m := range got {
			if m.Status != app.StatusDelivered || m.ChannelID != e.chans[1].ID || m.Attempts != 1 {
				t.Fatalf("message %+v: want delivered by the second channel after one resend", m)
			}
		}
		if a, b := e.sims[0].Stats().Accepted, e.sims[1].Stats().Accepted; a != 50 || b != 50 {
			t.Errorf("channel 0 took %d, channel 1 %d; want 50 each", a, b)
		}
	})

	t.Run("StandbyTakesTrafficOnlyWhenThePrimaryIsDown", func(t *testing.T) {
		e := startEnv(t, setup{sims: []smscsim.Options{{}, {}}, channel: func(i int, c *app.Channel) { c.Standby = i == 1 }})
		first := e.send("【测试单位】主用", numbers(0, 300)...)
		e.waitFinal(first, 20*time.Second)
		if n := e.sims[1].Stats().Accepted; n != 0 {
			t.Fatalf("the standby took %d messages while the primary was fine", n)
		}
		e.sims[0].Close()
		waitFor(t, 10*time.Second, func() bool { return !e.state(e.chans[0]).Bound })
		second := e.send("【测试单位】备用", numbers(1000, 300)...)
		if c := countStatus(e.waitFinal(second, 30*time.Second)); c[app.StatusDelivered] != 300 {
			t.Fatalf("statuses %v: the standby must carry traffic when the primary is down", c)
		}
	})

	t.Run("FailingChannelIsPausedAndTrafficMovesOn", func(t *testing.T) {
		e := newEnv(t, 2, smscsim.Options{})
		e.sims[0].SetOptions(func(o *smscsim.Options) { o.ErrorRatio = 1 })
		ids := e.send("【测试单位】熔断", numbers(0, 1000)...)
		waitFor(t, 20*time.Second, func() bool { return e.state(e.chans[0]).Paused })
		got := e.waitFinal(ids, 60*time.Second)
		if c := countStatus(got); c[app.StatusDelivered] != 1000 {
			t.Fatalf("statuses %v", c)
		}
		if errs := e.sims[0].Stats().Errors; errs > 200 {
			t.Errorf("the failing channel was tried %d times: the breaker should stop traffic to it", errs)
		}
	})

	t.Run("WithoutChannelsMessagesWaitQueued", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{})
		waitFor(t, 10*time.Second, func() bool { return e.state(e.chans[0]).Bound })
		if err := e.db.DeleteChannel(context.Background(), e.chans[0].ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, func() bool { return !e.state(e.chans[0]).Bound })
		ids := e.send("【测试单位】无通道", numbers(0, 20)...)
		time.Sleep(300 * time.Millisecond) // a few engine polls: nothing may fail meanwhile
		for _, id := range ids {
			m, err := e.db.FindMessageByID(context.Background(), e.p, id)
			if err != nil || m.Status != app.StatusQueued {
				t.Fatalf("message %+v %v: want queued while no channel exists", m, err)
			}
		}
		e.addChannel(smscsim.Options{}, nil)
		if c := countStatus(e.waitFinal(ids, 20*time.Second)); c[app.StatusDelivered] != 20 {
			t.Fatalf("statuses %v once a channel came", c)
		}
	})
}
