package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/store"
)

// at is a fixed outcome and receipt time, so stored times can be compared.
var at = time.UnixMilli(1_700_000_000_000)

// TestOutbox pins the durable queue as the sending engine uses it: claim,
// record outcomes, complete jobs, and resume after a stop.
func TestOutbox(t *testing.T) {
	ctx := context.Background()

	t.Run("ClaimMarksMessagesSubmittingAndReturnsThemWithContent", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 3), Content: text("验证码 1234"), Ext: "7"})
		if ok, err := db.HasWork(ctx); err != nil || !ok {
			t.Fatalf("HasWork = %v, %v; want true", ok, err)
		}
		jobs, err := db.Claim(ctx, 10)
		if err != nil {
			t.Fatal(err)
		} else if len(jobs) != 1 || jobs[0].ID == "" {
			t.Fatalf("claimed %d jobs, want 1 with an id", len(jobs))
		}
		if got := jobMessageIDs(jobs); !slices.Equal(got, sentIDs(res)) {
			t.Fatalf("job holds %v, want %v", got, sentIDs(res))
		}
		for i, m := range jobs[0].Messages {
			if m.Content != text("验证码 1234") || m.To != res.Messages[i].To || m.BatchID != res.BatchID ||
				m.Segments != 1 || m.Ext != "7" || m.Status != app.StatusSubmitting || m.Carrier == "" {
				t.Errorf("claimed message %+v: want content, number, batch, segments, ext, carrier and status submitting", *m)
			}
			wantStatus(t, db, m.ID, app.StatusSubmitting)
		}
	})

	t.Run("ClaimedJobIsNotClaimableAgain", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		MustSend(t, db, p, &app.SendRequest{To: numbers(0, 3), Content: text("一次")})
		if jobs := MustClaimAll(t, db); len(jobs) != 1 {
			t.Fatalf("claimed %d jobs, want 1", len(jobs))
		}
		if ok, err := db.HasWork(ctx); err != nil || ok {
			t.Fatalf("HasWork = %v, %v after claiming everything; want false", ok, err)
		}
		if jobs, err := db.Claim(ctx, 10); err != nil || len(jobs) != 0 {
			t.Fatalf("second claim got %d jobs (%v), want none", len(jobs), err)
		}
	})

	t.Run("RecordSubmittedStoresSMSCIDs", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		long := text(strings.Repeat("好", 100)) // 106 chars: 2 parts
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: long})
		job := MustClaimAll(t, db)[0]
		id := res.Messages[0].ID
		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 5, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"a1", "a2"}, At: at}}, job.ID)

		m := MustFind(t, db, id)
		if m.Status != app.StatusSubmitted || m.ChannelID != 5 || !m.SubmittedAt.Equal(at) || !m.DoneAt.IsZero() {
			t.Fatalf("after submit: status %s channel %d submitted %v done %v", m.Status, m.ChannelID, m.SubmittedAt, m.DoneAt)
		}
		raw := MustRawDB(t, path)
		for part, smscID := range []string{"a1", "a2"} {
			if got := count(t, raw, `select count(*) from smsc_ids where channel_id = 5 and smsc_id = ? and message_id = ? and part = ?`, smscID, id, part+1); got != 1 {
				t.Errorf("smsc id %s (part %d) not stored for message %d", smscID, part+1, id)
			}
		}
	})

	t.Run("RecordRetryRequeuesExactlyTheRetriedMessages", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 4), Content: text("重试")})
		ids := sentIDs(res)
		job := MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{
			{MessageID: ids[0], ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"s0"}, At: at},
			{MessageID: ids[1], ChannelID: 1, Kind: app.OutcomeRetry, ErrorCode: "ESME_RTHROTTLED"},
			{MessageID: ids[2], ChannelID: 1, Kind: app.OutcomeRetry, ErrorCode: "timeout"},
			{MessageID: ids[3], ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"s3"}, At: at},
		}, job.ID)

		for _, id := range ids[1:3] {
			m := MustFind(t, db, id)
			if m.Status != app.StatusQueued || m.Attempts != 1 || m.ErrorCode == "" {
				t.Fatalf("retried message: status %s attempts %d error %q; want queued, 1 and the code", m.Status, m.Attempts, m.ErrorCode)
			}
		}
		jobs := MustClaimAll(t, db)
		if len(jobs) != 1 {
			t.Fatalf("claimed %d jobs after the retry, want 1", len(jobs))
		}
		if got := jobMessageIDs(jobs); !slices.Equal(got, ids[1:3]) {
			t.Fatalf("retry job holds %v, want %v", got, ids[1:3])
		}
		if m := jobs[0].Messages[0]; m.Attempts != 1 || m.Status != app.StatusSubmitting {
			t.Fatalf("claimed retry: attempts %d status %s", m.Attempts, m.Status)
		}
	})

	t.Run("RetryAfterADelayIsNotClaimableAtOnce", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text("稍后")})
		job := MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{{MessageID: res.Messages[0].ID, Kind: app.OutcomeRetry, RetryAfter: time.Hour}}, job.ID)
		wantStatus(t, db, res.Messages[0].ID, app.StatusQueued)
		if jobs := MustClaimAll(t, db); len(jobs) != 0 {
			t.Fatalf("claimed %d jobs of a retry due in an hour", len(jobs))
		}
	})

	t.Run("RecordFailedAndExpiredAreFinalWithTheCode", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		ids := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: text("失败")}))
		job := MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{
			{MessageID: ids[0], ChannelID: 3, Kind: app.OutcomeFailed, ErrorCode: "ESME_RINVDSTADR", At: at},
			{MessageID: ids[1], ChannelID: 3, Kind: app.OutcomeExpired, ErrorCode: "EVALIDITY", At: at},
		}, job.ID)
		for i, want := range []app.Status{app.StatusFailed, app.StatusExpired} {
			m := MustFind(t, db, ids[i])
			if m.Status != want || m.ChannelID != 3 || !m.DoneAt.Equal(at) {
				t.Errorf("message %d: status %s channel %d done %v; want %s, 3, %v", i, m.Status, m.ChannelID, m.DoneAt, want, at)
			}
		}
		if m := MustFind(t, db, ids[0]); m.ErrorCode != "ESME_RINVDSTADR" {
			t.Errorf("failed message error code %q", m.ErrorCode)
		}
		if jobs := MustClaimAll(t, db); len(jobs) != 0 {
			t.Fatalf("claimed %d jobs after final outcomes", len(jobs))
		}
	})

	t.Run("CompletedJobIsDeletedAndNeverClaimedAgain", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		ids := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: text("完成")}))
		job := MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{
			{MessageID: ids[0], ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"x0"}, At: at},
			{MessageID: ids[1], ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"x1"}, At: at},
		}, job.ID)
		if n := count(t, MustRawDB(t, path), `select count(*) from goqite`); n != 0 {
			t.Fatalf("%d queue rows after completing the only job", n)
		}
		// A restart resumes claimed jobs; a completed one must not come back.
		db.Close()
		db = MustReopenDB(t, path)
		if jobs := MustClaimAll(t, db); len(jobs) != 0 {
			t.Fatalf("claimed %d jobs after a restart, want none", len(jobs))
		}
	})

	t.Run("RestartMakesClaimedJobClaimableAtOnce", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		ids := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(0, 3), Content: text("崩溃")}))
		job := MustClaimAll(t, db)[0]
		// The engine recorded one outcome, then the process stopped.
		mustRecord(t, db, []app.Outcome{{MessageID: ids[0], ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"c0"}, At: at}}, "")
		db.Close()

		db = MustReopenDB(t, path)
		if ok, err := db.HasWork(ctx); err != nil || !ok {
			t.Fatalf("HasWork after restart = %v, %v; want true", ok, err)
		}
		jobs := MustClaimAll(t, db)
		if len(jobs) != 1 || jobs[0].ID != job.ID {
			t.Fatalf("claimed %d jobs after restart, want job %s again", len(jobs), job.ID)
		}
		if got := jobMessageIDs(jobs); !slices.Equal(got, ids[1:]) {
			t.Fatalf("resumed job holds %v, want the messages still submitting %v", got, ids[1:])
		}
		for _, m := range jobs[0].Messages {
			// They may have reached the SMSC before the stop: sending them
			// again is a retry, and counted as one.
			if m.Attempts != 1 || m.Status != app.StatusSubmitting {
				t.Errorf("resumed message %d: attempts %d status %s; want 1, submitting", m.ID, m.Attempts, m.Status)
			}
			wantStatus(t, db, m.ID, app.StatusSubmitting)
		}
		wantStatus(t, db, ids[0], app.StatusSubmitted)
	})

	t.Run("JobVisibleAgainWhileItsMessagesAreInFlightDoesNotHandThemOutTwice", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: text("慢")})
		MustClaimAll(t, db)
		// The job's invisibility ran out while the engine still holds its messages.
		if _, err := MustRawDB(t, path).Exec(`update goqite set timeout = '2000-01-01T00:00:00.000Z'`); err != nil {
			t.Fatal(err)
		}
		if got := jobMessageIDs(MustClaimAll(t, db)); len(got) != 0 {
			t.Fatalf("messages %v handed out again while submitting", got)
		}
	})

	t.Run("ClaimDropsJobWhoseMessagesAreAllRecorded", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		ids := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: text("都完成")}))
		MustClaimAll(t, db)
		// Every outcome recorded, but the stop came before the job was completed.
		mustRecord(t, db, []app.Outcome{
			{MessageID: ids[0], ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"d0"}, At: at},
			{MessageID: ids[1], ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "E", At: at},
		}, "")
		db.Close()
		db = MustReopenDB(t, path)
		if jobs := MustClaimAll(t, db); len(jobs) != 0 {
			t.Fatalf("claimed %d jobs with nothing left to send", len(jobs))
		}
		if n := count(t, MustRawDB(t, path), `select count(*) from goqite`); n != 0 {
			t.Fatalf("%d queue rows left", n)
		}
	})

	t.Run("RestartFailsJobsClaimedTooOften", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		ids := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: text("毒丸")}))
		MustClaimAll(t, db)
		db.Close()
		// As if the job had crashed the engine on every one of its claims.
		if _, err := MustRawDB(t, path).Exec(`update goqite set received = 20`); err != nil {
			t.Fatal(err)
		}
		db = MustReopenDB(t, path)
		for _, id := range ids {
			if m := MustFind(t, db, id); m.Status != app.StatusFailed || m.ErrorCode != "EDEADLETTER" {
				t.Errorf("message of a dead job: status %s code %q; want failed EDEADLETTER", m.Status, m.ErrorCode)
			}
		}
		if n := count(t, MustRawDB(t, path), `select count(*) from goqite`); n != 0 {
			t.Fatalf("%d queue rows left", n)
		}
	})

	t.Run("RecordForMessageNoLongerSubmittingChangesNothing", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		ids := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: text("迟到")}))
		job := MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{
			{MessageID: ids[0], ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"first"}, At: at},
			{MessageID: ids[1], ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "E1", At: at},
		}, job.ID)
		before := []app.Message{*MustFind(t, db, ids[0]), *MustFind(t, db, ids[1])}

		// Late or repeated outcomes of every kind, for both messages.
		later := at.Add(time.Minute)
		for _, id := range ids {
			mustRecord(t, db, []app.Outcome{
				{MessageID: id, ChannelID: 2, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"second"}, At: later},
				{MessageID: id, ChannelID: 2, Kind: app.OutcomeRetry, ErrorCode: "E2"},
				{MessageID: id, ChannelID: 2, Kind: app.OutcomeFailed, ErrorCode: "E3", At: later},
				{MessageID: id, ChannelID: 2, Kind: app.OutcomeExpired, ErrorCode: "E4", At: later},
			}, "")
		}
		for i, id := range ids {
			if after := *MustFind(t, db, id); after != before[i] {
				t.Errorf("message %d changed:\nbefore %+v\nafter  %+v", id, before[i], after)
			}
		}
		raw := MustRawDB(t, path)
		if n := count(t, raw, `select count(*) from smsc_ids`); n != 1 {
			t.Errorf("%d smsc ids stored, want only the first", n)
		}
		if n := count(t, raw, `select count(*) from goqite`); n != 0 {
			t.Errorf("%d queue rows: a late retry was enqueued", n)
		}
	})

	t.Run("RetriedMessageIsClaimedOnceAfterRestart", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		ids := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: text("重发一次")}))
		MustClaimAll(t, db)
		// The first message was throttled and requeued; the second was still
		// in the SMPP window when the process stopped, so the job stayed open.
		mustRecord(t, db, []app.Outcome{{MessageID: ids[0], ChannelID: 1, Kind: app.OutcomeRetry, ErrorCode: "ESME_RTHROTTLED"}}, "")
		db.Close()

		db = MustReopenDB(t, path)
		claimed := jobMessageIDs(MustClaimAll(t, db))
		slices.Sort(claimed)
		if !slices.Equal(claimed, ids) {
			t.Fatalf("after restart the claimed jobs hold %v, want each of %v once (a message in two jobs is sent twice)", claimed, ids)
		}
	})
}

