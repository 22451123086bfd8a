package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"smsgw/app"
)

// TestSend pins the sending service: checks, per-number rejections,
// idempotency, scheduling, and the jobs a batch enqueues.
func TestSend(t *testing.T) {
	ctx := context.Background()

	t.Run("RejectsInvalidNumbersOneByOne", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		to := []string{"13800138000", "12345", "1380013800x", "+44 7700 900123", "13900139000", "10086123456"}
		res := MustSend(t, db, p, &app.SendRequest{To: to, Content: text("你好")})

		var accepted []string
		for _, m := range res.Messages {
			accepted = append(accepted, m.To)
			if m.Status != app.StatusQueued {
				t.Errorf("message to %s: status %s, want queued", m.To, m.Status)
			}
		}
		if want := []string{"13800138000", "13900139000"}; !slices.Equal(accepted, want) {
			t.Fatalf("accepted %v, want %v", accepted, want)
		}
		var rejected []string
		for _, r := range res.Rejected {
			rejected = append(rejected, r.To)
			if r.Code != app.EINVALID_NUMBER || r.Message == "" {
				t.Errorf("rejection of %q: code %q message %q, want EINVALID_NUMBER with a message", r.To, r.Code, r.Message)
			}
		}
		if want := []string{"12345", "1380013800x", "+44 7700 900123", "10086123456"}; !slices.Equal(rejected, want) {
			t.Fatalf("rejected %v, want %v", rejected, want)
		}
		for _, id := range sentIDs(res) {
			MustFind(t, db, id)
		}
	})

	t.Run("StoresDuplicateNumbersOnce", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: []string{"13800138000", "+8613800138000", "13800138000", "139 0013 9000"}, Content: text("你好")})

		if len(res.Messages) != 2 {
			t.Fatalf("%d messages accepted, want 2: %+v", len(res.Messages), res.Messages)
		}
		if len(res.Rejected) != 2 {
			t.Fatalf("%d rejections, want 2: %+v", len(res.Rejected), res.Rejected)
		}
		for i, want := range []string{"+8613800138000", "13800138000"} {
			if r := res.Rejected[i]; r.To != want || r.Code != app.EDUPLICATE {
				t.Errorf("rejection %d = %+v, want %s EDUPLICATE", i, r, want)
			}
		}
		raw := MustRawDB(t, path)
		if got := count(t, raw, `select count(*) from messages where phone = '13800138000'`); got != 1 {
			t.Fatalf("%d rows for 13800138000, want 1", got)
		}
		if got := count(t, raw, `select count(*) from messages`); got != 2 {
			t.Fatalf("%d message rows, want 2", got)
		}
	})

	t.Run("RejectsRequestWithNoValidNumber", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		_, err := db.Send(ctx, p, &app.SendRequest{To: []string{"123", "abc", "123"}, Content: text("你好")})
		wantField(t, err, "to")
		var e *app.Error
		errors.As(err, &e)
		rejected, ok := e.Details["rejected"].([]app.Rejection)
		if !ok || len(rejected) != 3 {
			t.Fatalf("details.rejected = %#v, want the 3 rejections", e.Details["rejected"])
		}
		wantNothingStored(t, path)
	})

	t.Run("RejectsBadShapeAndStoresNothing", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		tests := []struct {
			name  string
			req   app.SendRequest
			field string
			code  string // "" for EINVALID
		}{
			{"EmptyContent", app.SendRequest{To: numbers(0, 1), Content: ""}, "content", ""},
			{"BlankContent", app.SendRequest{To: numbers(0, 1), Content: " \n "}, "content", ""},
			{"Content501Chars", app.SendRequest{To: numbers(0, 1), Content: text(strings.Repeat("好", 501-len([]rune(text("")))))}, "content", ""},
			{"NoNumbers", app.SendRequest{Content: text("你好")}, "to", ""},
			{"TooManyNumbers", app.SendRequest{To: numbers(0, app.MaxRecipients+1), Content: text("你好")}, "to", ""},
			{"ContentWithoutSignature", app.SendRequest{To: numbers(0, 1), Content: "你好，没有签名"}, "content", ""},
			{"ContentWithUnknownSignature", app.SendRequest{To: numbers(0, 1), Content: "【别的单位】你好"}, "content", app.ESIGNATURE_NOT_APPROVED},
			{"SignatureNotAtStart", app.SendRequest{To: numbers(0, 1), Content: "你好" + text("")}, "content", ""},
			{"SendAtOver180Days", app.SendRequest{To: numbers(0, 1), Content: text("你好"), SendAt: time.Now().Add(181 * 24 * time.Hour)}, "send_at", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := db.Send(ctx, p, &tt.req)
				if tt.code == "" {
					tt.code = app.EINVALID
				}
				wantCodeField(t, err, tt.code, tt.field)
			})
		}
		wantNothingStored(t, path)
	})

	t.Run("Accepts500CharsAsEightSegments", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		content := text(strings.Repeat("好", 500-len([]rune(text("")))))
		if n := len([]rune(content)); n != 500 {
			t.Fatalf("fixture has %d chars", n)
		}
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: content})
		for _, m := range res.Messages {
			if m.Segments != 8 {
				t.Errorf("answer says %d segments, want 8", m.Segments)
			}
			if got := MustFind(t, db, m.ID); got.Segments != 8 || got.Content != content {
				t.Errorf("stored %d segments, content %d chars; want 8 and the text", got.Segments, len([]rune(got.Content)))
			}
		}
		if got := count(t, MustRawDB(t, path), `select segments from batches`); got != 8 {
			t.Errorf("batch segments = %d, want 8", got)
		}
	})

	t.Run("ForbidsFreeTextToAppsNotAllowedIt", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		p.AllowFreeText = false
		_, err := db.Send(ctx, p, &app.SendRequest{To: numbers(0, 1), Content: text("你好")})
		wantCode(t, err, app.EFORBIDDEN)
		wantNothingStored(t, path)
	})

	t.Run("ForbidsAppsWithoutSendScope", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		p.Scopes = []string{app.ScopeQuery}
		_, err := db.Send(ctx, p, &app.SendRequest{To: numbers(0, 1), Content: text("你好")})
		wantCode(t, err, app.EFORBIDDEN)
		wantNothingStored(t, path)
	})

	t.Run("LetsConsoleUsersSendFreeText", func(t *testing.T) {
		db := MustOpenDB(t)
		MustSignature(t, db)
		p := &app.Principal{UserID: 7, DepartmentID: app.RootDepartmentID, Role: app.RoleOperator}
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text("你好")})
		if m := MustFind(t, db, res.Messages[0].ID); m.UserID != 7 || m.APIKeyID != 0 {
			t.Fatalf("stored user %d api key %d, want 7 and 0", m.UserID, m.APIKeyID)
		}
	})

	t.Run("RepeatedClientRefReturnsFirstAnswer", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		req := &app.SendRequest{To: []string{"13800138000", "bad", "13900139000"}, Content: text("你好"), ClientRef: "order-1"}
		first := MustSend(t, db, p, req)
		if first.Duplicate {
			t.Fatal("first answer marked duplicate")
		}
		again := MustSend(t, db, p, req)
		if !again.Duplicate {
			t.Fatal("repeated answer not marked duplicate")
		}
		wantSameAnswer(t, first, again)

		raw := MustRawDB(t, path)
		if got := count(t, raw, `select count(*) from batches`); got != 1 {
			t.Fatalf("%d batches, want 1", got)
		}
		if got := count(t, raw, `select count(*) from messages`); got != 2 {
			t.Fatalf("%d messages, want 2", got)
		}
		if got := count(t, raw, `select count(*) from goqite`); got != 1 {
			t.Fatalf("%d jobs, want 1", got)
		}

		// The key is per API key: another app's identical reference is new work.
		other := MustAPIKey(t, db, app.RootDepartmentID, app.RoleSysadmin)
		if res := MustSend(t, db, other, req); res.Duplicate || res.BatchID == first.BatchID {
			t.Fatalf("another app's client_ref answered with batch %d (duplicate %v)", res.BatchID, res.Duplicate)
		}
	})

	t.Run("ConcurrentIdenticalClientRefsStoreOneBatch", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		req := app.SendRequest{To: numbers(0, 3), Content: text("你好"), ClientRef: "same"}

		const n = 20
		results := make([]*app.SendResult, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				r := req
				results[i], errs[i] = db.Send(ctx, p, &r)
			})
		}
		close(start)
		wg.Wait()

		firsts := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("send %d: %v", i, errs[i])
			}
			if !results[i].Duplicate {
				firsts++
			}
			wantSameAnswer(t, results[0], results[i])
		}
		if firsts != 1 {
			t.Fatalf("%d answers not marked duplicate, want 1", firsts)
		}
		raw := MustRawDB(t, path)
		if got := count(t, raw, `select count(*) from batches`); got != 1 {
			t.Fatalf("%d batches, want 1", got)
		}
		if got := count(t, raw, `select count(*) from messages`); got != 3 {
			t.Fatalf("%d messages, want 3", got)
		}
	})

	t.Run("SchedulesSendAtAsAcceptedAndNotClaimable", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: text("明天见"), SendAt: time.Now().Add(time.Hour)})
		for _, m := range res.Messages {
			if m.Status != app.StatusAccepted {
				t.Errorf("answer status %s, want accepted", m.Status)
			}
			if got := MustFind(t, db, m.ID).Status; got != app.StatusAccepted {
				t.Errorf("stored status %s, want accepted", got)
			}
		}
		if ok, err := db.HasWork(ctx); err != nil || ok {
			t.Fatalf("HasWork = %v, %v; want false", ok, err)
		}
		if jobs := MustClaimAll(t, db); len(jobs) != 0 {
			t.Fatalf("claimed %d jobs of a batch scheduled in an hour", len(jobs))
		}
	})

	t.Run("StoresTenThousandNumbersWithTheirJobs", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, app.MaxRecipients), Content: text("大批量")})
		if len(res.Messages) != app.MaxRecipients || len(res.Rejected) != 0 {
			t.Fatalf("accepted %d, rejected %d; want %d and 0", len(res.Messages), len(res.Rejected), app.MaxRecipients)
		}
		raw := MustRawDB(t, path)
		if got := count(t, raw, `select count(*) from messages where batch_id = ?`, res.BatchID); got != app.MaxRecipients {
			t.Fatalf("%d rows, want %d", got, app.MaxRecipients)
		}
		for i, m := range res.Messages {
			if want := numbers(i, 1)[0]; m.To != want {
				t.Fatalf("message %d is to %s, want %s (the caller's order)", i, m.To, want)
			}
		}
		if ok, err := db.HasWork(ctx); err != nil || !ok {
			t.Fatalf("HasWork = %v, %v; want true", ok, err)
		}

		claimed := jobMessageIDs(MustClaimAll(t, db))
		slices.Sort(claimed)
		want := sentIDs(res)
		slices.Sort(want)
		if !slices.Equal(claimed, want) {
			t.Fatalf("claimed %d messages (%d distinct), want each of the %d sent once", len(claimed), len(slices.Compact(slices.Clone(claimed))), len(want))
		}
		// Spot-check the stored rows against the answer.
		for _, i := range []int{0, 99, 100, 199, 200, 9999} {
			m := res.Messages[i]
			var phone string
			if err := raw.QueryRow(`select phone from messages where id = ?`, m.ID).Scan(&phone); err != nil || phone != m.To {
				t.Fatalf("message %d: stored phone %q (%v), answer says %s", m.ID, phone, err, m.To)
			}
		}
	})
}

