package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"smsgw/app"
	"smsgw/app/apptest"
	"smsgw/dispatch"
	"smsgw/dispatch/smscsim"
	"smsgw/store"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// env is a store, simulators with a channel each, and a running engine.
type env struct {
	t      testing.TB
	db     *store.DB
	sopts  store.Options // how db was opened, to open it again
	sims   []*smscsim.Server
	chans  []*app.Channel
	p      *app.Principal
	cancel context.CancelFunc
	done   chan error
	engine *dispatch.Engine
	tune   func(*dispatch.Options)
}

// newEnv opens a fresh database, starts n simulators with opts and binds a
// channel to each, and runs an engine.
func newEnv(t testing.TB, n int, opts smscsim.Options) *env {
	sims := make([]smscsim.Options, n)
	for i := range sims {
		sims[i] = opts
	}
	return startEnv(t, setup{sims: sims})
}

// setup describes an env: one channel per simulator, and tweaks.
type setup struct {
	sims    []smscsim.Options
	channel func(i int, c *app.Channel)
	store   func(*store.Options)
	engine  func(*dispatch.Options)
}

func startEnv(t testing.TB, s setup) *env {
	t.Helper()
	ctx := context.Background()
	sopts := store.Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true}
	if s.store != nil {
		s.store(&sopts)
	}
	db, err := store.Open(ctx, sopts)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, sopts: sopts, tune: s.engine, p: &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}}
	t.Cleanup(func() {
		e.stopEngine()
		for _, s := range e.sims {
			s.Close()
		}
		e.db.Close() // the one open now: a test may have reopened it
	})
	if err := db.CreateSignature(ctx, &app.Signature{DepartmentID: app.RootDepartmentID, Name: "测试单位", Approved: true}); err != nil {
		t.Fatal(err)
	}
	for i, o := range s.sims {
		e.addChannel(o, func(c *app.Channel) {
			if s.channel != nil {
				s.channel(i, c)
			}
		})
	}
	e.startEngine()
	return e
}

// addChannel starts a simulator with opts and stores a channel bound to it.
func (e *env) addChannel(o smscsim.Options, tune func(*app.Channel)) *app.Channel {
	e.t.Helper()
	o.SystemID, o.Password = "smsgw", "pw"
	sim := smscsim.New(o)
	if err := sim.Start("127.0.0.1:0"); err != nil {
		e.t.Fatal(err)
	}
	e.sims = append(e.sims, sim)
	host, port, _ := net.SplitHostPort(sim.Addr())
	p, _ := strconv.Atoi(port)
	ch := &app.Channel{Name: fmt.Sprintf("ch%d", len(e.sims)), Host: host, Port: p, SystemID: "smsgw", Password: "pw",
		SourceAddr: fmt.Sprintf("1069000%d", len(e.sims)), TPS: 5000, Window: 64, Weight: 1, Enabled: true}
	if tune != nil {
		tune(ch)
	}
	if err := e.db.CreateChannel(context.Background(), ch); err != nil {
		e.t.Fatal(err)
	}
	e.chans = append(e.chans, ch)
	return ch
}

func (e *env) startEngine() {
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan error, 1)
	opts := dispatch.Options{Outbox: e.db, Channels: e.db, Notify: e.db.Notifications(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ReloadInterval: 100 * time.Millisecond,
		PollInterval: 100 * time.Millisecond}
	if e.tune != nil {
		e.tune(&opts)
	}
	e.engine = dispatch.New(opts)
	go func() { e.done <- e.engine.Run(ctx) }()
}

func (e *env) stopEngine() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	select {
	case <-e.done:
	case <-time.After(slowdown * 15 * time.Second):
		e.t.Errorf("engine did not stop within %d s", slowdown*15)
	}
	e.cancel = nil
}

// send stores one batch and returns its message ids.
func (e *env) send(content string, numbers ...string) []int64 {
	e.t.Helper()
	res, err := e.db.Send(context.Background(), e.p, &app.SendRequest{To: numbers, Content: content})
	if err != nil {
		e.t.Fatal(err)
	}
	ids := make([]int64, len(res.Messages))
	for i, m := range res.Messages {
		ids[i] = m.ID
	}
	return ids
}

// numbers returns n distinct valid mobile numbers starting at 13800000000+from.
func numbers(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("138%08d", from+i)
	}
	return out
}

