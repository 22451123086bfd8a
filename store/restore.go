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

// DBFile is the database's file name inside a data folder.
const DBFile = "smsgw.db"

// RestoreOptions say what to restore and where.
type RestoreOptions struct {
	Dir       string    // the new data folder; DIR/smsgw.db must not exist
	Timestamp time.Time // zero: the latest state; else the state at that moment
	Logger    *slog.Logger
	// SkipCheck skips SQLite's quick_check of the restored file (about
	// a third of the restore time of a large database).
	SkipCheck bool
}

// Restore writes the replica's database into opts.Dir/smsgw.db. It refuses
// to overwrite, and on any failure (an empty replica, one that holds another
// program's database, a damaged file) it leaves nothing behind. The copy
// starts a new id epoch (see ids.go): it lacks the old primary's last
// moments, whose ids must not be handed out again.
func Restore(ctx context.Context, cfg ReplicaConfig, opts RestoreOptions) error {
	return restore(ctx, cfg, opts, true)
}

// restore is Restore; a standby's first copy (newEpoch false) stays exactly
// the replica's, since following writes the replica's pages over it.
func restore(ctx context.Context, cfg ReplicaConfig, opts RestoreOptions, newEpoch bool) (err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	out := filepath.Join(opts.Dir, DBFile)
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s 已存在，拒绝覆盖 (already exists; restore into a new folder)", out)
	}
	client, err := newReplicaClient(cfg)
	if err != nil {
		return err
	}
	client.SetLogger(opts.Logger)
	createdDir := false
	if _, err := os.Stat(opts.Dir); errors.Is(err, os.ErrNotExist) {
		createdDir = true
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return err
	}
	tmp := filepath.Join(opts.Dir, ".restoring-"+DBFile)
	removeDB(tmp)
	defer func() {
		removeDB(tmp)
		if err != nil && createdDir {
			_ = os.Remove(opts.Dir) // only if still empty
		}
	}()
	r := litestream.NewReplicaWithClient(loggerOnly(opts.Logger), client)
	ro := litestream.NewRestoreOptions()
	ro.OutputPath, ro.Timestamp, ro.IntegrityCheck = tmp, opts.Timestamp, litestream.IntegrityCheckQuick
	if opts.SkipCheck {
		ro.IntegrityCheck = litestream.IntegrityCheckNone
	}
	if err := r.Restore(ctx, ro); err != nil {
		if errors.Is(err, litestream.ErrTxNotAvailable) || errors.Is(err, litestream.ErrNoSnapshots) {
			if opts.Timestamp.IsZero() {
				return fmt.Errorf("副本中没有可恢复的数据库 (the replica %s holds no backup)", cfg)
			}
			return fmt.Errorf("副本中没有 %s 之前的备份 (the replica %s holds no backup at or before that time)", opts.Timestamp.Format(time.RFC3339), cfg)
		}
		return fmt.Errorf("restore from %s: %w", cfg, err)
	}
	// Litestream creates its output with the umask's mode; the copy holds
	// what the primary's does, so it is as private (a standby follows into
	// this same file).
	for _, f := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		if err := os.Chmod(f, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := checkSmsgwDB(ctx, tmp); err != nil {
		return err
	}
	if newEpoch {
		if _, err := startEpoch(ctx, tmp, "restore"); err != nil {
			return fmt.Errorf("restored copy: new id epoch: %w", err)
		}
	}
	return os.Rename(tmp, out)
}

// loggerOnly is an unopened Litestream DB that only carries the logger a
// restore should use (without one it logs to the default logger).
func loggerOnly(log *slog.Logger) *litestream.DB {
	db := litestream.NewDB(os.DevNull)
	db.Logger = log
	return db
}

