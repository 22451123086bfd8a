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
