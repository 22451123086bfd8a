package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"smsgw/app/apptest"
	"smsgw/store"
)

// followLagging starts a standby on cfg that takes the first copy and then
// looks for changes only once an hour: as far behind the replica as a
// standby gets. stop stops it, as promote does.
func followLagging(t *testing.T, cfg store.ReplicaConfig, wantMessages int64) (dir string, stop func()) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "standby")
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() { followed <- store.Follow(ctx, cfg, dir, time.Hour, nil) }()
	apptest.Eventually(t, 15*time.Second, func() error {
		s, err := store.Summarize(context.Background(), dir)
		if err == nil && s.LastMessageID != wantMessages {
			err = fmt.Errorf("standby at message %d, want %d", s.LastMessageID, wantMessages)
		}
		return err
	})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-followed // stopped in its first look at the replica, it says so: not a failure

		})
	}
	t.Cleanup(stop)
	return dir, stop
}

// Item 4 of issue 13: promote applies what the replica holds beyond the
// standby's copy before it hands over.
func TestPromoteCatchesUpFromReplica(t *testing.T) {
	for _, kind := range []string{"file", "s3"} {
		t.Run(kind, func(t *testing.T) {
			db, path := MustOpenDBPath(t)
			p := MustSysadmin(t, db)
			cfg := fileReplica(t)
			if kind == "s3" {
				cfg, _ = fakeS3(t)
			}
			rep := mustReplicate(t, path, cfg)
			sendN(t, db, p, 3, "first")
			if err := rep.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			dir, stop := followLagging(t, cfg, 3)
			sendN(t, db, p, 4, "burst") // in the replica, not yet in the copy
			if err := rep.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := countMessages(t, dir); got["burst"] != 0 {
				t.Fatalf("the lagging standby already holds %v", got)
			}
			stop()

			res, err := store.PromoteCopy(context.Background(), dir, store.PromoteOptions{Replica: &cfg})
			if err != nil {
				t.Fatalf("promote: %v", err)
			}
			if got := countMessages(t, dir); got["first"] != 3 || got["burst"] != 4 {
				t.Errorf("promoted copy holds %v; want 3 first and 4 burst (all the replica held)", got)
			}
			if res.ReplicaErr != nil || res.TXID != res.ReplicaTXID || res.TXID <= res.CopyTXID || res.Epoch.Epoch != 1 {
				t.Errorf("promote reports %+v; want caught up to the replica's transaction, from an earlier one, epoch 1", res)
			}
		})
	}
}

// A replica that cannot be read does not stop a failover: the copy is
// promoted as it is, and the result says why.
func TestPromoteReplicaUnreachable(t *testing.T) {
	db, path := MustOpenDBPath(t)
	p := MustSysadmin(t, db)
	cfg, down := fakeS3(t)
	rep := mustReplicate(t, path, cfg)
	sendN(t, db, p, 3, "first")
	if err := rep.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir, stop := followLagging(t, cfg, 3)
	stop()
	down.Store(true)
	res, err := store.PromoteCopy(context.Background(), dir, store.PromoteOptions{Replica: &cfg})
	if err != nil || res.ReplicaErr == nil {
		t.Fatalf("promote with the replica down: %+v, %v; want promoted, with the replica's error", res, err)
	}
	if got := countMessages(t, dir); got["first"] != 3 {
		t.Errorf("promoted copy holds %v", got)
	}
}
