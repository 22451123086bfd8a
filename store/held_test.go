package store_test

import (
	"context"
	"slices"
	"testing"

	"smsgw/app"
)

// TestHeldAfterCrash pins on_crash hold: a message handed to a hold
// channel with no outcome when the process stopped is held at restart (not
// sent again), counted and listed by channel; one merely claimed, or handed
// to a resend channel, is sent again; an operator releases (queued again)
// or fails held messages.
func TestHeldAfterCrash(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	p := MustSysadmin(t, db)
	hold := &app.Channel{Name: "暂扣", Host: "127.0.0.1", Port: 2775, SystemID: "s", SourceAddr: "1069", TPS: 10, Window: 10, OnCrash: app.OnCrashHold, DestNPI: 1}
	resend := &app.Channel{Name: "重发", Host: "127.0.0.1", Port: 2776, SystemID: "s", SourceAddr: "1069", TPS: 10, Window: 10, DestNPI: 1}
	for _, c := range []*app.Channel{hold, resend} {
		if err := db.CreateChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	ids := sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(0, 5), Content: text("暂扣")}))
	MustClaimAll(t, db)
	if err := db.Placed(ctx, hold.ID, ids[:3]); err != nil {
		t.Fatal(err)
	}
	if err := db.Placed(ctx, resend.ID, ids[3:4]); err != nil {
		t.Fatal(err)
	}
	// ids[0] was answered and recorded before the crash.
	mustRecord(t, db, []app.Outcome{{MessageID: ids[0], ChannelID: hold.ID, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"h0"}, At: at}}, "")
	db.Close()

	db = MustReopenDB(t, path)
	counts, err := db.HeldCounts(ctx)
	if err != nil || counts[hold.ID] != 2 || counts[resend.ID] != 0 {
		t.Fatalf("held counts %v %v: want 2 on the hold channel", counts, err)
	}
	if got, err := db.FindHeld(ctx, hold.ID, 100); err != nil || !slices.Equal(got, ids[1:3]) {
		t.Fatalf("held %v %v, want %v", got, err, ids[1:3])
	}
	if got := jobMessageIDs(MustClaimAll(t, db)); !slices.Equal(got, ids[3:]) {
		t.Fatalf("sent again %v, want only %v (the resend channel's and the unplaced)", got, ids[3:])
	}
	wantStatus(t, db, ids[1], app.StatusHeld)
	// Its held messages would be stranded: the channel stays until they are decided.
	if err := db.DeleteChannel(ctx, hold.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("deleting a channel with held messages: %v, want ECONFLICT", err)
	}
	if n, err := db.DecideHeld(ctx, hold.ID, false, ids[2:3]); err != nil || n != 1 {
		t.Fatalf("fail one: %d %v", n, err)
	}
	wantStatus(t, db, ids[2], app.StatusFailed)
	if n, err := db.DecideHeld(ctx, hold.ID, true, nil); err != nil || n != 1 {
		t.Fatalf("release all: %d %v", n, err)
	}
	if got := jobMessageIDs(MustClaimAll(t, db)); !slices.Equal(got, ids[1:2]) {
		t.Fatalf("released %v, want %v claimable", got, ids[1:2])
	}
}
