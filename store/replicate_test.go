package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"smsgw/app"
	"smsgw/app/apptest"
	"smsgw/store"
)

// fakeS3 starts an S3-compatible server on loopback; setting down makes it
// answer every request with 503, as an unreachable store would fail.
func fakeS3(t *testing.T) (store.ReplicaConfig, *atomic.Bool) {
	t.Helper()
	var down atomic.Bool
	s3 := gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true))
	h := s3.Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "unreachable", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return store.ReplicaConfig{Type: "s3", Bucket: "smsgw-backup", Path: "primary", Endpoint: srv.URL,
		Region: "us-east-1", ForcePathStyle: true, AccessKeyID: "test", SecretAccessKey: "test-secret",
		SyncInterval: 100 * time.Millisecond}, &down
}

func fileReplica(t *testing.T) store.ReplicaConfig {
	return store.ReplicaConfig{Type: "file", Path: filepath.Join(t.TempDir(), "replica"), SyncInterval: 100 * time.Millisecond}
}

func mustReplicate(t *testing.T, path string, cfg store.ReplicaConfig) *store.Replicator {
	t.Helper()
	rep, err := store.Replicate(context.Background(), path, cfg, nil)
	if err != nil {
		t.Fatalf("replicate: %v", err)
	}
	t.Cleanup(func() { rep.Close(context.Background()) })
	return rep
}

func sendN(t *testing.T, db *store.DB, p *app.Principal, n int, tag string) {
	t.Helper()
	for i := range n {
		MustSend(t, db, p, &app.SendRequest{To: []string{fmt.Sprintf("1390000%04d", i)}, Content: "【" + signature + "】" + tag})
	}
}

// countMessages opens a restored database read-only and counts its messages
// by content.
func countMessages(t *testing.T, dir string) map[string]int {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`select coalesce(m.content, b.content), count(*) from messages m join batches b on b.id = m.batch_id group by 1`)
	if err != nil {
		t.Fatalf("restored database: %v", err)
	}
	defer rows.Close()
	got := map[string]int{}
	for rows.Next() {
		var content string
		var n int
		if err := rows.Scan(&content, &n); err != nil {
			t.Fatal(err)
		}
		got[strings.TrimPrefix(content, "【"+signature+"】")] = n
	}
	return got
}

