package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/store"
)

// TestApplyReceipts pins how delivery receipts set a message's final status:
// all parts for delivered, the first failed part for the rest, and nothing
// for repeats, intermediate states or receipts ahead of their submit result.
func TestApplyReceipts(t *testing.T) {
	ctx := context.Background()
	done := at.Add(5 * time.Second)

	t.Run("DeliversOnePartMessage", func(t *testing.T) {
		db := MustOpenDB(t)
		id := mustSubmitted(t, db, 1, "p1")
		mustApply(t, db, receipt("p1", "DELIVRD"))
		m := MustFind(t, db, id)
		if m.Status != app.StatusDelivered || !m.DoneAt.Equal(done) {
			t.Fatalf("status %s done %v; want delivered at %v", m.Status, m.DoneAt, done)
		}
	})

	t.Run("DeliversEightPartMessageOnlyAfterAllParts", func(t *testing.T) {
		db := MustOpenDB(t)
		parts := partIDs(8)
		id := mustSubmitted(t, db, 8, parts...)
		for i, part := range parts {
			mustApply(t, db, receipt(part, "DELIVRD"))
			want := app.StatusSubmitted
			if i == len(parts)-1 {
				want = app.StatusDelivered
			}
			wantStatus(t, db, id, want)
		}
	})

	t.Run("RepeatedReceiptIsNotCountedTwice", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		parts := partIDs(8)
		id := mustSubmitted(t, db, 8, parts...)
		// Parts 1 to 7, then part 1 again: in one call and in another.
		var batch []app.Receipt
		for _, part := range parts[:7] {
			batch = append(batch, receipt(part, "DELIVRD"))
		}
		mustApply(t, db, append(batch, receipt(parts[0], "DELIVRD"))...)
		mustApply(t, db, receipt(parts[0], "DELIVRD"))
		wantStatus(t, db, id, app.StatusSubmitted)
		if n := count(t, MustRawDB(t, path), `select parts_delivered from messages where id = ?`, id); n != 7 {
			t.Fatalf("parts_delivered = %d, want 7", n)
		}
		mustApply(t, db, receipt(parts[7], "DELIVRD"))
		wantStatus(t, db, id, app.StatusDelivered)
	})

	t.Run("UndeliveredPartMakesMessageUndeliveredForGood", func(t *testing.T) {
		db := MustOpenDB(t)
		parts := partIDs(8)
		id := mustSubmitted(t, db, 8, parts...)
		mustApply(t, db, receipt(parts[0], "DELIVRD"), receipt(parts[1], "DELIVRD"))
		r := receipt(parts[2], "UNDELIV")
		r.Err = "001"
		mustApply(t, db, r)
		m := MustFind(t, db, id)
		if m.Status != app.StatusUndelivered || !strings.Contains(m.ErrorCode, "UNDELIV") || !m.DoneAt.Equal(done) {
			t.Fatalf("status %s code %q done %v; want undelivered, UNDELIV, %v", m.Status, m.ErrorCode, m.DoneAt, done)
		}
		// The other parts arrive later and say delivered: the message stays as it was.
		for _, part := range parts[3:] {
			late := receipt(part, "DELIVRD")
			late.At = done.Add(time.Minute)
			mustApply(t, db, late)
		}
		if after := MustFind(t, db, id); *after != *m {
			t.Fatalf("later receipts changed the message:\nbefore %+v\nafter  %+v", *m, *after)
		}
	})

	t.Run("ExpiredReceiptMakesMessageExpired", func(t *testing.T) {
		db := MustOpenDB(t)
		id := mustSubmitted(t, db, 1, "p1")
		mustApply(t, db, receipt("p1", "EXPIRED"))
		if m := MustFind(t, db, id); m.Status != app.StatusExpired || !strings.Contains(m.ErrorCode, "EXPIRED") {
			t.Fatalf("status %s code %q; want expired, EXPIRED", m.Status, m.ErrorCode)
		}
	})

	t.Run("IntermediateReceiptsChangeNothing", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		id := mustSubmitted(t, db, 1, "p1")
		before := *MustFind(t, db, id)
		mustApply(t, db, receipt("p1", "ACCEPTD"), receipt("p1", "ENROUTE"))
		if after := *MustFind(t, db, id); after != before {
			t.Fatalf("intermediate receipts changed the message:\nbefore %+v\nafter  %+v", before, after)
		}
		if n := count(t, MustRawDB(t, path), `select count(*) from early_receipts`); n != 0 {
			t.Fatalf("%d intermediate receipts kept as early", n)
		}
		// The part is still open for its final receipt.
		mustApply(t, db, receipt("p1", "DELIVRD"))
		wantStatus(t, db, id, app.StatusDelivered)
	})

	t.Run("ReceiptBeforeSubmitResultIsAppliedWhenRecorded", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text(strings.Repeat("好", 100))})
		id := res.Messages[0].ID
		job := MustClaimAll(t, db)[0]

		// The SMSC's receipts overtake its submit_sm_resp.
		mustApply(t, db, receipt("e1", "DELIVRD"), receipt("e2", "DELIVRD"))
		wantStatus(t, db, id, app.StatusSubmitting)
		raw := MustRawDB(t, path)
		if n := count(t, raw, `select count(*) from early_receipts`); n != 2 {
			t.Fatalf("%d early receipts kept, want 2", n)
		}

		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"e1", "e2"}, At: at}}, job.ID)
		if m := MustFind(t, db, id); m.Status != app.StatusDelivered || !m.DoneAt.Equal(done) {
			t.Fatalf("status %s done %v; want delivered at %v", m.Status, m.DoneAt, done)
		}
		if n := count(t, raw, `select count(*) from early_receipts`); n != 0 {
			t.Fatalf("%d early receipts left after they were applied", n)
		}
	})

	t.Run("ReceiptForUnknownIDIsKeptAndHarmless", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		id := mustSubmitted(t, db, 1, "p1")
		before := *MustFind(t, db, id)
		other := receipt("p1", "UNDELIV")
		other.ChannelID = 2 // the same SMSC id from another channel is another message
		if err := db.ApplyReceipts(ctx, []app.Receipt{receipt("nobody", "DELIVRD"), other}); err != nil {
			t.Fatal(err)
		}
		if after := *MustFind(t, db, id); after != before {
			t.Fatalf("an unknown receipt changed a message:\nbefore %+v\nafter  %+v", before, after)
		}
		if n := count(t, MustRawDB(t, path), `select count(*) from early_receipts`); n != 2 {
			t.Fatalf("%d early receipts, want 2", n)
		}
		// Repeats of an unknown receipt are harmless too.
		mustApply(t, db, receipt("nobody", "DELIVRD"))
	})
}

