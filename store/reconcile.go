package store

import (
	"context"
	"database/sql"
	"time"

	"smsgw/app"
)

// Unconfirmed lists messages still submitted before `before`, after
// afterID, with their parts that have no receipt yet, skipping those
// marked unreconciled. It reads the replica-safe reader: a stale answer at
// worst asks about a part whose receipt just came, which changes nothing.
func (db *DB) Unconfirmed(ctx context.Context, before time.Time, afterID int64, limit int) ([]app.Unconfirmed, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	rows, err := db.rdb.QueryContext(ctx, `select m.id, coalesce(c.source_addr, '') || m.ext, s.channel_id, s.smsc_id
		from (select id, ext from messages
			where status = 'submitted' and submitted_at < ? and id > ?
			and id not in (select message_id from unreconciled)
			order by id limit ?) m
		join smsc_ids s on s.message_id = m.id and s.dlr_stat = ''
		left join channels c on c.id = s.channel_id
		order by m.id, s.part`, ms(before), afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.Unconfirmed
	for rows.Next() {
		var id int64
		var p app.UnconfirmedPart
		if err := rows.Scan(&id, &p.Source, &p.ChannelID, &p.SMSCID); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].MessageID != id {
			out = append(out, app.Unconfirmed{MessageID: id})
		}
		u := &out[len(out)-1]
		u.Parts = append(u.Parts, p)
	}
	return out, rows.Err()
}

// MarkUnreconciled records that messages await reconciliation, and why.
func (db *DB) MarkUnreconciled(ctx context.Context, ids []int64, reason string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	now := ms(db.now())
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `insert into unreconciled (message_id, reason, marked_at) values (?, ?, ?)
				on conflict (message_id) do update set reason = excluded.reason`, id, reason, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// Unreconciled counts the messages still submitted that await
// reconciliation.
func (db *DB) Unreconciled(ctx context.Context) (int, error) {
	if err := db.enter(); err != nil {
		return 0, err
	}
	defer db.leave()
	var n int
	err := db.rdb.QueryRowContext(ctx, `select count(*) from unreconciled u join messages m on m.id = u.message_id
		where m.status = 'submitted'`).Scan(&n)
	return n, err
}
