package store_test

import (
	"context"
	"testing"
	"time"

	"smsgw/app"
)

func TestBatchesAndCounts(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	p := MustSysadmin(t, db)
	first := MustSend(t, db, p, &app.SendRequest{To: append(numbers(0, 3), "123"), Content: text("第一批")})
	second := MustSend(t, db, p, &app.SendRequest{To: numbers(10, 2), Content: text("第二批")})
	MustClaimAll(t, db)
	mustRecord(t, db, []app.Outcome{{MessageID: first.Messages[0].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: at}}, "")

	list, next, err := db.FindBatches(ctx, p, app.BatchFilter{Limit: 1})
	if err != nil || len(list) != 1 || list[0].ID != second.BatchID || next == "" {
		t.Fatalf("first page: %v, next %q, %v; want the second batch and a cursor", list, next, err)
	}
	list, _, err = db.FindBatches(ctx, p, app.BatchFilter{Cursor: next})
	if err != nil || len(list) != 1 || list[0].ID != first.BatchID {
		t.Fatalf("second page: %v, %v; want the first batch", list, err)
	}
	b := list[0]
	if b.Total != 4 || b.Accepted != 3 || len(b.Rejected) != 1 || b.Counts[app.StatusFailed] != 1 || b.Counts[app.StatusSubmitting] != 2 || b.Done() != 1 {
		t.Errorf("first batch %+v counts %v; want 4 sent, 3 accepted, 1 rejected, 1 failed, 2 submitting", b.Batch, b.Counts)
	}
	if list, _, _ := db.FindBatches(ctx, p, app.BatchFilter{Content: "第二"}); len(list) != 1 || list[0].ID != second.BatchID {
		t.Errorf("content filter: %v", list)
	}
	if _, err := db.FindBatchByID(ctx, p, 999); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("unknown batch: %v", err)
	}

	hourly, err := db.CountMessagesByHour(ctx, p, time.Now().Add(-30*time.Minute))
	if err != nil || len(hourly) != 24 || hourly[0][app.StatusFailed] != 1 || hourly[0][app.StatusSubmitting] != 4 {
		t.Errorf("by hour: %v, %v; want this half hour's counts in the first hour", hourly, err)
	}
	total := func(hs []map[app.Status]int) (n int) {
		for _, h := range hs {
			for _, c := range h {
				n += c
			}
		}
		return n
	}
	if hourly, err := db.CountMessagesByHour(ctx, p, time.Now().Add(time.Hour)); err != nil || total(hourly) != 0 {
		t.Errorf("counts since an hour ahead: %v, %v; want none", hourly, err)
	}
	other := MustAPIKey(t, db, app.RootDepartmentID, app.RoleOperator)
	if hourly, _ := db.CountMessagesByHour(ctx, other, time.Now().Add(-30*time.Minute)); total(hourly) != 0 {
		t.Errorf("an operator key sees others' counts: %v", hourly)
	}
}

func TestCancelScheduledBatchAndResendLink(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	p := MustSysadmin(t, db)
	now := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: text("立即")})
	later := MustSend(t, db, p, &app.SendRequest{To: numbers(5, 3), Content: text("定时"), SendAt: time.Now().Add(time.Hour)})
	if _, err := db.CancelBatch(ctx, p, now.BatchID); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("cancelling an immediate batch: %v; want ECONFLICT", err)
	}
	n, err := db.CancelBatch(ctx, p, later.BatchID)
	if err != nil || n != 3 {
		t.Fatalf("cancel: %d, %v; want 3", n, err)
	}
	if b, _ := db.FindBatchByID(ctx, p, later.BatchID); b.Counts[app.StatusCancelled] != 3 || b.Done() != 3 {
		t.Errorf("after cancelling: %v", b.Counts)
	}
	other := MustAPIKey(t, db, app.RootDepartmentID, app.RoleOperator)
	if _, err := db.CancelBatch(ctx, other, later.BatchID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("another operator cancelling: %v; want ENOTFOUND", err)
	}
	resend := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text("立即"), ResendOf: now.BatchID})
	if b, _ := db.FindBatchByID(ctx, p, resend.BatchID); b.ResendOf != now.BatchID {
		t.Errorf("resend batch: resend_of %d, want %d", b.ResendOf, now.BatchID)
	}
}

// TestAuditorsChangeNoBatch (issue 14, item 8): an auditor, console user or
// API app, sees a batch but may not cancel, withdraw or send.
func TestAuditorsChangeNoBatch(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	p := MustSysadmin(t, db)
	later := MustSend(t, db, p, &app.SendRequest{To: numbers(5, 1), Content: text("定时"), SendAt: time.Now().Add(time.Hour)})
	for _, aud := range []*app.Principal{
		{UserID: 99, DepartmentID: app.RootDepartmentID, Role: app.RoleAuditor},
		{APIKeyID: 99, DepartmentID: app.RootDepartmentID, Role: app.RoleAuditor, Scopes: []string{app.ScopeSend}, AllowFreeText: true},
	} {
		if _, err := db.CancelBatch(ctx, aud, later.BatchID); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Errorf("an auditor cancelling: %v; want EFORBIDDEN", err)
		}
		if _, err := db.Send(ctx, aud, &app.SendRequest{To: numbers(0, 1), Content: text("审计员")}); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Errorf("an auditor sending: %v; want EFORBIDDEN", err)
		}
	}
	if b, _ := db.FindBatchByID(ctx, p, later.BatchID); b.Counts[app.StatusCancelled] != 0 {
		t.Errorf("the auditors cancelled: %v", b.Counts)
	}
}
