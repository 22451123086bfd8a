package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"smsgw/app"
)

// Pruning works in steps of pruneStep rows, each its own short transaction
// through the writer, so sending waits at most one step; one upkeep pass
// takes at most pruneSteps steps of each kind (the rest waits for the next
// pass, a minute later: 25,000 rows a minute is five times a busy day's
// inflow).
const (
	pruneStep  = 500
	pruneSteps = 50
	// smscIDLinger is how long the SMSC ids of a final message are kept,
	// for receipts that come late or twice.
	smscIDLinger = 7 * 24 * time.Hour
)

// PruneStats counts what one pass removed.
type PruneStats struct {
	SMSCIDs, Messages, Batches, Replies, Audit int64
}

// prune removes what has outlived its use: SMSC ids a week after their
// message is final, and messages, emptied batches and replies older than
// the retention period, and audit entries older than the audit retention
// (audit_retention.go).
func (db *DB) prune(ctx context.Context) (PruneStats, error) {
	var st PruneStats
	now := db.now()
	steps := []struct {
		n    *int64
		step func(context.Context, *sql.Tx, time.Time) (int64, error)
	}{
		{&st.SMSCIDs, db.pruneSMSCIDs},
		{&st.Messages, db.pruneMessages},
		{&st.Batches, db.pruneBatches},
		{&st.Replies, db.pruneReplies},
		{&st.Audit, db.pruneAudit},
	}
	for _, s := range steps {
		for range pruneSteps {
			var n int64
			err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
				n, err = s.step(ctx, tx, now)
				return err
			})
			if err != nil {
				return st, err
			}
			*s.n += n
			if n < pruneStep {
				break
			}
		}
	}
	if st != (PruneStats{}) {
		db.log.Info("pruned old records", "smsc_ids", st.SMSCIDs, "messages", st.Messages, "batches", st.Batches,
			"replies", st.Replies, "audit", st.Audit, "retention_days", int(db.opts.Retention.Hours()/24))
	}
	return st, nil
}

// pruneSMSCIDs moves a cursor along the message ids: every message up to it
// has been final for smscIDLinger. It stops at the first that has not.
func (db *DB) pruneSMSCIDs(ctx context.Context, tx *sql.Tx, now time.Time) (int64, error) {
	cursor, err := upkeepValue(ctx, tx, "smsc_ids_pruned_to")
	if err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, `select id, status, done_at from messages where id > ? order by id limit ?`, cursor, pruneStep)
	if err != nil {
		return 0, err
	}
	last, seen := cursor, 0
	for rows.Next() {
		var id, done int64
		var s app.Status
		if err := rows.Scan(&id, &s, &done); err != nil {
			rows.Close()
			return 0, err
		}
		if !s.Final() || done == 0 || done > ms(now.Add(-smscIDLinger)) {
			break
		}
		last, seen = id, seen+1
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if last == cursor {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, `delete from smsc_ids where message_id > ? and message_id <= ?`, cursor, last); err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `insert into upkeep (name, value) values ('smsc_ids_pruned_to', ?)
		on conflict (name) do update set value = excluded.value`, last)
	return int64(seen), err
}

// pruneMessages deletes the oldest final messages created before the
// retention period, with their SMSC ids.
func (db *DB) pruneMessages(ctx context.Context, tx *sql.Tx, now time.Time) (int64, error) {
	cutoff := ms(now.Add(-db.opts.Retention))
	rows, err := tx.QueryContext(ctx, `select id, status, created_at from messages where created_at < ? order by id limit ?`, cutoff, pruneStep)
	if err != nil {
		return 0, err
	}
	var ids []any
	var newest int64
	for rows.Next() {
		var id, created int64
		var s app.Status
		if err := rows.Scan(&id, &s, &created); err != nil {
			rows.Close()
			return 0, err
		}
		if s.Final() { // a message scheduled far ahead stays
			ids = append(ids, id)
			newest = max(newest, created)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return 0, err
	}
	in := "(" + strings.Repeat("?,", len(ids)-1) + "?)"
	if _, err := tx.ExecContext(ctx, `delete from smsc_ids where message_id in `+in, ids...); err != nil {
		return 0, err
	}
	r, err := tx.ExecContext(ctx, `delete from messages where id in `+in, ids...)
	if err != nil {
		return 0, err
	}
	// The statistics keep these messages' counters (a delete changes none);
	// a rebuild must not recount their days from what is left.
	if _, err := tx.ExecContext(ctx, `insert into upkeep (name, value) values (?, ?)
		on conflict (name) do update set value = max(value, excluded.value)`, statsPrunedTo, newest); err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// pruneBatches deletes batches older than the retention period that no
// message refers to any more.
func (db *DB) pruneBatches(ctx context.Context, tx *sql.Tx, now time.Time) (int64, error) {
	r, err := tx.ExecContext(ctx, `delete from batches where id in (
		select id from batches where id < coalesce((select min(batch_id) from messages), 1 << 62) and created_at < ?
		order by id limit ?)`, ms(now.Add(-db.opts.Retention)), pruneStep)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func (db *DB) pruneReplies(ctx context.Context, tx *sql.Tx, now time.Time) (int64, error) {
	r, err := tx.ExecContext(ctx, `delete from replies where id in (
		select id from replies where received_at < ? order by id limit ?)`, ms(now.Add(-db.opts.Retention)), pruneStep)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func upkeepValue(ctx context.Context, tx *sql.Tx, name string) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `select value from upkeep where name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}
