//go:build unix

package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"smsgw/store"
)

// TestFilesArePrivate pins issue 14 item 18: the database, its WAL and
// shared-memory files, the key and a backup are readable by their owner
// only (0600) whatever the umask, folders the database creates are 0700,
// and a file an older version left 0644 is made private at the next start.
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022) // the usual umask, which made them 0644
	defer syscall.Umask(old)

	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "smsgw.db")
	db, err := store.Open(context.Background(), store.Options{Path: path, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	MustSysadmin(t, db) // a write, so the WAL exists
	backup := filepath.Join(t.TempDir(), "backup")
	if err := db.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	wantMode(t, dir, 0o700)
	for _, f := range []string{path, path + "-wal", path + "-shm", filepath.Join(dir, "secret.key"),
		filepath.Join(backup, "smsgw.db"), filepath.Join(backup, "secret.key")} {
		wantMode(t, f, 0o600)
	}
	wantMode(t, backup, 0o700)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("AnOldPublicFileIsMadePrivate", func(t *testing.T) {
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			if err := os.Chmod(f, 0o644); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
		MustReopenDB(t, path)
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			wantMode(t, f, 0o600)
		}
	})
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", filepath.Base(path), got, want)
	}
}
