package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/store"
)

// Old records go in small steps: SMSC ids a week after their message is
// final, messages, their batches and replies after the retention period.
func TestRetentionPrunesOldRecords(t *testing.T) {
	ctx := context.Background()
	var clock atomic.Int64
	clock.Store(at.UnixMilli())
	path := filepath.Join(t.TempDir(), "smsgw.db")
	db, err := store.Open(ctx, store.Options{Path: path, Exclusive: true, Retention: 30 * 24 * time.Hour,
		Now: func() time.Time { return time.UnixMilli(clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw := MustRawDB(t, path)
	count := func(table string) (n int) {
		t.Helper()
		if err := raw.QueryRow(`select count(*) from ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	advance := func(d time.Duration) {
		clock.Add(d.Milliseconds())
		if err := db.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// 1,200 delivered messages (more than one pruning step) and a reply.
	p := MustSysadmin(t, db)
	var smscIDs []string
	var outcomes []app.Outcome
	for i := range 12 {
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(i*100, 100), Content: text("旧通知")})
		for _, m := range res.Messages {
			id := fmt.Sprintf("old-%d", m.ID)
			smscIDs = append(smscIDs, id)
			outcomes = append(outcomes, app.Outcome{MessageID: m.ID, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{id}, At: at})
		}
	}
	var jobIDs []string
	for _, j := range MustClaimAll(t, db) {
		jobIDs = append(jobIDs, j.ID)
	}
	if err := db.Record(ctx, outcomes, jobIDs); err != nil {
		t.Fatal(err)
	}
	var receipts []app.Receipt
	for _, id := range smscIDs {
		receipts = append(receipts, receipt(id, "DELIVRD"))
	}
	mustApply(t, db, receipts...)
	if err := db.SaveReplies(ctx, []*app.Reply{{ChannelID: 1, From: "13800000000", To: "10690001", Content: "收到", ReceivedAt: at}}); err != nil {
		t.Fatal(err)
	}
	if count("smsc_ids") != 1200 || count("messages") != 1200 {
		t.Fatalf("fixture: %d smsc ids, %d messages", count("smsc_ids"), count("messages"))
	}

	advance(6 * 24 * time.Hour)
	if n := count("smsc_ids"); n != 1200 {
		t.Errorf("after 6 days %d SMSC ids remain; want all 1200 (kept a week)", n)
	}
	advance(2 * 24 * time.Hour)
	if n := count("smsc_ids"); n != 0 {
		t.Errorf("after 8 days %d SMSC ids remain; want none", n)
	}
	if n := count("messages"); n != 1200 {
		t.Errorf("after 8 days %d messages remain; want all (retention 30 days)", n)
	}

	recent := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(5000, 1), Content: text("新通知")}))[0]
	advance(25 * 24 * time.Hour) // 33 days after the first
	if n := count("messages"); n != 1 {
		t.Errorf("after 33 days %d messages remain; want only the recent one", n)
	}
	MustFind(t, db, recent)
	if n := count("batches"); n != 1 {
		t.Errorf("%d batches remain; want the recent one's", n)
	}
	if n := count("replies"); n != 0 {
		t.Errorf("%d replies remain; want none", n)
	}
}