func TestReplicateToFolderAndRestore(t *testing.T) {
	db, path := MustOpenDBPath(t)
	p := MustSysadmin(t, db)
	cfg := fileReplica(t)
	rep := mustReplicate(t, path, cfg)
	sendN(t, db, p, 20, "A")
	if err := rep.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Litestream may write a transaction of its own (a checkpoint) after the
	// sync: in step means soon, not at once.
	waitState(t, rep, 10*time.Second, "in step after a sync", func(st app.ReplicationState) bool {
		return st.Healthy && st.ReplicaTXID >= st.LocalTXID && !st.LastSync.IsZero() && st.Error == ""
	})

	dir := filepath.Join(t.TempDir(), "restored")
	if err := store.Restore(context.Background(), cfg, store.RestoreOptions{Dir: dir}); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if got := countMessages(t, dir); got["A"] != 20 {
		t.Errorf("restored messages: %v; want 20 of A", got)
	}
	err := store.Restore(context.Background(), cfg, store.RestoreOptions{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("restore over an existing database: %v; want a refusal", err)
	}
}

func TestRestoreFromEmptyOrWrongReplicaWritesNothing(t *testing.T) {
	empty := fileReplica(t)
	dir := filepath.Join(t.TempDir(), "restored")
	err := store.Restore(context.Background(), empty, store.RestoreOptions{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "holds no backup") {
		t.Errorf("restore from an empty replica: %v; want 'holds no backup'", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the failed restore left %s behind (%v)", dir, err)
	}

	// A replica of some other program's database.
	other := filepath.Join(t.TempDir(), "other.db")
	raw, err := sql.Open("sqlite", "file:"+other+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`create table notes (body text); insert into notes values ('hello')`); err != nil {
		t.Fatal(err)
	}
	cfg := fileReplica(t)
	rep := mustReplicate(t, other, cfg)
	if err := rep.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	err = store.Restore(context.Background(), cfg, store.RestoreOptions{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "not smsgw") {
		t.Errorf("restore of another program's database: %v; want 'not smsgw'", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused restore left %s behind (%v)", dir, err)
	}
}

func TestReplicateToS3PointInTime(t *testing.T) {
	db, path := MustOpenDBPath(t)
	p := MustSysadmin(t, db)
	cfg, _ := fakeS3(t)
	rep := mustReplicate(t, path, cfg)
	sendN(t, db, p, 10, "before")
	if err := rep.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // replica timestamps have second precision on S3
	between := time.Now()
	time.Sleep(1100 * time.Millisecond)
	sendN(t, db, p, 5, "after")
	if err := rep.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}

	latest := filepath.Join(t.TempDir(), "latest")
	if err := store.Restore(context.Background(), cfg, store.RestoreOptions{Dir: latest}); err != nil {
		t.Fatalf("restore latest: %v", err)
	}
	if got := countMessages(t, latest); got["before"] != 10 || got["after"] != 5 {
		t.Errorf("latest restore: %v; want 10 before, 5 after", got)
	}
	then := filepath.Join(t.TempDir(), "then")
	if err := store.Restore(context.Background(), cfg, store.RestoreOptions{Dir: then, Timestamp: between}); err != nil {
		t.Fatalf("point-in-time restore: %v", err)
	}
	if got := countMessages(t, then); got["before"] != 10 || got["after"] != 0 {
		t.Errorf("restore at %s: %v; want only the 10 before", between.Format(time.RFC3339Nano), got)
	}
}

// waitState polls the replication state until ok says so.
func waitState(t *testing.T, rep *store.Replicator, within time.Duration, what string, ok func(app.ReplicationState) bool) app.ReplicationState {
	t.Helper()
	var st app.ReplicationState
	apptest.Eventually(t, within, func() error {
		if st = rep.ReplicationState(); !ok(st) {
			return fmt.Errorf("replication not %s: %+v", what, st)
		}
		return nil
	})
	return st
}

func TestReplicaUnreachableSendingGoesOnAndCatchesUp(t *testing.T) {
	db, path := MustOpenDBPath(t)
	p := MustSysadmin(t, db)
	cfg, down := fakeS3(t)
	rep := mustReplicate(t, path, cfg)
	sendN(t, db, p, 5, "before")
	if err := rep.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}

	down.Store(true)
	sendN(t, db, p, 5, "during") // accepting does not wait for the replica
	st := waitState(t, rep, 30*time.Second, "reported the outage", func(st app.ReplicationState) bool {
		return st.Error != "" && st.LocalTXID > st.ReplicaTXID && st.LagSeconds > 0
	})
	t.Logf("during the outage: %+v", st)

	down.Store(false)
	waitState(t, rep, 60*time.Second, "caught up", func(st app.ReplicationState) bool {
		return st.Healthy && st.ReplicaTXID >= st.LocalTXID
	})
	dir := filepath.Join(t.TempDir(), "restored")
	if err := store.Restore(context.Background(), cfg, store.RestoreOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if got := countMessages(t, dir); got["before"] != 5 || got["during"] != 5 {
		t.Errorf("restored after the outage: %v; want 5 before, 5 during", got)
	}
}

func TestStandbyFollowsThenPromoted(t *testing.T) {
	db, path := MustOpenDBPath(t)
	p := MustSysadmin(t, db)
	cfg := fileReplica(t)
	rep := mustReplicate(t, path, cfg)
	sendN(t, db, p, 3, "first")
	if err := rep.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "standby")
	ctx, cancel := context.WithCancel(context.Background())
	followed := make(chan error, 1)
	go func() { followed <- store.Follow(ctx, cfg, dir, 50*time.Millisecond, nil) }()
	t.Cleanup(func() { cancel(); <-followed })
	waitCopy := func(wantID int64) {
		t.Helper()
		apptest.Eventually(t, 15*time.Second, func() error {
			s, err := store.Summarize(context.Background(), dir)
			if err == nil && s.LastMessageID != wantID {
				err = fmt.Errorf("standby at message %d, want %d", s.LastMessageID, wantID)
			}
			return err
		})
	}
	waitCopy(3)
	if !store.IsStandbyCopy(dir) {
		t.Error("IsStandbyCopy is false while following")
	}
	sendN(t, db, p, 4, "second")
	if err := rep.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitCopy(7)

	cancel()
	if err := <-followed; err != nil {
		t.Errorf("follow ended with %v", err)
	}
	followed <- nil // for the cleanup
	if err := store.Promote(context.Background(), dir); err != nil {
		t.Fatalf("promote: %v", err)
	}
	if store.IsStandbyCopy(dir) {
		t.Error("still a standby copy after promotion")
	}
	// The runbook's step 4: the primary's key, backed up at install.
	if err := os.Link(filepath.Join(filepath.Dir(path), "secret.key"), filepath.Join(dir, "secret.key")); err != nil {
		t.Fatal(err)
	}
	promoted := MustReopenDB(t, filepath.Join(dir, store.DBFile))
	sa := MustAPIKey(t, promoted, app.RootDepartmentID, app.RoleSysadmin)
	msgs, _, err := promoted.FindMessages(context.Background(), sa, app.MessageFilter{Limit: 100})
	if err != nil || len(msgs) != 7 {
		t.Fatalf("promoted database lists %d messages (%v); want 7", len(msgs), err)
	}
	sendN(t, promoted, sa, 1, "after promotion")
}
