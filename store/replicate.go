package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/benbjohnson/litestream/file"
	"github.com/benbjohnson/litestream/s3"
	"github.com/superfly/ltx"

	"smsgw/app"
)

// Replicator streams the database to its replica with Litestream, embedded.
// It runs beside the application's own connections: Litestream reads the WAL
// and does the checkpoints, the application never forces one.
type Replicator struct {
	cfg    ReplicaConfig
	log    *slog.Logger
	lsdb   *litestream.DB
	store  *litestream.Store
	client *watchedClient
	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	lastInStep time.Time // when the replica last held every local transaction
	unhealthy  bool      // what the log last said
}

// Replicate starts streaming the database at path (which must exist: open the
// store first) to the replica cfg names. It refuses (ErrReplicaAhead) when
// the replica holds a later state than this database, unless
// cfg.NewReplica: see guardReplica.
func Replicate(ctx context.Context, path string, cfg ReplicaConfig, log *slog.Logger) (*Replicator, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client, err := newReplicaClient(cfg)
	if err != nil {
		return nil, err
	}
	lsdb := litestream.NewDB(path)
	// Look at the WAL four times a second (Litestream's default is once):
	// what a kill -9 can lose is this plus the sync interval.
	lsdb.MonitorInterval = 250 * time.Millisecond
	r := litestream.NewReplicaWithClient(lsdb, client)
	r.SyncInterval = cfg.SyncInterval
	lsdb.Replica = r
	if fc, ok := client.ReplicaClient.(*file.ReplicaClient); ok {
		fc.Replica = r
	}
	ls := litestream.NewStore([]*litestream.DB{lsdb}, compactionLevels())
	ls.Logger = log.With("system", "litestream")
	lsdb.SetLogger(ls.Logger) // NewStore gave it the default logger
	ls.SnapshotInterval = cfg.SnapshotInterval
	ls.SnapshotRetention = cfg.SnapshotRetention
	// Stopping must fit in the 10 s a service manager allows: one last upload
	// is attempted for up to 3 s, anything it misses stays in the local WAL
	// and goes up on the next start.
	ls.ShutdownSyncTimeout, ls.ShutdownSyncInterval = 3*time.Second, 500*time.Millisecond
	lsdb.ShutdownSyncTimeout, lsdb.ShutdownSyncInterval = ls.ShutdownSyncTimeout, ls.ShutdownSyncInterval
	if err := guardReplica(ctx, path, lsdb, client, cfg, log); err != nil {
		return nil, err
	}
	if err := ls.Open(ctx); err != nil {
		return nil, fmt.Errorf("litestream: %w", err)
	}
	rep := &Replicator{cfg: cfg, log: log, lsdb: lsdb, store: ls, client: client, done: make(chan struct{}), lastInStep: time.Now()}
	watchCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	rep.cancel = cancel
	go rep.watch(watchCtx)
	log.Info("replicating database", "replica", cfg.String(), "sync_interval", cfg.SyncInterval)
	return rep, nil
}

func compactionLevels() litestream.CompactionLevels {
	return litestream.CompactionLevels{
		{Level: 0},
		{Level: 1, Interval: 30 * time.Second},
		{Level: 2, Interval: 5 * time.Minute},
		{Level: 3, Interval: time.Hour},
	}
}

func newReplicaClient(cfg ReplicaConfig) (*watchedClient, error) {
	switch cfg.Type {
	case "file":
		return &watchedClient{ReplicaClient: file.NewReplicaClient(cfg.Path)}, nil
	case "s3":
		moveCABundle()
		c := s3.NewReplicaClient()
		c.Bucket, c.Path, c.Region, c.Endpoint = cfg.Bucket, cfg.Path, cfg.Region, cfg.Endpoint
		c.ForcePathStyle, c.SkipVerify = cfg.ForcePathStyle, cfg.SkipVerify
		c.AccessKeyID, c.SecretAccessKey = cfg.AccessKeyID, cfg.SecretAccessKey
		return &watchedClient{ReplicaClient: c}, nil
	}
	return nil, fmt.Errorf("replica type %q not supported", cfg.Type)
}

