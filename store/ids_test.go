package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/app/apptest"
	"smsgw/store"
)

// handedOut collects every id a database gave its callers, by kind.
type handedOut map[string]map[int64]bool

func (h handedOut) add(kind string, id int64) {
	if h[kind] == nil {
		h[kind] = map[int64]bool{}
	}
	h[kind][id] = true
}

func (h handedOut) send(t *testing.T, db *store.DB, p *app.Principal, n int, tag string) {
	t.Helper()
	for i := range n {
		res := MustSend(t, db, p, &app.SendRequest{To: []string{fmt.Sprintf("1390000%04d", i), fmt.Sprintf("1370000%04d", i)},
			Content: "【" + signature + "】" + tag})
		h.add("batch", res.BatchID)
		for _, m := range res.Messages {
			h.add("message", m.ID)
		}
	}
}

func (h handedOut) channel(t *testing.T, db *store.DB) int64 {
	t.Helper()
	c := validChannel()
	c.Name = fmt.Sprintf("通道%d", len(h["channel"])+1)
	if err := db.CreateChannel(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	h.add("channel", c.ID)
	return c.ID
}

// topUp tops up the root's account and collects the ledger entry's id
// (and those of the debits of the sends after it: a metered platform).
func (h handedOut) topUp(t *testing.T, db *store.DB) {
	t.Helper()
	e, err := db.TopUp(context.Background(), admin, app.RootDepartmentID, 100, "充值")
	if err != nil {
		t.Fatal(err)
	}
	h.add("ledger", e.ID)
}

// checkNew sends and creates a channel on db and fails on any id old handed
// out already.
func (h handedOut) checkNew(t *testing.T, db *store.DB, p *app.Principal) {
	t.Helper()
	fresh := handedOut{}
	fresh.topUp(t, db)
	fresh.send(t, db, p, 5, "new")
	fresh.channel(t, db)
	for kind, ids := range fresh {
		for id := range ids {
			if h[kind][id] {
				t.Errorf("%s id %d handed out again", kind, id)
			}
		}
	}
}

// Item 2 of issue 13: a restore lacks the old primary's last moments (here
// everything sent while the replica was unreachable); the restored copy's
// new ids must not be the lost ones.
func TestIDsNotReissuedAfterRestore(t *testing.T) {
	db, path := MustOpenDBPath(t)
	p := MustSysadmin(t, db)
	cfg, down := fakeS3(t)
	rep := mustReplicate(t, path, cfg)
	old := handedOut{}
	old.channel(t, db)
	old.topUp(t, db)
	old.send(t, db, p, 3, "kept")
	if err := rep.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	old.topUp(t, db)
	old.send(t, db, p, 3, "lost")
	old.channel(t, db)
	db.Close()
	rep.Close(context.Background()) // its last upload fails: the tail is lost
	down.Store(false)

	dir := filepath.Join(t.TempDir(), "restored")
	if err := store.Restore(context.Background(), cfg, store.RestoreOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if got := countMessages(t, dir); got["kept"] != 6 || got["lost"] != 0 {
		t.Fatalf("restored %v; want the 6 kept messages and not the lost ones", got)
	}
	ep, err := store.ReadEpoch(context.Background(), dir)
	if err != nil || ep.Epoch != 1 || ep.NextMessageID != 1<<32 {
		t.Errorf("restored copy's epoch %+v (%v); want epoch 1, messages from 2^32", ep, err)
	}
	restored := mustOpenCopy(t, dir, path)
	old.checkNew(t, restored, p)
}

// mustOpenCopy opens a restored or promoted copy with the primary's key.
func mustOpenCopy(t *testing.T, dir, primary string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{Path: filepath.Join(dir, store.DBFile), Exclusive: true,
		KeyPath: filepath.Join(filepath.Dir(primary), "secret.key")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestIDsNotReissuedAfterPromote(t *testing.T) {
	db, path := MustOpenDBPath(t)
	p := MustSysadmin(t, db)
	cfg := fileReplica(t)
	rep := mustReplicate(t, path, cfg)
	old := handedOut{}
	old.channel(t, db)
	old.topUp(t, db)
	old.send(t, db, p, 3, "kept")
	if err := rep.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "standby")
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() { followed <- store.Follow(ctx, cfg, dir, 20*time.Millisecond, nil) }()
	apptest.Eventually(t, 15*time.Second, func() error {
		s, err := store.Summarize(context.Background(), dir)
		if err == nil && s.LastMessageID != 6 {
			err = fmt.Errorf("standby at message %d, want 6", s.LastMessageID)
		}
		return err
	})
	cancel()
	if err := <-followed; err != nil {
		t.Fatal(err)
	}
	old.topUp(t, db)
	old.send(t, db, p, 3, "lost") // the standby never sees these
	old.channel(t, db)

	if err := store.Promote(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	promoted := mustOpenCopy(t, dir, path)
	old.checkNew(t, promoted, p)
	// A second failover starts another epoch.
	ep, err := store.ReadEpoch(context.Background(), dir)
	if err != nil || ep.Epoch != 1 {
		t.Errorf("promoted copy's epoch %+v (%v); want 1", ep, err)
	}
}

func TestIDsOfDeletedRowsNotReissued(t *testing.T) {
	db, path := MustOpenDBPath(t)
	p := MustSysadmin(t, db)
	old := handedOut{}
	id := old.channel(t, db)
	if err := db.DeleteChannel(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	old.send(t, db, p, 2, "deleted")
	raw := MustRawDB(t, path)
	// Retention removes old messages; here it removed the newest too.
	if _, err := raw.Exec(`delete from messages; delete from batches`); err != nil {
		t.Fatal(err)
	}
	old.checkNew(t, db, p)
}
