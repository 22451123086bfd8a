package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"smsgw/app"
)

// TestBackupIsAWorkingCopy: the copy opens with its key, holds what was
// committed, and goes its own way after; a folder with a database is
// never overwritten.
func TestBackupIsAWorkingCopy(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	p := MustSysadmin(t, db)
	sendN(t, db, p, 3, "备份前")
	secret, err := db.CreateAPIKey(ctx, &app.APIKey{Name: "kept", DepartmentID: app.RootDepartmentID, Role: app.RoleOperator})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := db.Backup(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(ctx, dir); err == nil {
		t.Error("a second backup into the same folder overwrote the first")
	}
	sendN(t, db, p, 2, "备份后")

	cp := MustReopenDB(t, filepath.Join(dir, "smsgw.db"))
	if list, _, err := cp.FindMessages(ctx, p, app.MessageFilter{Limit: 100}); err != nil || len(list) != 3 {
		t.Errorf("the copy lists %d messages (%v), want the 3 sent before it", len(list), err)
	}
	if _, err := cp.Authenticate(ctx, secret); err != nil {
		t.Errorf("an API key does not work on the copy (its key file?): %v", err)
	}
}
