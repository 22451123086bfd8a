package store_test

import (
	"context"
	"strings"
	"testing"

	"smsgw/app"
)

func TestPartsSent(t *testing.T) {
	t.Run("RetryAfterSomePartsKeepsThemAndRecordsEverySMSCID", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text(strings.Repeat("好", 150))})
		id := res.Messages[0].ID
		jobs := MustClaimAll(t, db)
		if m := jobs[0].Messages[0]; m.Segments != 3 || m.Sent != nil {
			t.Fatalf("first claim: segments %d sent %+v, want 3 and nothing sent", m.Segments, m.Sent)
		}

		// Channel 1 takes parts 1 and 3 and throttles part 2; part 3's
		// receipt overtakes the result.
		mustApply(t, db, receipt("a3", "DELIVRD"))
		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 1, Kind: app.OutcomeRetry, ErrorCode: "ESME_RTHROTTLED",
			SMSCIDs: []string{"a1", "", "a3"}, Concat: &app.Concat{Ref: 42}, At: at}}, jobs[0].ID)
		wantStatus(t, db, id, app.StatusQueued)
		// Part 1's receipt comes while the message waits in the queue.
		mustApply(t, db, receipt("a1", "DELIVRD"))

		jobs = MustClaimAll(t, db)
		if len(jobs) != 1 {
			t.Fatalf("%d jobs after the retry, want 1", len(jobs))
		}
		sent := jobs[0].Messages[0].Sent
		want := []app.SentPart{{ChannelID: 1, SMSCID: "a1"}, {}, {ChannelID: 1, SMSCID: "a3"}}
		if sent == nil || sent.Ref != 42 || len(sent.Parts) != 3 || sent.Parts[0] != want[0] || sent.Parts[1] != want[1] || sent.Parts[2] != want[2] {
			t.Fatalf("second claim: sent %+v, want reference 42 and parts %+v", sent, want)
		}

		// Channel 2 takes the missing part.
		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 2, Kind: app.OutcomeSubmitted,
			SMSCIDs: []string{"", "b2", ""}, Concat: &app.Concat{Ref: 42}, Resumed: true, At: at}}, jobs[0].ID)
		m := MustFind(t, db, id)
		if m.Status != app.StatusSubmitted {
			t.Fatalf("status %s after the last part, want submitted (two of three receipts in)", m.Status)
		}
		raw := MustRawDB(t, path)
		for i, w := range []struct {
			ch  int64
			sid string
		}{{1, "a1"}, {2, "b2"}, {1, "a3"}} {
			if n := count(t, raw, `select count(*) from smsc_ids where channel_id = ? and smsc_id = ? and message_id = ? and part = ? and attempt = ?`,
				w.ch, w.sid, id, i+1, m.Attempts); n != 1 {
				t.Errorf("part %d: SMSC id %s on channel %d not stored for the current attempt", i+1, w.sid, w.ch)
			}
		}
		if n := count(t, raw, `select count(*) from smsc_ids where message_id = ?`, id); n != 3 {
			t.Errorf("%d SMSC ids stored, want 3", n)
		}
		b2 := receipt("b2", "DELIVRD")
		b2.ChannelID = 2
		mustApply(t, db, b2)
		if m := MustFind(t, db, id); m.Status != app.StatusDelivered {
			t.Fatalf("status %s once every part's receipt is in, want delivered", m.Status)
		}
	})

	t.Run("PartsSentSurviveARestart", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text(strings.Repeat("好", 100))})
		id := res.Messages[0].ID
		job := MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 3, Kind: app.OutcomeRetry, ErrorCode: "ESME_RTHROTTLED",
			SMSCIDs: []string{"", "r2"}, Concat: &app.Concat{Ref: 200}, RetryAfter: 0, At: at}}, job.ID)
		db.Close()
		db = MustReopenDB(t, path)
		jobs := MustClaimAll(t, db)
		if len(jobs) != 1 {
			t.Fatalf("%d jobs after the restart, want 1", len(jobs))
		}
		sent := jobs[0].Messages[0].Sent
		if sent == nil || sent.Ref != 200 || len(sent.Parts) != 2 || sent.Accepted(0) || sent.Parts[1] != (app.SentPart{ChannelID: 3, SMSCID: "r2"}) {
			t.Fatalf("after a restart: sent %+v, want reference 200 and part 2 accepted on channel 3", sent)
		}
	})

	t.Run("ResendAfterUndeliveredIsANewDeliveryUnderANewReference", func(t *testing.T) {
		db := MustOpenDB(t)
		ch := &app.Channel{Name: "补发", Host: "127.0.0.1", Port: 2775, SystemID: "s", SourceAddr: "10690001",
			TPS: 10, Window: 1, Enabled: true, ResendUndelivered: true}
		if err := db.CreateChannel(context.Background(), ch); err != nil || ch.ID != 1 {
			t.Fatalf("channel %d: %v; the receipts come from channel 1", ch.ID, err)
		}
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text(strings.Repeat("好", 100))})
		id := res.Messages[0].ID
		job := MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 1, Kind: app.OutcomeRetry, ErrorCode: "ESME_RTHROTTLED",
			SMSCIDs: []string{"n1", ""}, Concat: &app.Concat{Ref: 9}, At: at}}, job.ID)
		job = MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 1, Kind: app.OutcomeSubmitted,
			SMSCIDs: []string{"", "n2"}, Concat: &app.Concat{Ref: 9}, Resumed: true, At: at}}, job.ID)
		mustApply(t, db, receipt("n2", "UNDELIV"))
		wantStatus(t, db, id, app.StatusQueued)
		jobs := MustClaimAll(t, db)
		if len(jobs) != 1 || jobs[0].Messages[0].Sent != nil {
			t.Fatalf("the resend claimed with sent %+v: want a whole new delivery", jobs[0].Messages[0].Sent)
		}
	})

	t.Run("UndeliveredEarlierPartFailsTheMessageWhenTheRestIsAccepted", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text(strings.Repeat("好", 100))})
		id := res.Messages[0].ID
		job := MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 1, Kind: app.OutcomeRetry, ErrorCode: "ESME_RTHROTTLED",
			SMSCIDs: []string{"u1", ""}, Concat: &app.Concat{Ref: 7}, At: at}}, job.ID)
		mustApply(t, db, receipt("u1", "UNDELIV"))
		wantStatus(t, db, id, app.StatusQueued)
		job = MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 1, Kind: app.OutcomeSubmitted,
			SMSCIDs: []string{"", "u2"}, Concat: &app.Concat{Ref: 7}, Resumed: true, At: at}}, job.ID)
		if m := MustFind(t, db, id); m.Status != app.StatusUndelivered || !strings.Contains(m.ErrorCode, "UNDELIV") {
			t.Fatalf("status %s code %q, want undelivered by part 1's receipt", m.Status, m.ErrorCode)
		}
	})
}
