package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
)

// PromoteOptions say how to promote a standby's copy.
type PromoteOptions struct {
	// Replica is the replica the standby followed. When set, the copy first
	// takes every change the replica holds and the copy lacks: a standby is
	// up to a follow interval behind the replica, and what the replica
	// holds must not be lost by a failover.
	Replica *ReplicaConfig
	// CatchUpTimeout bounds catching up (default 2 minutes).
	CatchUpTimeout time.Duration
	Logger         *slog.Logger
}

// PromoteResult says what PromoteCopy did, for the operator.
type PromoteResult struct {
	CopyTXID    uint64 // the copy's last transaction when the standby stopped
	ReplicaTXID uint64 // the replica's last transaction (0: not asked)
	TXID        uint64 // the promoted copy's last transaction
	// ReplicaErr is why the replica could not be read: the copy was
	// promoted as it was.
	ReplicaErr error
	Epoch      Epoch // the new id epoch
}

// PromoteCopy makes a standby's copy in dir a primary's database: it
// catches up from opts.Replica (if set and reachable), checks the copy,
// starts a new id epoch and drops the follow marker. The standby must be
// stopped. A replica that cannot be read does not stop a failover (the
// primary is gone, the copy is what there is): PromoteResult.ReplicaErr
// says so. A replica that can be read but not applied does: retry, or
// promote without it.
func PromoteCopy(ctx context.Context, dir string, opts PromoteOptions) (PromoteResult, error) {
	var res PromoteResult
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.CatchUpTimeout == 0 {
		opts.CatchUpTimeout = 2 * time.Minute
	}
	out := filepath.Join(dir, DBFile)
	lock, err := lockFile(out + ".lock")
	if err != nil {
		return res, err
	}
	defer lock.Close()
	txid, err := litestream.ReadTXIDFile(out)
	if err != nil {
		return res, err
	} else if txid == 0 {
		return res, fmt.Errorf("%s 不是备用库 (holds no standby copy)", out)
	}
	res.CopyTXID, res.TXID = uint64(txid), uint64(txid)
	if opts.Replica != nil {
		if err := catchUp(ctx, *opts.Replica, out, opts, &res); err != nil {
			return res, err
		}
	}
	if err := checkSmsgwDB(ctx, out); err != nil {
		return res, err
	}
	db, err := sql.Open("sqlite", "file:"+out+"?mode=ro")
	if err != nil {
		return res, err
	}
	defer db.Close()
	var verdict string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&verdict); err != nil || verdict != "ok" {
		return res, fmt.Errorf("备用库检查未通过 (standby copy failed its check): %s %v", verdict, err)
	}
	db.Close()
	// The copy lacks the old primary's last moments: their ids must not
	// be handed out again. A crash before the marker goes only means one
	// more epoch at the next promote.
	if res.Epoch, err = startEpoch(ctx, out, "promote"); err != nil {
		return res, fmt.Errorf("promoted copy: new id epoch: %w", err)
	}
	return res, os.Remove(litestream.TXIDPath(out))
}

// catchUp applies to the copy at out what the replica holds beyond it, with
// Litestream's own follow (which resumes from the copy's marker) run until
// the copy holds the replica's last transaction as seen at the start. A
// follow stopped by the timeout may leave a file half applied; the marker
// still names the last whole one, so the next attempt applies it again.
func catchUp(ctx context.Context, cfg ReplicaConfig, out string, opts PromoteOptions, res *PromoteResult) error {
	client, err := newReplicaClient(cfg)
	if err != nil {
		return err
	}
	client.SetLogger(opts.Logger)
	target, err := replicaMaxTXID(ctx, client)
	if err != nil {
		res.ReplicaErr = fmt.Errorf("replica %s: %w", cfg, err)
		return nil
	}
	res.ReplicaTXID = uint64(target)
	if target <= ltx.TXID(res.CopyTXID) {
		return nil
	}
	fctx, cancel := context.WithTimeout(ctx, opts.CatchUpTimeout)
	defer cancel()
	// Following only up to target means it is idle, never halfway through
	// writing a file's pages, when it is stopped there.
	r := litestream.NewReplicaWithClient(loggerOnly(opts.Logger), &boundedClient{ReplicaClient: client, max: target})
	ro := litestream.NewRestoreOptions()
	ro.OutputPath, ro.Follow, ro.FollowInterval = out, true, 20*time.Millisecond
	done := make(chan error, 1)
	go func() { done <- r.Restore(fctx, ro) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var followErr error
	stopped := false
	for !stopped && res.TXID < res.ReplicaTXID {
		select {
		case followErr = <-done:
			stopped = true
		case <-tick.C:
		}
		if txid, err := litestream.ReadTXIDFile(out); err == nil {
			res.TXID = uint64(txid)
		}
	}
	cancel()
	if !stopped {
		<-done // follow ends cleanly once cancelled
	}
	if res.TXID >= res.ReplicaTXID {
		return nil
	}
	if followErr == nil {
		followErr = errors.New("timed out")
	}
	return fmt.Errorf("备用库未能追上副本 (the copy reached transaction %d of the replica's %d: %v): "+
		"retry promote, or promote without catching up (--skip-catch-up) and lose what the replica holds beyond %d",
		res.TXID, res.ReplicaTXID, followErr, res.TXID)
}

// boundedClient lists only the replica's files up to max.
type boundedClient struct {
	litestream.ReplicaClient
	max ltx.TXID
}

func (c *boundedClient) LTXFiles(ctx context.Context, level int, seek ltx.TXID, useMetadata bool) (ltx.FileIterator, error) {
	itr, err := c.ReplicaClient.LTXFiles(ctx, level, seek, useMetadata)
	if err != nil {
		return nil, err
	}
	all, err := ltx.SliceFileIterator(itr)
	if err != nil {
		return nil, err
	}
	upTo := all[:0]
	for _, info := range all {
		if info.MaxTXID <= c.max {
			upTo = append(upTo, info)
		}
	}
	return ltx.NewFileInfoSliceIterator(upTo), nil
}