// mustRecord records outcomes, completing job when it is not empty.
func mustRecord(t *testing.T, db *store.DB, outcomes []app.Outcome, job string) {
	t.Helper()
	var done []string
	if job != "" {
		done = []string{job}
	}
	if err := db.Record(context.Background(), outcomes, done); err != nil {
		t.Fatalf("record: %v", err)
	}
}

// wantStatus fails unless message id has status want.
func wantStatus(t *testing.T, db *store.DB, id int64, want app.Status) {
	t.Helper()
	if got := MustFind(t, db, id).Status; got != want {
		t.Fatalf("message %d: status %s, want %s", id, got, want)
	}
}

func TestOutbox_OrphanedSubmittingMessagesAreResentAfterRestart(t *testing.T) {
	db, path := MustOpenDBPath(t)
	p := MustSysadmin(t, db)
	ids := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(0, 3), Content: text("孤儿")}))
	MustClaimAll(t, db)
	db.Close()
	// As if the job had been completed while its messages were still in an
	// SMSC window (a reclaim after a timeout, a lost outcome), then a crash.
	if _, err := MustRawDB(t, path).Exec(`delete from goqite`); err != nil {
		t.Fatal(err)
	}
	db = MustReopenDB(t, path)
	jobs := MustClaimAll(t, db)
	var got []int64
	for _, j := range jobs {
		for _, m := range j.Messages {
			got = append(got, m.ID)
		}
	}
	if len(got) != len(ids) {
		t.Fatalf("claimed %v after the restart, want every one of %v once", got, ids)
	}
	for _, id := range ids {
		if m := MustFind(t, db, id); m.Attempts != 1 {
			t.Errorf("message %d: attempts %d, want the resend counted", id, m.Attempts)
		}
	}
}
