package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"smsgw/app"
)

// TestPayerCacheResetOnFailedCommit: a payer looked up inside a
// transaction that then fails as a whole (here, an op that panics) is not
// kept: the account it found never was.
func TestPayerCacheResetOnFailedCommit(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `insert into accounts (department_id, balance, created_at) values (?, 5, 0)`, app.RootDepartmentID); err != nil {
			return err
		}
		db.payers.reset()
		if paidBy, err := db.payer(ctx, tx, app.RootDepartmentID); err != nil || paidBy != app.RootDepartmentID {
			t.Errorf("payer inside the transaction: %d %v", paidBy, err)
		}
		panic("the transaction fails")
	})
	if err == nil {
		t.Fatal("a panicking op committed")
	}
	if paidBy, ok := db.payers.get(app.RootDepartmentID); ok {
		t.Errorf("the root's payer still cached as %d after the transaction that found it failed", paidBy)
	}
}
