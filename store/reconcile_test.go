package store_test

import (
	"context"
	"testing"
	"time"

	"smsgw/app"
)

// TestReconcileStore pins what reconciliation reads and marks: messages
// still submitted before a time, with their parts lacking a receipt; marked
// ones are skipped and counted until they leave submitted.
func TestReconcileStore(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	long := mustSubmitted(t, db, 3, "a1", "a2", "a3")
	mustApply(t, db, receipt("a1", "DELIVRD"))
	later := at.Add(time.Hour)

	got, err := db.Unconfirmed(ctx, later, 0, 10)
	if err != nil || len(got) != 1 || got[0].MessageID != long || len(got[0].Parts) != 2 ||
		got[0].Parts[0].SMSCID != "a2" || got[0].Parts[1].SMSCID != "a3" {
		t.Fatalf("Unconfirmed = %+v, %v; want message %d with parts a2, a3", got, err, long)
	}
	if got, err := db.Unconfirmed(ctx, at.Add(-time.Hour), 0, 10); err != nil || len(got) != 0 {
		t.Errorf("Unconfirmed before the submit = %+v, %v; want none", got, err)
	}
	if got, err := db.Unconfirmed(ctx, later, long, 10); err != nil || len(got) != 0 {
		t.Errorf("Unconfirmed after the last id = %+v, %v; want none", got, err)
	}

	if err := db.MarkUnreconciled(ctx, []int64{long}, app.ReconcileUnsupported); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Unconfirmed(ctx, later, 0, 10); err != nil || len(got) != 0 {
		t.Errorf("Unconfirmed after marking = %+v, %v; want none", got, err)
	}
	if n, err := db.Unreconciled(ctx); err != nil || n != 1 {
		t.Errorf("Unreconciled = %d, %v; want 1", n, err)
	}
	p := MustAPIKey(t, db, app.RootDepartmentID, app.RoleSysadmin)
	if list, _, err := db.FindMessages(ctx, p, app.MessageFilter{Unreconciled: true}); err != nil || len(list) != 1 {
		t.Errorf("listing awaiting reconciliation = %d, %v; want 1", len(list), err)
	}
	// A late receipt still applies, and the message is no longer counted.
	mustApply(t, db, receipt("a2", "DELIVRD"), receipt("a3", "DELIVRD"))
	wantStatus(t, db, long, app.StatusDelivered)
	if n, err := db.Unreconciled(ctx); err != nil || n != 0 {
		t.Errorf("Unreconciled after the receipts = %d, %v; want 0", n, err)
	}
}

// TestReconcileMarkEndsWithTheDelivery: a message marked awaiting
// reconciliation and then resent (its channel resends undelivered
// messages) is a new delivery: once submitted again it is asked about
// again, not skipped as marked.
func TestReconcileMarkEndsWithTheDelivery(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	ch := &app.Channel{Name: "补发", Host: "127.0.0.1", Port: 2775, SystemID: "s", SourceAddr: "10690001",
		TPS: 10, Window: 1, Enabled: true, ResendUndelivered: true, DestNPI: 1}
	if err := db.CreateChannel(ctx, ch); err != nil || ch.ID != 1 {
		t.Fatalf("channel %d: %v; the receipts come from channel 1", ch.ID, err)
	}
	id := mustSubmitted(t, db, 1, "r1")
	if err := db.MarkUnreconciled(ctx, []int64{id}, app.ReconcileUnsupported); err != nil {
		t.Fatal(err)
	}
	mustApply(t, db, receipt("r1", "UNDELIV"))
	wantStatus(t, db, id, app.StatusQueued)
	job := MustClaimAll(t, db)[0]
	mustRecord(t, db, []app.Outcome{{MessageID: id, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"r2"}, At: at}}, job.ID)
	got, err := db.Unconfirmed(ctx, at.Add(time.Hour), 0, 10)
	if err != nil || len(got) != 1 || got[0].MessageID != id || got[0].Parts[0].SMSCID != "r2" {
		t.Fatalf("Unconfirmed = %+v, %v; want the resent message with part r2", got, err)
	}
}