// wantSameAnswer fails unless two send answers name the same batch, messages
// and rejections.
func wantSameAnswer(t *testing.T, a, b *app.SendResult) {
	t.Helper()
	if a.BatchID != b.BatchID {
		t.Fatalf("batch %d, then %d", a.BatchID, b.BatchID)
	}
	if !slices.Equal(a.Messages, b.Messages) {
		t.Fatalf("messages %+v, then %+v", a.Messages, b.Messages)
	}
	if len(a.Rejected) != len(b.Rejected) || len(a.Rejected) > 0 && !slices.Equal(a.Rejected, b.Rejected) {
		t.Fatalf("rejected %+v, then %+v", a.Rejected, b.Rejected)
	}
}

// wantNothingStored fails if any batch, message or job exists.
func wantNothingStored(t *testing.T, path string) {
	t.Helper()
	raw := MustRawDB(t, path)
	for _, table := range []string{"batches", "messages", "goqite"} {
		if n := count(t, raw, `select count(*) from `+table); n != 0 {
			t.Fatalf("%d rows in %s, want none", n, table)
		}
	}
}

// Concurrent single-number sends share jobs; every message is claimed once.
func TestConcurrentSingleSendsClaimedOnce(t *testing.T) {
	db := MustOpenDB(t)
	p := MustSysadmin(t, db)
	const n = 200
	ids := make(chan int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids <- MustSend(t, db, p, &app.SendRequest{To: numbers(i, 1), Content: text("单条")}).Messages[0].ID
		}()
	}
	wg.Wait()
	close(ids)
	claimed := map[int64]int{}
	for _, j := range MustClaimAll(t, db) {
		for _, m := range j.Messages {
			claimed[m.ID]++
		}
	}
	for id := range ids {
		if claimed[id] != 1 {
			t.Errorf("message %d claimed %d times; want once", id, claimed[id])
		}
	}
}
