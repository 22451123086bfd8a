package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"smsgw/store"
)

// primaryWithReplica replicates a database holding 20 messages and stops
// both, as a primary that was stopped or died would leave them.
func primaryWithReplica(t *testing.T, cfg store.ReplicaConfig) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", store.DBFile)
	db, err := store.Open(context.Background(), store.Options{Path: path, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := store.Replicate(context.Background(), path, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sendN(t, db, MustSysadmin(t, db), 20, "A")
	if err := rep.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := rep.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return path
}

// replicateOnce starts replicating path, uploads, and stops again; it
// answers Replicate's error.
func replicateOnce(t *testing.T, path string, cfg store.ReplicaConfig) error {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{Path: path, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := store.Replicate(context.Background(), path, cfg, nil)
	if err != nil {
		return err
	}
	if err := rep.Sync(context.Background()); err != nil {
		t.Errorf("sync: %v", err)
	}
	db.Close()
	return rep.Close(context.Background())
}

func wantRefused(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, store.ErrReplicaAhead) || !strings.Contains(err.Error(), "smsgw restore") || !strings.Contains(err.Error(), "--new-replica") {
		t.Errorf("%s: %v; want a refusal that says how to restore and how to override", what, err)
	}
}

func TestReplicaNotOverwrittenByEmptyDatabase(t *testing.T) {
	for _, how := range []string{"new folder", "database deleted, Litestream folder left"} {
		t.Run(how, func(t *testing.T) {
			cfg := fileReplica(t)
			path := primaryWithReplica(t, cfg)
			if how == "new folder" {
				path = filepath.Join(t.TempDir(), store.DBFile)
			} else {
				for _, suffix := range []string{"", "-wal", "-shm"} {
					os.Remove(path + suffix) // what `rm smsgw.db*` does; .smsgw.db-litestream stays
				}
			}
			wantRefused(t, replicateOnce(t, path, cfg), "an empty database over a replica with 20 messages")

			dir := filepath.Join(t.TempDir(), "restored")
			if err := store.Restore(context.Background(), cfg, store.RestoreOptions{Dir: dir}); err != nil {
				t.Fatal(err)
			}
			if got := countMessages(t, dir); got["A"] != 20 {
				t.Errorf("after the refusal the replica restores %v; want 20 of A", got)
			}

			cfg.NewReplica = true
			if err := replicateOnce(t, path, cfg); err != nil {
				t.Fatalf("with NewReplica: %v", err)
			}
			again := filepath.Join(t.TempDir(), "again")
			if err := store.Restore(context.Background(), cfg, store.RestoreOptions{Dir: again}); err != nil {
				t.Fatal(err)
			}
			if got := countMessages(t, again); got["A"] != 0 {
				t.Errorf("with NewReplica the replica restores %v; want the new, empty database", got)
			}
		})
	}
}

func TestReplicaNotOverwrittenByRestoredCopy(t *testing.T) {
	cfg := fileReplica(t)
	primary := primaryWithReplica(t, cfg)
	dir := filepath.Join(t.TempDir(), "restored")
	if err := store.Restore(context.Background(), cfg, store.RestoreOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	copyKey(t, filepath.Dir(primary), dir) // the runbook's step: the primary's secret.key
	path := filepath.Join(dir, store.DBFile)
	wantRefused(t, replicateOnce(t, path, cfg), "a restored copy over its own replica")
	next := fileReplica(t) // the runbook's new replica path
	if err := replicateOnce(t, path, next); err != nil {
		t.Errorf("a restored copy to a new replica path: %v", err)
	}
}

func TestReplicaPrimaryRestartsAndReplicates(t *testing.T) {
	cfg := fileReplica(t)
	path := primaryWithReplica(t, cfg)
	for i := range 2 {
		if err := replicateOnce(t, path, cfg); err != nil {
			t.Fatalf("restart %d of the primary: %v", i+1, err)
		}
	}
}

// A primary restarting while its replica is unreachable starts (sending
// goes on); an empty database cannot tell whether it would overwrite
// anything, so it does not.
func TestReplicaUnreachableAtStart(t *testing.T) {
	cfg, down := fakeS3(t)
	path := primaryWithReplica(t, cfg)
	down.Store(true)
	db := MustReopenDB(t, path)
	rep, err := store.Replicate(context.Background(), path, cfg, nil)
	if err != nil {
		t.Fatalf("the primary's restart with the replica down: %v", err)
	}
	db.Close()
	rep.Close(context.Background())

	fresh := filepath.Join(t.TempDir(), store.DBFile)
	MustReopenDB(t, fresh)
	if _, err := store.Replicate(context.Background(), fresh, cfg, nil); err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("an empty database with the replica down: %v; want a refusal", err)
	}
}

// copyKey copies the secret.key of one data folder into another, as the
// restore runbook says to.
func copyKey(t *testing.T, from, to string) {
	t.Helper()
	key, err := os.ReadFile(filepath.Join(from, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, "secret.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
}
