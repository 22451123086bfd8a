package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"smsgw/store"
)

// TestDatabaseLock pins that the server's lock belongs to the database file
// (its inode), not to a path: no second server reaches the same file.
func TestDatabaseLock(t *testing.T) {
	ctx := context.Background()
	refused := func(t *testing.T, path string) {
		t.Helper()
		db, err := store.Open(ctx, store.Options{Path: path, Exclusive: true})
		if err == nil {
			db.Close()
			t.Fatalf("a second server opened %s", path)
		}
		if !strings.Contains(err.Error(), "another smsgw process") {
			t.Fatalf("error %q does not say another process holds the database", err)
		}
	}

	t.Run("RefusesTheSameDatabaseThroughASymlink", func(t *testing.T) {
		_, path := MustOpenDBPath(t)
		link := filepath.Join(t.TempDir(), "smsgw.db")
		if err := os.Symlink(path, link); err != nil {
			t.Fatal(err)
		}
		refused(t, link)
	})

	t.Run("RefusesTheSameDatabaseThroughAHardLink", func(t *testing.T) {
		_, path := MustOpenDBPath(t)
		link := filepath.Join(t.TempDir(), "smsgw.db")
		if err := os.Link(path, link); err != nil {
			t.Fatal(err)
		}
		refused(t, link)
	})

	t.Run("StillRefusesAfterTheLockFileIsDeleted", func(t *testing.T) {
		_, path := MustOpenDBPath(t)
		if err := os.Remove(path + ".lock"); err != nil {
			t.Fatal(err)
		}
		refused(t, path)
	})

	t.Run("HandedOverLockOutlivesClose", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		release := db.HandOverLock()
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		refused(t, path)
		if err := release(); err != nil {
			t.Fatal(err)
		}
		MustReopenDB(t, path)
	})

	t.Run("CreatesTheDatabaseFileOfANewFolder", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new", "smsgw.db")
		MustReopenDB(t, path)
		refused(t, path)
	})
}
