package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
)

// markerFile, inside Litestream's folder beside the database, names the
// database (its id_epoch.db_id) that folder's positions belong to.
const markerFile = "smsgw-db-id"

// ErrReplicaAhead is what Replicate answers when the replica holds a later
// state than the database (or another database's): starting would make
// Litestream overwrite it with this database's state.
var ErrReplicaAhead = errors.New("replica holds a later state than this database")

// guardReplica refuses to start replicating a database that is not the one
// the replica's latest state came from, or is behind it: a new or emptied
// database, a restored or promoted copy, an old primary coming back.
// Litestream itself would take such a database's state as the latest and
// upload it over the replica's (its "database behind replica" recovery),
// and a restore would then give back the wrong data. cfg.NewReplica says
// that is what the operator wants.
//
// The local position comes from Litestream's folder beside the database,
// trusted only when its marker names this database; a stale folder (the
// database file was deleted or replaced) is cleared before replicating, or
// Litestream would take its positions for this file's.
func guardReplica(ctx context.Context, path string, lsdb *litestream.DB, client litestream.ReplicaClient, cfg ReplicaConfig, log *slog.Logger) error {
	dbID, fresh := readGeneration(ctx, path)
	marker := filepath.Join(lsdb.MetaPath(), markerFile)
	_, maxLocal, err := lsdb.MaxLTX()
	if err != nil {
		return fmt.Errorf("litestream folder %s: %w", lsdb.MetaPath(), err)
	}
	stale := false
	if maxLocal > 0 && dbID != "" {
		switch raw, err := os.ReadFile(marker); {
		case err == nil:
			stale = strings.TrimSpace(string(raw)) != dbID
		case errors.Is(err, os.ErrNotExist):
			// A folder from before markers: it belongs to this database
			// unless the database is newer than that version.
			stale = fresh
		default:
			return err
		}
	}
	var local ltx.TXID
	if !stale && maxLocal > 0 {
		pos, err := lsdb.Pos()
		if err != nil {
			return fmt.Errorf("litestream folder %s: %w", lsdb.MetaPath(), err)
		}
		local = pos.TXID
	}
	remote, err := replicaMaxTXID(ctx, client)
	switch {
	case err == nil:
	case local > 0 || cfg.NewReplica:
		// This database's own positions (a primary restarting while the
		// replica is out): sending goes on, replication catches up later.
		log.Warn("replica unreachable at start: replicating once it answers", "replica", cfg.String(), "error", err)
	default:
		return fmt.Errorf("副本 %s 无法访问，无法确认它是否有更新的数据 (replica unreachable: %v). "+
			"This database is %s; starting could overwrite the replica's data once it answers. "+
			"Start again when the replica answers, or add --new-replica if it holds nothing you need", cfg, err, whyBehind(local, stale, maxLocal))
	}
	if remote > local && !cfg.NewReplica {
		return fmt.Errorf("%w: 副本 %s 的数据比本数据库新 (replica at transaction %d, this database at %d: %s), 拒绝覆盖。"+
			"To serve the replica's data: stop, then `smsgw restore --config litestream.yml --to NEW_DIR` and "+
			"`smsgw serve --data NEW_DIR --litestream litestream.yml` with a new replica path in litestream.yml (e.g. path: %s-2). "+
			"To replace the replica's history with this database on purpose: add --new-replica",
			ErrReplicaAhead, cfg, remote, local, whyBehind(local, stale, maxLocal), cfg.Path)
	}
	if remote > local {
		log.Warn("replica holds a later state: starting a new history over it (--new-replica)", "replica", cfg.String(),
			"replica_txid", uint64(remote), "local_txid", uint64(local))
	}
	if stale {
		// Another database's positions: Litestream must start afresh (a
		// snapshot of this database), not continue from them.
		log.Warn("litestream folder belongs to another database file: clearing it", "path", lsdb.MetaPath())
		if err := os.RemoveAll(lsdb.LTXDir()); err != nil {
			return err
		}
	}
	if dbID == "" {
		return nil
	}
	if err := os.MkdirAll(lsdb.MetaPath(), 0o700); err != nil {
		return err
	}
	return os.WriteFile(marker, []byte(dbID+"\n"), 0o600)
}

func whyBehind(local ltx.TXID, stale bool, maxLocal ltx.TXID) string {
	switch {
	case stale:
		return "its Litestream folder belongs to an earlier database file"
	case local == 0 && maxLocal == 0:
		return "a new, emptied, restored or promoted database"
	default:
		return "an older copy"
	}
}

// readGeneration reads the database's id (empty when it has none: not an
// smsgw database, or one from before generations) and whether it was
// created by a version that writes markers (fresh).
func readGeneration(ctx context.Context, path string) (dbID string, fresh bool) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return "", false
	}
	defer db.Close()
	var created, first sql.NullInt64
	err = db.QueryRowContext(ctx, `select e.db_id, m.applied_at, (select min(applied_at) from migrations)
		from id_epoch e left join migrations m on m.name = 'migrations/0013_ids.sql'`).Scan(&dbID, &created, &first)
	if err != nil {
		return "", false
	}
	// Created in the same start as the migration that brought markers.
	return dbID, created.Valid && first.Valid && created.Int64-first.Int64 < 60_000
}

// replicaMaxTXID is the last transaction the replica holds, over every
// level (old level-0 files go once compacted).
func replicaMaxTXID(ctx context.Context, client litestream.ReplicaClient) (ltx.TXID, error) {
	var max ltx.TXID
	for _, level := range []int{0, 1, 2, 3, litestream.SnapshotLevel} {
		itr, err := client.LTXFiles(ctx, level, 0, false)
		if err != nil {
			return 0, err
		}
		for itr.Next() {
			if it := itr.Item(); it.MaxTXID > max {
				max = it.MaxTXID
			}
		}
		if err := itr.Close(); err != nil {
			return 0, err
		}
	}
	return max, nil
}
