package dispatch_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/dispatch/smscsim"
)

// longText is a five-part UCS2 message (6 + 300 characters, 67 a part),
// different for each i so the simulator can tell messages apart.
func longText(i int) string {
	return fmt.Sprintf("【测试单位】%05d", i) + strings.Repeat("长", 295)
}

// sendLong stores n five-part messages, one per number.
func (e *env) sendLong(from, n int) []int64 {
	var ids []int64
	for i, to := range numbers(from, n) {
		ids = append(ids, e.send(longText(from+i), to)...)
	}
	return ids
}

// wantPartsOnce checks that every message was delivered and that the SMSC
// got each part once under one reference: no duplicates, no fragments left
// incomplete.
func wantPartsOnce(t *testing.T, e *env, got map[int64]*app.Message, n int) {
	t.Helper()
	if c := countStatus(got); c[app.StatusDelivered] != n {
		t.Fatalf("statuses %v, want %d delivered", c, n)
	}
	st := e.sims[0].Stats()
	if st.Unique != int64(5*n) || st.Duplicates != 0 || st.Incomplete != 0 || st.Messages != int64(n) {
		t.Errorf("SMSC saw %d unique parts, %d duplicates (%d under the same reference), %d incomplete sets, %d messages; want %d, 0, 0, 0, %d",
			st.Unique, st.Duplicates, st.SameRefDuplicates, st.Incomplete, st.Messages, 5*n, n)
	}
}

