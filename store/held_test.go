package store_test

import (
	"context"
	"testing"
	"time"

	"smsgw/app"
)

// TestHeldBatches pins free text with a reviewable sensitive word: held,
// not sent, until a reviewer releases it (queued once) or refuses it.
func TestHeldBatches(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	admin := MustSysadmin(t, db)
	if err := db.SaveWordList(ctx, reviewer, app.WordList{Name: "金融", Action: app.WordReview, Words: []string{"贷款"}}); err != nil {
		t.Fatal(err)
	}
	send := func(req *app.SendRequest) *app.SendResult {
		t.Helper()
		res := MustSend(t, db, admin, req)
		if res.Review != app.ReviewPending || res.Messages[0].Status != app.StatusAccepted {
			t.Fatalf("not held: review %q, status %s", res.Review, res.Messages[0].Status)
		}
		return res
	}
	held := send(&app.SendRequest{To: numbers(0, 3), Content: text("低息贷款，欢迎咨询"), ClientRef: "held-1"})
	if jobs := MustClaimAll(t, db); len(jobs) != 0 {
		t.Fatalf("a held batch was queued: %d jobs", len(jobs))
	}
	again := MustSend(t, db, admin, &app.SendRequest{To: numbers(0, 3), Content: text("低息贷款，欢迎咨询"), ClientRef: "held-1"})
	if !again.Duplicate || again.Review != app.ReviewPending || again.Messages[0].Status != app.StatusAccepted {
		t.Fatalf("repeated call answers %+v", again)
	}
	if list, _, err := db.FindBatches(ctx, reviewer, app.BatchFilter{Review: app.ReviewPending}); err != nil || len(list) != 1 || list[0].ReviewNote == "" {
		t.Fatalf("held batches: %v, %v", list, err)
	}

	op := &app.Principal{UserID: 21, DepartmentID: app.RootDepartmentID, Role: app.RoleDeptAdmin}
	_, err := db.ReviewBatch(ctx, op, held.BatchID, &app.Review{Decision: "approve"})
	wantCode(t, err, app.EFORBIDDEN)
	if _, err := db.ReviewBatch(ctx, reviewer, held.BatchID, &app.Review{Decision: "approve"}); err != nil {
		t.Fatal(err)
	}
	_, err = db.ReviewBatch(ctx, reviewer, held.BatchID, &app.Review{Decision: "approve"})
	wantCode(t, err, app.ECONFLICT)
	if due, err := db.DueCallbacks(ctx, 10); err != nil || len(due) != 0 {
		t.Fatalf("a callback for an app without a URL: %v, %v", due, err)
	}
	claimed := 0
	for _, j := range MustClaimAll(t, db) {
		claimed += len(j.Messages)
	}
	if claimed != 3 {
		t.Fatalf("claimed %d after approval, want 3", claimed)
	}

	// Refused: its messages are rejected and never sent.
	refused := send(&app.SendRequest{To: numbers(10, 2), Content: text("贷款")})
	if _, err := db.ReviewBatch(ctx, reviewer, refused.BatchID, &app.Review{Decision: "reject", Reason: "不符合规定"}); err != nil {
		t.Fatal(err)
	}
	raw := MustRawDB(t, path)
	if n := count(t, raw, `select count(*) from messages where batch_id = ? and status = 'rejected' and error_code = 'EREVIEW'`, refused.BatchID); n != 2 {
		t.Fatalf("%d messages rejected", n)
	}

	// Scheduled and approved: it waits for its time, not sent at once.
	later := send(&app.SendRequest{To: numbers(20, 1), Content: text("贷款"), SendAt: time.Now().Add(time.Hour)})
	if _, err := db.ReviewBatch(ctx, reviewer, later.BatchID, &app.Review{Decision: "approve"}); err != nil {
		t.Fatal(err)
	}
	if jobs := MustClaimAll(t, db); len(jobs) != 0 {
		t.Fatal("a scheduled batch went at its approval")
	}
	if m := MustFind(t, db, later.Messages[0].ID); m.Status != app.StatusAccepted {
		t.Fatalf("an approved scheduled message is %s before its time", m.Status)
	}

	// Withdrawn by its sender while held.
	withdrawn := send(&app.SendRequest{To: numbers(30, 2), Content: text("贷款")})
	if n, err := db.CancelBatch(ctx, admin, withdrawn.BatchID); err != nil || n != 2 {
		t.Fatalf("withdraw: %d, %v", n, err)
	}
	_, err = db.ReviewBatch(ctx, reviewer, withdrawn.BatchID, &app.Review{Decision: "approve"})
	wantCode(t, err, app.ECONFLICT)
}
