package dispatch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/dispatch/smscsim"
	"smsgw/store"
)

// TestReplyDurability pins issue 13, item 10 over real SMPP: a reply (or a
// part of one) is answered only once stored, a restart between the parts
// of a long reply loses none of them, and a reply the SMSC sends again is
// stored once.
func TestReplyDurability(t *testing.T) {
	ctx := context.Background()
	const from, to = "13700137000", "10690001"

	t.Run("PartsStoredBeforeRestartAreJoinedAfter", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{})
		ids := e.send("【测试单位】请回复", from)
		e.waitFinal(ids, 10*time.Second)
		text := "收到，" + strings.Repeat("谢谢", 60)
		mo := mustMO(t, e.sims[0], from, to, text)
		sendMO(t, e.sims[0], mo, 1)
		// Answered means stored: the first part must survive the restart.
		waitFor(t, 10*time.Second, func() bool { return e.sims[0].Stats().MOSent == 1 })
		e.restart()
		rest := make([]int, 0, mo.Parts()-1)
		for i := 2; i <= mo.Parts(); i++ {
			rest = append(rest, i)
		}
		sendMO(t, e.sims[0], mo, rest...)
		rs := e.waitReplies(1)
		if rs[0].Content != text || rs[0].Incomplete || rs[0].MessageID != ids[0] {
			t.Fatalf("reply %+v: want the whole text, linked to message %d", rs[0], ids[0])
		}
	})

	t.Run("ResentUnsubscribeIsStoredAndAppliedOnce", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{})
		mo := mustMO(t, e.sims[0], from, to, "TD")
		sendMO(t, e.sims[0], mo)
		waitFor(t, 10*time.Second, func() bool { return e.sims[0].Stats().MOSent == 1 })
		// The SMSC got no answer (say we crashed after storing it): it
		// sends the same PDU again.
		sendMO(t, e.sims[0], mo)
		waitFor(t, 10*time.Second, func() bool { return e.sims[0].Stats().MOSent == 2 })
		e.waitReplies(1)
		bl, _, err := e.db.FindBlacklist(ctx, e.p, app.BlacklistFilter{Phone: from})
		if err != nil || len(bl) != 1 {
			t.Fatalf("blacklist %+v, %v: want one entry", bl, err)
		}
		audit, _, err := e.db.FindAudit(ctx, e.p, app.AuditFilter{Action: "blacklist.unsubscribe"})
		if err != nil || len(audit) != 1 {
			t.Fatalf("audit %+v, %v: want one unsubscribe", audit, err)
		}
	})

	t.Run("ResentLongReplyIsStoredOnce", func(t *testing.T) {
		e := newEnv(t, 1, smscsim.Options{})
		text := strings.Repeat("再说一遍", 30)
		mo := mustMO(t, e.sims[0], from, to, text)
		n := int64(mo.Parts())
		sendMO(t, e.sims[0], mo)
		waitFor(t, 10*time.Second, func() bool { return e.sims[0].Stats().MOSent == n })
		sendMO(t, e.sims[0], mo, 1) // a part of an open set...
		sendMO(t, e.sims[0], mo)    // ...and of the completed one
		waitFor(t, 10*time.Second, func() bool { return e.sims[0].Stats().MOSent == 2*n+1 })
		if rs := e.waitReplies(1); rs[0].Content != text {
			t.Fatalf("reply %q, want %q", rs[0].Content, text)
		}
	})

	t.Run("SameTextTwiceOutsideTheWindowIsTwoReplies", func(t *testing.T) {
		const window = 50 * time.Millisecond
		e := startEnv(t, setup{sims: []smscsim.Options{{}}, store: func(o *store.Options) { o.ReplyResendWindow = window }})
		waitFor(t, 10*time.Second, func() bool { return e.sims[0].InjectMO(from, to, "好的") == nil })
		first := e.waitReplies(1)[0]
		// The person types it again, later than an SMSC's resend would come.
		waitFor(t, 10*time.Second, func() bool { return time.Since(first.ReceivedAt) > 2*window })
		if err := e.sims[0].InjectMO(from, to, "好的"); err != nil {
			t.Fatal(err)
		}
		e.waitReplies(2)
	})
}

// restart stops the engine and closes the store, as a stop of the server
// does, then opens both again on the same file.
func (e *env) restart() {
	e.t.Helper()
	e.stopEngine()
	if err := e.db.Close(); err != nil {
		e.t.Fatal(err)
	}
	db, err := store.Open(context.Background(), e.sopts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.db = db
	e.startEngine()
}

// waitReplies waits until n replies are stored and fails if there are
// more; callers wait for the simulator's count of answered deliver_sm
// first, so that every copy has been stored (or not) by then.
func (e *env) waitReplies(n int) []*app.Reply {
	e.t.Helper()
	var rs []*app.Reply
	list := func() bool {
		var err error
		rs, _, err = e.db.FindReplies(context.Background(), e.p, app.ReplyFilter{})
		return err == nil && len(rs) >= n
	}
	waitFor(e.t, 10*time.Second, list)
	if len(rs) != n {
		e.t.Fatalf("%d replies stored, want %d: %+v", len(rs), n, rs)
	}
	return rs
}

func mustMO(t *testing.T, sim *smscsim.Server, from, to, text string) *smscsim.MO {
	t.Helper()
	mo, err := sim.NewMO(from, to, text)
	if err != nil {
		t.Fatal(err)
	}
	return mo
}

// sendMO has the simulator send parts of mo once a session can take them.
func sendMO(t *testing.T, sim *smscsim.Server, mo *smscsim.MO, parts ...int) {
	t.Helper()
	waitFor(t, 10*time.Second, func() bool { return sim.SendMO(mo, parts...) == nil })
}
