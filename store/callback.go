package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"smsgw/app"
)

// reviewNotice is the body of a review callback.
type reviewNotice struct {
	Event      string `json:"event"`
	ID         string `json:"id"`
	Name       string `json:"name"`
	Version    int    `json:"version,omitempty"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
	ReviewedAt string `json:"reviewed_at"`
}

// owedCallback queues a review result for the app that submitted the
// record, if it has a callback URL and a secret to sign with (apps made
// before secrets were kept sealed have none until rotated), inside the
// review's transaction.
func (db *DB) owedCallback(ctx context.Context, tx *sql.Tx, apiKeyID int64, n reviewNotice) error {
	if apiKeyID == 0 {
		return nil
	}
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	now := ms(db.now())
	id, err := db.nextID(ctx, tx, "callbacks")
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `insert into callbacks (id, api_key_id, event, body, next_at, created_at)
		select ?, id, ?, ?, ?, ? from api_keys where id = ? and callback_url != '' and secret_enc != ''`, id, n.Event, string(body), now, now, apiKeyID)
	return err
}

// callbacksPerApp caps one app's share of a DueCallbacks answer.
const callbacksPerApp = 20

// DueCallbacks returns callbacks whose time has come, with their app's URL
// and secret, oldest first.
func (db *DB) DueCallbacks(ctx context.Context, limit int) ([]*app.Callback, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	// At most callbacksPerApp of each app, so that one app's backlog does
	// not fill the answer while others wait.
	rows, err := db.rdb.QueryContext(ctx, `select id, api_key_id, callback_url, secret_enc, event, body, attempts from (
		select c.id, c.api_key_id, k.callback_url, k.secret_enc, c.event, c.body, c.attempts, c.next_at,
			row_number() over (partition by c.api_key_id order by c.next_at, c.id) as n
		from callbacks c join api_keys k on k.id = c.api_key_id
		where c.next_at > 0 and c.next_at <= ? and k.callback_url != '')
		where n <= ? order by next_at, id limit ?`, ms(db.now()), callbacksPerApp, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*app.Callback
	for rows.Next() {
		var c app.Callback
		var sealed, body string
		if err := rows.Scan(&c.ID, &c.APIKeyID, &c.URL, &sealed, &c.Event, &body, &c.Attempts); err != nil {
			return nil, err
		}
		c.Body = []byte(body)
		if c.Secret, err = db.box.open(sealed); err != nil {
			return nil, err
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}

// CallbackDone records an attempt at a callback. A failure puts off the
// app's other pending callbacks until the failed one's next attempt.
func (db *DB) CallbackDone(ctx context.Context, id int64, failure error) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if failure == nil {
			_, err := tx.ExecContext(ctx, `delete from callbacks where id = ?`, id)
			return err
		}
		var attempts int
		if err := tx.QueryRowContext(ctx, `select attempts + 1 from callbacks where id = ?`, id).Scan(&attempts); err != nil {
			return err
		}
		next := int64(0) // given up
		if attempts < app.MaxCallbackAttempts {
			next = ms(db.now().Add(app.CallbackBackoff(attempts)))
		}
		msg := failure.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		if _, err := tx.ExecContext(ctx, `update callbacks set attempts = ?, next_at = ?, last_error = ? where id = ?`, attempts, next, msg, id); err != nil || next == 0 {
			return err
		}
		// The app's receiver is failing: its other callbacks wait as long
		// (they keep their own attempts).
		_, err := tx.ExecContext(ctx, `update callbacks set next_at = ? where api_key_id = (select api_key_id from callbacks where id = ?)
			and id != ? and next_at > 0 and next_at < ?`, next, id, id, next)
		return err
	})
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
