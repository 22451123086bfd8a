package store

import (
	"context"
	"database/sql"
	"strings"

	"smsgw/app"
)

// Placed marks messages as handed to hold channel ch, in one group-commit
// write, before their parts go: a crash after this holds them (resume).
func (db *DB) Placed(ctx context.Context, ch int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `update messages set placed_on = ? where id in (`+marks(len(ids))+`) and status = 'submitting'`,
			append([]any{ch}, int64s(ids)...)...)
		return err
	})
}

// HeldCounts counts the held messages by the channel they were handed to.
func (db *DB) HeldCounts(ctx context.Context) (map[int64]int, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	rows, err := db.rdb.QueryContext(ctx, `select placed_on, count(*) from messages where status = 'held' group by placed_on`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id sql.NullInt64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id.Int64] += n
	}
	return out, rows.Err()
}

// FindHeld lists up to limit message ids held on channel ch, oldest first.
func (db *DB) FindHeld(ctx context.Context, ch int64, limit int) ([]int64, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	return selectColumn[int64](ctx, db.rdb, `select id from messages where status = 'held' and placed_on = ? order by id limit ?`, ch, limit)
}

// DecideHeld releases held messages of channel ch (queued again, with new
// queue jobs, in the same transaction) or fails them (EHELDFAILED); all of
// them when ids is empty. It returns how many it changed.
func (db *DB) DecideHeld(ctx context.Context, ch int64, release bool, ids []int64) (int, error) {
	if err := db.enter(); err != nil {
		return 0, err
	}
	defer db.leave()
	n := 0
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n = 0
		cond, args := `status = 'held' and placed_on = ?`, []any{ch}
		if len(ids) > 0 {
			cond += ` and id in (` + marks(len(ids)) + `)`
			args = append(args, int64s(ids)...)
		}
		rows, err := tx.QueryContext(ctx, `select id from messages where `+cond+` order by id`, args...)
		if err != nil {
			return err
		}
		var list []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			list = append(list, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for start := 0; start < len(list); start += jobSize {
			chunk := jobBody{IDs: list[start:min(start+jobSize, len(list))]}
			where, cargs := chunk.where()
			where = strings.ReplaceAll(where, "m.id", "id") + ` and status = 'held'`
			if release {
				if _, err := tx.ExecContext(ctx, `update messages set status = 'queued', attempts = attempts + 1 where `+where, cargs...); err != nil {
					return err
				}
				if err := db.enqueue(ctx, tx, chunk, 0); err != nil {
					return err
				}
			} else if _, err := tx.ExecContext(ctx, `update messages set status = 'failed', error_code = ?, done_at = ? where `+where,
				append([]any{app.EHELDFAILED, ms(db.now())}, cargs...)...); err != nil {
				return err
			}
		}
		n = len(list)
		return nil
	})
	if err == nil && release && n > 0 {
		db.Notify()
	}
	return n, err
}

func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func int64s(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