// moveCABundle hands AWS_CA_BUNDLE (a private CA for an on-premises store)
// to Go's own certificate loading: Litestream's S3 client brings its own HTTP
// client, which the AWS SDK refuses to combine with that variable.
func moveCABundle() {
	bundle := os.Getenv("AWS_CA_BUNDLE")
	if bundle == "" {
		return
	}
	if os.Getenv("SSL_CERT_FILE") == "" {
		os.Setenv("SSL_CERT_FILE", bundle)
	}
	os.Unsetenv("AWS_CA_BUNDLE")
}

// Sync uploads everything committed so far and waits for it.
func (rep *Replicator) Sync(ctx context.Context) error {
	return rep.lsdb.SyncAndWait(ctx)
}

// Close stops replication after a last upload attempt. Close the application's
// database first.
func (rep *Replicator) Close(ctx context.Context) error {
	rep.cancel()
	<-rep.done
	return rep.store.Close(ctx)
}

// ReplicationState reports how far the replica is behind.
func (rep *Replicator) ReplicationState() app.ReplicationState {
	st := app.ReplicationState{Replica: rep.cfg.String()}
	if pos, err := rep.lsdb.Pos(); err == nil {
		st.LocalTXID = uint64(pos.TXID)
	}
	st.ReplicaTXID = uint64(rep.lsdb.Replica.Pos().TXID)
	st.LastSync, st.Error = rep.client.status()
	rep.mu.Lock()
	if st.ReplicaTXID >= st.LocalTXID {
		rep.lastInStep = time.Now()
	} else {
		st.LagSeconds = time.Since(rep.lastInStep).Seconds()
	}
	rep.mu.Unlock()
	st.Healthy = st.Error == "" && st.LagSeconds < app.ReplicationLagLimit.Seconds()
	return st
}

// watch samples the state every second, so the lag is measured even when
// nobody asks, and logs when replication falls behind or recovers.
func (rep *Replicator) watch(ctx context.Context) {
	defer close(rep.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st := rep.ReplicationState()
		rep.mu.Lock()
		changed := st.Healthy == rep.unhealthy
		rep.unhealthy = !st.Healthy
		rep.mu.Unlock()
		switch {
		case changed && !st.Healthy:
			rep.log.Warn("replication behind", "replica", st.Replica, "lag_s", int(st.LagSeconds),
				"local_txid", st.LocalTXID, "replica_txid", st.ReplicaTXID, "error", st.Error)
		case changed:
			rep.log.Info("replication caught up", "replica", st.Replica, "txid", st.ReplicaTXID)
		}
	}
}

// watchedClient remembers the last successful upload and the last error, for
// the health report: Litestream itself only logs them.
type watchedClient struct {
	litestream.ReplicaClient
	mu      sync.Mutex
	lastOK  time.Time
	lastErr error
}

func (c *watchedClient) note(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.lastOK, c.lastErr = time.Now(), nil
	} else if !errors.Is(err, context.Canceled) {
		c.lastErr = err
	}
}

func (c *watchedClient) status() (time.Time, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lastErr != nil {
		return c.lastOK, c.lastErr.Error()
	}
	return c.lastOK, ""
}

func (c *watchedClient) WriteLTXFile(ctx context.Context, level int, minTXID, maxTXID ltx.TXID, r io.Reader) (*ltx.FileInfo, error) {
	info, err := c.ReplicaClient.WriteLTXFile(ctx, level, minTXID, maxTXID, r)
	c.note(err)
	return info, err
}

func (c *watchedClient) LTXFiles(ctx context.Context, level int, seek ltx.TXID, useMetadata bool) (ltx.FileIterator, error) {
	itr, err := c.ReplicaClient.LTXFiles(ctx, level, seek, useMetadata)
	if err != nil {
		c.note(err)
	}
	return itr, err
}