// checkSmsgwDB refuses a restored file that is not an smsgw database.
func checkSmsgwDB(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN ('migrations','messages')`).Scan(&n)
	if err != nil || n != 2 {
		return fmt.Errorf("副本中的数据库不是 smsgw 的数据库 (the replica holds a database that is not smsgw's: wrong replica path?)")
	}
	return nil
}

func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-txid", ".tmp"} {
		_ = os.Remove(path + suffix)
	}
}

// Follow keeps dir/smsgw.db a copy of the replica, applying new changes every
// interval until ctx ends: the standby. It restores first when the file does
// not exist and resumes after a restart of the standby.
func Follow(ctx context.Context, cfg ReplicaConfig, dir string, interval time.Duration, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	out := filepath.Join(dir, DBFile)
	client, err := newReplicaClient(cfg)
	if err != nil {
		return err
	}
	client.SetLogger(log)
	if _, err := os.Stat(out); err == nil {
		if txid, _ := litestream.ReadTXIDFile(out); txid == 0 {
			return fmt.Errorf("%s 已是主库的数据 (is a primary's database, not a standby copy): use another folder", out)
		}
	} else {
		// The restore may go past the plan's last transaction if the primary
		// writes meanwhile; following from the plan's end then re-applies
		// whole pages in order, which ends in the same state.
		plan, err := waitForBackup(ctx, client, cfg, log)
		if err != nil {
			return err
		}
		// The marker goes first: the copy must never be seen without it, or
		// a serve on this folder would take it for a primary's database.
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := litestream.WriteTXIDFile(out, plan[len(plan)-1].MaxTXID); err != nil {
			return err
		}
		if err := restore(ctx, cfg, RestoreOptions{Dir: dir, Logger: log}, false); err != nil {
			_ = os.Remove(litestream.TXIDPath(out))
			return err
		}
	}
	r := litestream.NewReplicaWithClient(loggerOnly(log), client)
	ro := litestream.NewRestoreOptions()
	ro.OutputPath, ro.Follow, ro.FollowInterval = out, true, interval
	return r.Restore(ctx, ro)
}

// waitForBackup waits until the replica holds a backup: a standby may be set
// up before the primary's first upload.
func waitForBackup(ctx context.Context, client litestream.ReplicaClient, cfg ReplicaConfig, log *slog.Logger) ([]*ltx.FileInfo, error) {
	for logged := false; ; logged = true {
		plan, err := litestream.CalcRestorePlan(ctx, client, 0, time.Time{}, log)
		if err == nil && len(plan) > 0 {
			return plan, nil
		}
		if err != nil && !errors.Is(err, litestream.ErrTxNotAvailable) && !errors.Is(err, litestream.ErrNoSnapshots) {
			return nil, fmt.Errorf("replica %s: %w", cfg, err)
		}
		if !logged {
			log.Warn("副本中还没有备份，等待主节点上传 (replica holds no backup yet: waiting for the primary)", "replica", cfg.String())
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// IsStandbyCopy reports whether dir holds a standby's copy (a database being
// followed) rather than a primary's database.
func IsStandbyCopy(dir string) bool {
	_, err := os.Stat(litestream.TXIDPath(filepath.Join(dir, DBFile)))
	return err == nil
}

// Promote makes a standby's copy a primary's database, without asking the
// replica for what the copy lacks: PromoteCopy with no options.
func Promote(ctx context.Context, dir string) error {
	_, err := PromoteCopy(ctx, dir, PromoteOptions{})
	return err
}

// CopySummary describes a database file without opening it for writing: what
// a standby shows on its status page.
type CopySummary struct {
	TXID          uint64    // last transaction applied from the replica
	AppliedAt     time.Time // when it was applied
	LastMessageID int64     // the newest message's id (ids only grow)
	LastMessage   time.Time // when the newest message was accepted
}

// Summarize reads a standby's copy in dir.
func Summarize(ctx context.Context, dir string) (CopySummary, error) {
	out := filepath.Join(dir, DBFile)
	var s CopySummary
	txid, err := litestream.ReadTXIDFile(out)
	if err != nil {
		return s, err
	}
	s.TXID = uint64(txid)
	if fi, err := os.Stat(litestream.TXIDPath(out)); err == nil {
		s.AppliedAt = fi.ModTime()
	}
	db, err := sql.Open("sqlite", "file:"+out+"?mode=ro&_pragma=busy_timeout(2000)")
	if err != nil {
		return s, err
	}
	defer db.Close()
	var last int64
	err = db.QueryRowContext(ctx, `select id, created_at from messages order by id desc limit 1`).Scan(&s.LastMessageID, &last)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	s.LastMessage = fromMS(last)
	return s, err
}
