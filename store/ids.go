package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// An id handed out (message, batch, channel, reply, ...) is never handed
// out again: not after a delete, a restore or a promote. SQLite alone gives
// max(id) + 1, which reissues the ids of a deleted top row and, worse, of
// the tail a restored or promoted copy lacks (the last second or so of the
// old primary, whose ids integrators already hold). So:
//
//   - every insert of these tables names its id, from nextID:
//     max(max(id) + 1, id_floors.next);
//   - a delete at the top moves id_floors.next past it (a trigger);
//   - a restore or a promote starts a new epoch (startEpoch): each table's
//     next id jumps to a multiple of 2^32 at least 2^31 above anything the
//     copy holds. The tail a copy lacks is seconds of traffic, far below
//     2^31 ids, so the new ids cannot meet the lost ones.
//
// AUTOINCREMENT was not used: adding it means rebuilding each table (hours
// and twice the disk for a large messages table), and it would not survive
// a lost tail anyway.

// idTables are the tables whose ids leave the process, in id_floors.
var idTables = []string{"messages", "batches", "replies", "channels", "users", "departments",
	"api_keys", "callbacks", "signatures", "templates", "contacts", "contact_groups", "contact_imports", "ledger"}

// epochBlock is the size of an id epoch; epochGap the least distance from
// a copy's highest id to the next epoch's first.
const (
	epochBlock = int64(1) << 32
	epochGap   = int64(1) << 31
)

// nextIDQuery answers a table's next id. The table name is one of idTables,
// never input.
func nextIDQuery(table string) string {
	return `select max(coalesce((select max(id) from ` + table + `), 0) + 1,
		coalesce((select next from id_floors where name = '` + table + `'), 1))`
}

var (
	qNextMessageID = nextIDQuery("messages")
	qNextBatchID   = nextIDQuery("batches")
)

// nextID is the id the next row of table gets, inside the writer's
// transaction. Rows inserted together in one statement take consecutive
// ids from it.
func (db *DB) nextID(ctx context.Context, tx *sql.Tx, table string) (int64, error) {
	q := nextIDQuery(table)
	switch table {
	case "messages":
		q = qNextMessageID
	case "batches":
		q = qNextBatchID
	case "ledger":
		q = qNextLedgerID
	}
	var id int64
	if err := db.queryRow(ctx, tx, q).Scan(&id); err != nil {
		return 0, fmt.Errorf("next %s id: %w", table, err)
	}
	return id, nil
}

// Epoch is what newEpoch did.
type Epoch struct {
	Epoch int64 // how many restores and promotes this database has been through
	// NextMessageID is where message ids continue.
	NextMessageID int64
}

// epochFloor is the first id of the epoch after one holding ids up to top.
func epochFloor(top int64) int64 {
	return ((top+epochGap)/epochBlock + 1) * epochBlock
}

// startEpoch starts a new id epoch in the database file at path (a restored
// or promoted copy no server has open) and gives it a new generation id, in
// one transaction. reason is "restore" or "promote". It works on files from
// before id_floors too: it creates the tables the migration would.
func startEpoch(ctx context.Context, path, reason string) (Epoch, error) {
	var ep Epoch
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return ep, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return ep, err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`create table if not exists id_floors (name text primary key, next integer not null) without rowid`,
		`create table if not exists id_epoch (id integer primary key check (id = 1), epoch integer not null,
			db_id text not null, started_at integer not null, reason text not null)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return ep, err
		}
	}
	for _, table := range idTables {
		var exists bool
		if err := tx.QueryRowContext(ctx, `select exists (select 1 from sqlite_master where type = 'table' and name = ?)`, table).Scan(&exists); err != nil {
			return ep, err
		} else if !exists {
			continue // a database from before the table
		}
		var next int64
		if err := tx.QueryRowContext(ctx, nextIDQuery(table)).Scan(&next); err != nil {
			return ep, err
		}
		floor := epochFloor(next - 1)
		if _, err := tx.ExecContext(ctx, `insert into id_floors (name, next) values (?, ?)
			on conflict (name) do update set next = excluded.next`, table, floor); err != nil {
			return ep, err
		}
		if table == "messages" {
			ep.NextMessageID = floor
		}
	}
	raw := make([]byte, 16)
	rand.Read(raw)
	err = tx.QueryRowContext(ctx, `insert into id_epoch (id, epoch, db_id, started_at, reason) values (1, 1, ?, ?, ?)
		on conflict (id) do update set epoch = epoch + 1, db_id = excluded.db_id, started_at = excluded.started_at, reason = excluded.reason
		returning epoch`, hex.EncodeToString(raw), ms(time.Now()), reason).Scan(&ep.Epoch)
	if err != nil {
		return ep, err
	}
	if err := tx.Commit(); err != nil {
		return ep, err
	}
	// Leave one file: the caller renames or hands it over without its WAL.
	if _, err := db.ExecContext(ctx, `pragma wal_checkpoint(truncate)`); err != nil {
		return ep, err
	}
	return ep, nil
}

// ReadEpoch reads the id epoch of the database in dir, without writing:
// what restore and promote report.
func ReadEpoch(ctx context.Context, dir string) (Epoch, error) {
	var ep Epoch
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return ep, err
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `select (select epoch from id_epoch), `+strings.TrimPrefix(nextIDQuery("messages"), "select ")).Scan(&ep.Epoch, &ep.NextMessageID)
	return ep, err
}
