package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"smsgw/store"
)

// A restored copy (and a standby's) must be private like the primary's.
func TestRestoredCopyIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	cfg := fileReplica(t)
	primary := primaryWithReplica(t, cfg)
	fi, _ := os.Stat(primary)
	t.Logf("primary mode %v", fi.Mode().Perm())
	dir := filepath.Join(t.TempDir(), "restored")
	if err := store.Restore(context.Background(), cfg, store.RestoreOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %v after restore (phone numbers readable by every local user)", p, fi.Mode().Perm())
		}
		return nil
	})
}