// mustSubmitted sends one message of the given number of segments on channel
// 1 and records it submitted with the SMSC ids, one per part.
func mustSubmitted(t *testing.T, db *store.DB, segments int, smscIDs ...string) int64 {
	t.Helper()
	p := MustSysadmin(t, db)
	// UCS2: one part holds 70 characters, each part of a long text 67.
	chars := 10
	if segments > 1 {
		chars = 67*(segments-1) + 10
	}
	res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text(strings.Repeat("好", chars-len([]rune(text("")))))})
	id := res.Messages[0].ID
	if got := res.Messages[0].Segments; got != segments {
		t.Fatalf("fixture has %d segments, want %d", got, segments)
	}
	job := MustClaimAll(t, db)[0]
	mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: smscIDs, At: at}}, job.ID)
	wantStatus(t, db, id, app.StatusSubmitted)
	return id
}

// receipt returns a receipt from channel 1 for one part.
func receipt(smscID, stat string) app.Receipt {
	return app.Receipt{ChannelID: 1, SMSCID: smscID, Stat: stat, Err: "000", At: at.Add(5 * time.Second)}
}

// partIDs returns n SMSC ids, one per part.
func partIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("part-%d", i+1)
	}
	return out
}

// mustApply applies receipts in one call.
func mustApply(t *testing.T, db *store.DB, receipts ...app.Receipt) {
	t.Helper()
	if err := db.ApplyReceipts(context.Background(), receipts); err != nil {
		t.Fatalf("apply receipts: %v", err)
	}
}
