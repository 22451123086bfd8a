package store_test

import (
	"context"
	"testing"

	"smsgw/app"
)

func TestReceiptEdgeCases(t *testing.T) {
	ctx := context.Background()

	t.Run("ReusedSMSCIDMapsToTheNewestMessage", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		ids := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: text("号码复用")}))
		older, newer := ids[0], ids[1]
		job := MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{{MessageID: older, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"same-id"}, At: at}}, "")
		mustRecord(t, db, []app.Outcome{{MessageID: newer, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"same-id"}, At: at}}, job.ID)
		mustApply(t, db, receipt("same-id", "DELIVRD"))
		wantStatus(t, db, newer, app.StatusDelivered)
		wantStatus(t, db, older, app.StatusSubmitted)
	})

	t.Run("SuccessClearsTheErrorOfAnEarlierRetry", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		id := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text("限流后成功")}))[0]
		job := MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 1, Kind: app.OutcomeRetry, ErrorCode: "SMPP_0x58", At: at}}, job.ID)
		retry := MustClaimAll(t, db)[0]
		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"ok"}, At: at}}, retry.ID)
		mustApply(t, db, receipt("ok", "DELIVRD"))
		if m := MustFind(t, db, id); m.Status != app.StatusDelivered || m.ErrorCode != "" {
			t.Fatalf("status %s error %q, want delivered without an error code", m.Status, m.ErrorCode)
		}
	})

	t.Run("SubmittedWithoutAnIDWaitsForTheSweep", func(t *testing.T) {
		db := MustOpenDB(t)
		id := mustSubmitted(t, db, 1, "")
		wantStatus(t, db, id, app.StatusSubmitted)
		if err := db.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
		// Submitted long ago (the fixture's clock): past the receipt timeout.
		if m := MustFind(t, db, id); m.Status != app.StatusExpired || m.ErrorCode != "ENORECEIPT" {
			t.Fatalf("status %s code %q, want expired ENORECEIPT", m.Status, m.ErrorCode)
		}
	})

	t.Run("FailoverResendsOnceThenTheReceiptIsFinal", func(t *testing.T) {
		db := MustOpenDB(t)
		ch := &app.Channel{Name: "补发", Host: "127.0.0.1", Port: 2775, SystemID: "s", SourceAddr: "10690001",
			TPS: 10, Window: 1, Enabled: true, ResendUndelivered: true}
		if err := db.CreateChannel(ctx, ch); err != nil || ch.ID != 1 {
			t.Fatalf("channel %d: %v; the fixtures send on channel 1", ch.ID, err)
		}
		id := mustSubmitted(t, db, 1, "first")
		mustApply(t, db, receipt("first", "UNDELIV"))
		m := MustFind(t, db, id)
		if m.Status != app.StatusQueued || m.ChannelID != 1 || m.Attempts != 1 {
			t.Fatalf("after an undelivered receipt: %+v; want queued again, remembering channel 1", m)
		}
		jobs := MustClaimAll(t, db)
		if len(jobs) != 1 || len(jobs[0].Messages) != 1 || jobs[0].Messages[0].ID != id {
			t.Fatalf("claimed %v, want the resend", jobMessageIDs(jobs))
		}
		mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 2, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"second"}, At: at}}, jobs[0].ID)
		// A late repeat of the first attempt's receipt changes nothing.
		mustApply(t, db, app.Receipt{ChannelID: 1, SMSCID: "first", Stat: "DELIVRD", Err: "000", At: at})
		wantStatus(t, db, id, app.StatusSubmitted)
		mustApply(t, db, app.Receipt{ChannelID: 2, SMSCID: "second", Stat: "UNDELIV", Err: "001", At: at})
		if m := MustFind(t, db, id); m.Status != app.StatusUndelivered || m.ErrorCode != "UNDELIV:001" {
			t.Fatalf("second attempt undelivered: status %s code %q, want one final undelivered", m.Status, m.ErrorCode)
		}
		if jobs := MustClaimAll(t, db); len(jobs) != 0 {
			t.Fatalf("resent a second time: %v", jobMessageIDs(jobs))
		}
	})
}