func TestLongMessageParts(t *testing.T) {
	t.Run("ThrottledPartsAloneAreRetriedUnderTheSameReference", func(t *testing.T) {
		const n = 150
		e := newEnv(t, 1, smscsim.Options{ThrottleRatio: 0.03, Keep: 5 * n * 2, ReceiptDelay: 5 * time.Millisecond})
		ids := e.sendLong(0, n)
		got := e.waitFinal(ids, 60*time.Second)
		if st := e.sims[0].Stats(); st.Throttled == 0 {
			t.Fatalf("the simulator throttled nothing: the test proves nothing")
		}
		wantPartsOnce(t, e, got, n)
	})

	t.Run("TransientErrorsOnSomePartsResendOnlyThoseParts", func(t *testing.T) {
		const n = 60
		e := newEnv(t, 1, smscsim.Options{ErrorRatio: 0.05, Keep: 5 * n * 2, ReceiptDelay: 5 * time.Millisecond})
		ids := e.sendLong(1000, n)
		got := e.waitFinal(ids, 90*time.Second)
		wantPartsOnce(t, e, got, n)
	})

	t.Run("PartsThrottledAgainAndAgainGoFromTheQueueUnderTheSameReference", func(t *testing.T) {
		// Half the submits throttled: some parts are refused more often
		// than the session retries them, and their messages go back to
		// the queue with the parts accepted so far kept.
		const n = 40
		e := newEnv(t, 1, smscsim.Options{ThrottleRatio: 0.5, Keep: 5 * n * 2, ReceiptDelay: 5 * time.Millisecond})
		ids := e.sendLong(3000, n)
		got := e.waitFinal(ids, 90*time.Second)
		var retried int
		for _, m := range got {
			if m.Attempts > 0 {
				retried++
			}
		}
		if retried == 0 {
			t.Fatalf("no message went back to the queue: the test proves nothing")
		}
		wantPartsOnce(t, e, got, n)
	})

	t.Run("PartThrottledPastTheSessionRetriesGoesAloneFromTheQueue", func(t *testing.T) {
		// Part 2 of every message is throttled 5 times: more than the
		// session retries it, so each message goes back to the queue once
		// with parts 1, 3, 4 and 5 accepted.
		const n = 20
		var refused sync.Map // destination -> *atomic.Int32
		e := newEnv(t, 1, smscsim.Options{Keep: 5 * n * 2, ReceiptDelay: 5 * time.Millisecond,
			PartStatus: func(dest string, udh *smscsim.UDHInfo) uint32 {
				if udh == nil || udh.Seq != 2 {
					return 0
				}
				v, _ := refused.LoadOrStore(dest, new(atomic.Int32))
				if v.(*atomic.Int32).Add(1) <= 5 {
					return 0x58 // ESME_RTHROTTLED
				}
				return 0
			}})
		ids := e.sendLong(5000, n)
		got := e.waitFinal(ids, 60*time.Second)
		for id, m := range got {
			if m.Attempts == 0 {
				t.Fatalf("message %d was never retried from the queue: the test proves nothing", id)
			}
		}
		wantPartsOnce(t, e, got, n)
	})

	t.Run("PartRefusedForGoodFailsTheMessageAndNoPartGoesTwice", func(t *testing.T) {
		// Part 3 refused for good: the message fails. The other parts,
		// sent before the refusal came back, stay at the SMSC (the handset
		// may show them as an incomplete message); none is sent again.
		const n = 10
		e := newEnv(t, 1, smscsim.Options{Keep: 5 * n * 2, ReceiptDelay: 5 * time.Millisecond,
			PartStatus: func(_ string, udh *smscsim.UDHInfo) uint32 {
				if udh != nil && udh.Seq == 3 {
					return 0x0B // ESME_RINVDSTADR
				}
				return 0
			}})
		ids := e.sendLong(6000, n)
		got := e.waitFinal(ids, 30*time.Second)
		if c := countStatus(got); c[app.StatusFailed] != n {
			t.Fatalf("statuses %v, want %d failed", c, n)
		}
		if st := e.sims[0].Stats(); st.Unique != 4*n || st.Duplicates != 0 {
			t.Errorf("SMSC saw %d unique parts and %d duplicates, want %d and 0", st.Unique, st.Duplicates, 4*n)
		}
	})

	t.Run("MissingPartsGoFromTheSourceNumberOfThoseSent", func(t *testing.T) {
		// Two channels with different source numbers, both throttling
		// hard: a message back from the queue returns to the number its
		// first parts carried, so a handset can join them.
		const n = 40
		o := smscsim.Options{ThrottleRatio: 0.5, Keep: 5 * n * 2, ReceiptDelay: 5 * time.Millisecond}
		e := newEnv(t, 2, o)
		ids := e.sendLong(4000, n)
		got := e.waitFinal(ids, 90*time.Second)
		if c := countStatus(got); c[app.StatusDelivered] != n {
			t.Fatalf("statuses %v, want %d delivered", c, n)
		}
		sources := map[string]map[string]bool{} // destination -> source numbers
		for _, sim := range e.sims {
			for _, sub := range sim.Submitted() {
				if sources[sub.Dest] == nil {
					sources[sub.Dest] = map[string]bool{}
				}
				sources[sub.Dest][sub.Source] = true
			}
		}
		for dest, srcs := range sources {
			if len(srcs) != 1 {
				t.Errorf("message to %s went out from %d source numbers %v, want one", dest, len(srcs), srcs)
			}
		}
	})

	t.Run("SessionDropBetweenPartsResendsNoPartUnderAnotherReference", func(t *testing.T) {
		const n = 200
		e := startEnv(t, setup{sims: []smscsim.Options{{TPS: 400, Keep: 5 * n * 2, ReceiptDelay: 5 * time.Millisecond}},
			channel: func(_ int, c *app.Channel) { c.TPS = 400; c.Window = 16 }})
		ids := e.sendLong(2000, n)
		deadline := time.Now().Add(30 * time.Second * slowdown)
		for drops := 0; drops < 3 && time.Now().Before(deadline); {
			if st := e.sims[0].Stats(); st.Accepted > int64(200*(drops+1)+drops) {
				e.sims[0].DropConnections()
				drops++
			}
			time.Sleep(2 * time.Millisecond)
		}
		got := e.waitFinal(ids, 60*time.Second)
		if c := countStatus(got); c[app.StatusDelivered] != n {
			t.Fatalf("statuses %v, want %d delivered", c, n)
		}
		st := e.sims[0].Stats()
		if st.Unique != 5*n {
			t.Errorf("SMSC saw %d unique parts, want %d", st.Unique, 5*n)
		}
		// A part in the window when the connection dropped may go again,
		// but only under its own reference and number.
		if other := st.Duplicates - st.SameRefDuplicates; other != 0 {
			t.Errorf("%d parts sent again under another reference (%d duplicates, %d under the same one)",
				other, st.Duplicates, st.SameRefDuplicates)
		}
		if max := int64(3 * e.chans[0].Window); st.SameRefDuplicates > max {
			t.Errorf("%d parts sent twice, more than 3 drops x window %d", st.SameRefDuplicates, e.chans[0].Window)
		}
	})
}