// waitFinal waits until every message of the ids is final and returns them.
func (e *env) waitFinal(ids []int64, within time.Duration) map[int64]*app.Message {
	e.t.Helper()
	var got map[int64]*app.Message
	apptest.Eventually(e.t, within*slowdown, func() error {
		got = map[int64]*app.Message{}
		final := 0
		for _, id := range ids {
			m, err := e.db.FindMessageByID(context.Background(), e.p, id)
			if err != nil {
				e.t.Fatal(err)
			}
			got[id] = m
			if m.Status.Final() {
				final++
			}
		}
		if final == len(ids) {
			return nil
		}
		counts := map[app.Status]int{}
		for _, m := range got {
			counts[m.Status]++
		}
		return fmt.Errorf("only %d of %d messages are final: %v; channels %v", final, len(ids), counts, e.engine.ChannelStates())
	})
	return got
}

func countStatus(ms map[int64]*app.Message) map[app.Status]int {
	out := map[app.Status]int{}
	for _, m := range ms {
		out[m.Status]++
	}
	return out
}

func TestEngine(t *testing.T) {
	t.Run("DeliversEveryMessageOnceOverTwoChannels", func(t *testing.T) {
		e := newEnv(t, 2, smscsim.Options{ReceiptDelay: 10 * time.Millisecond})
		ids := e.send("【测试单位】会议通知", numbers(0, 1000)...)
		got := e.waitFinal(ids, 30*time.Second)
		if c := countStatus(got); c[app.StatusDelivered] != 1000 {
			t.Fatalf("statuses %v, want 1000 delivered", c)
		}
		var unique, dups int64
		for i, s := range e.sims {
			st := s.Stats()
			unique, dups = unique+st.Unique, dups+st.Duplicates
			if st.Accepted == 0 {
				t.Errorf("simulator %d got no traffic: the balancer used one channel only", i)
			}
		}
		if unique != 1000 || dups != 0 {
			t.Errorf("simulators saw %d unique and %d duplicate parts, want 1000 and 0", unique, dups)
		}
	})

	t.Run("LongMessageGoesAsPartsWithOneUDHReference", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{})
		content := "【测试单位】" + strings.Repeat("通", 494)
		ids := e.send(content, "13900139000")
		m := e.waitFinal(ids, 10*time.Second)[ids[0]]
		if m.Status != app.StatusDelivered || m.Segments != 8 {
			t.Fatalf("status %s segments %d, want delivered and 8", m.Status, m.Segments)
		}
		parts := e.sims[0].Submitted()
		if len(parts) != 8 {
			t.Fatalf("simulator got %d parts, want 8", len(parts))
		}
		var text strings.Builder
		for i, p := range parts {
			if p.UDH == nil || p.UDH.Total != 8 || p.UDH.Seq != i+1 || p.UDH.Ref != parts[0].UDH.Ref {
				t.Fatalf("part %d UDH %+v: want total 8, seq %d, ref %d", i, p.UDH, i+1, parts[0].UDH.Ref)
			}
			text.WriteString(p.Text)
		}
		if text.String() != content {
			t.Errorf("parts join to a different text")
		}
	})

	t.Run("ThirdPartUndeliveredMakesOneUndeliveredStatus", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{ReceiptStatus: func(s smscsim.Submitted) string {
			if s.UDH != nil && s.UDH.Seq == 3 {
				return "UNDELIV"
			}
			return ""
		}})
		ids := e.send("【测试单位】"+strings.Repeat("长", 300), "13900139001")
		m := e.waitFinal(ids, 10*time.Second)[ids[0]]
		if m.Status != app.StatusUndelivered || !strings.Contains(m.ErrorCode, "UNDELIV") {
			t.Fatalf("status %s code %q, want undelivered with UNDELIV", m.Status, m.ErrorCode)
		}
	})

	t.Run("ReceiptBeforeSubmitResponseIsApplied", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{ReceiptBeforeResp: true})
		ids := e.send("【测试单位】先到的回执", numbers(100, 200)...)
		got := e.waitFinal(ids, 20*time.Second)
		if c := countStatus(got); c[app.StatusDelivered] != 200 {
			t.Fatalf("statuses %v, want 200 delivered", c)
		}
	})

	t.Run("ConnectionDroppedMidStreamLosesNothing", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{TPS: 2000, ReceiptDelay: 20 * time.Millisecond})
		ids := e.send("【测试单位】断线重连", numbers(1000, 3000)...)
		for drops := 0; drops < 3; {
			if st := e.sims[0].Stats(); st.Accepted > int64(600*(drops+1)) {
				e.sims[0].DropConnections()
				drops++
			}
			time.Sleep(5 * time.Millisecond)
		}
		got := e.waitFinal(ids, 60*time.Second)
		if c := countStatus(got); c[app.StatusDelivered] != 3000 {
			t.Fatalf("statuses %v, want 3000 delivered", c)
		}
		st := e.sims[0].Stats()
		if st.Unique != 3000 {
			t.Errorf("simulator saw %d unique messages, want 3000", st.Unique)
		}
		// Only submits in the window when a connection dropped can go twice.
		if max := int64(3 * e.chans[0].Window); st.Duplicates > max {
			t.Errorf("%d duplicates at the SMSC, more than 3 drops x window %d", st.Duplicates, e.chans[0].Window)
		}
	})

	t.Run("HeavyThrottlingRetriesUntilDelivered", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{ThrottleRatio: 0.3})
		ids := e.send("【测试单位】限流重试", numbers(5000, 300)...)
		got := e.waitFinal(ids, 30*time.Second)
		if c := countStatus(got); c[app.StatusDelivered] != 300 {
			t.Fatalf("statuses %v: throttled messages must be retried until delivered", c)
		}
		e.sims[0].SetOptions(func(o *smscsim.Options) { o.ThrottleRatio, o.ErrorRatio = 0, 0 })
	})

	t.Run("LongReplyIsReassembledAndLinked", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{})
		ids := e.send("【测试单位】请回复", "13700137000")
		e.waitFinal(ids, 10*time.Second)
		text := "收到，" + strings.Repeat("谢谢", 60)
		waitFor(t, 10*time.Second, func() bool { return e.sims[0].InjectMO("13700137000", "10690001", text) == nil })
		var rs []*app.Reply
		waitFor(t, 10*time.Second, func() bool {
			var err error
			rs, _, err = e.db.FindReplies(context.Background(), e.p, app.ReplyFilter{})
			return err == nil && len(rs) > 0
		})
		if len(rs) != 1 || rs[0].Content != text || rs[0].MessageID != ids[0] {
			t.Fatalf("replies %+v: want one reassembled reply linked to message %d", rs, ids[0])
		}
	})

	t.Run("BindFailureKeepsMessagesQueuedUntilFixed", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{})
		ch := e.chans[0]
		ch.Password = "wrong"
		if err := e.db.UpdateChannel(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, func() bool {
			st := e.engine.ChannelStates()[ch.ID]
			return !st.Bound && strings.Contains(st.LastError, "bind")
		})
		ids := e.send("【测试单位】等待通道", numbers(7000, 50)...)
		m, err := e.db.FindMessageByID(context.Background(), e.p, ids[0])
		if err != nil || m.Status.Final() {
			t.Fatalf("message %+v err %v: must wait, not fail", m, err)
		}
		ch.Password = "pw"
		if err := e.db.UpdateChannel(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
		got := e.waitFinal(ids, 20*time.Second)
		if c := countStatus(got); c[app.StatusDelivered] != 50 {
			t.Fatalf("statuses %v, want 50 delivered after the channel was fixed", c)
		}
	})

	t.Run("StopAndRestartResumesWithoutLoss", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{TPS: 1000})
		ids := e.send("【测试单位】停机续发", numbers(9000, 2000)...)
		waitFor(t, 10*time.Second, func() bool { return e.sims[0].Stats().Accepted > 300 })
		e.stopEngine()
		e.startEngine()
		got := e.waitFinal(ids, 30*time.Second)
		if c := countStatus(got); c[app.StatusDelivered] != 2000 {
			t.Fatalf("statuses %v, want 2000 delivered", c)
		}
		if st := e.sims[0].Stats(); st.Unique != 2000 || st.Duplicates != 0 {
			t.Errorf("simulator: %d unique, %d duplicates; a clean stop must cause no duplicates", st.Unique, st.Duplicates)
		}
	})
}

// waitFor waits until cond holds, within a deadline stretched under -race.
func waitFor(t testing.TB, within time.Duration, cond func() bool) {
	t.Helper()
	apptest.Eventually(t, within*slowdown, func() error {
		if !cond() {
			return errors.New("condition not met")
		}
		return nil
	})
}
