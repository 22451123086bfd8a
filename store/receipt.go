package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"smsgw/app"
)

// ApplyReceipts sets final statuses from delivery receipts, in one group commit.
func (db *DB) ApplyReceipts(ctx context.Context, receipts []app.Receipt) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.applyReceipts(ctx, tx, receipts)
	})
}

// applyReceipts applies a batch of receipts with a few set-wide statements:
// the common case (a first receipt for a known part) costs no statement of
// its own. Receipts that are not the common case, and receipts that say a
// part failed, go one by one through applyReceipt.
func (db *DB) applyReceipts(ctx context.Context, tx *sql.Tx, receipts []app.Receipt) error {
	type key struct {
		ch  int64
		sid string
	}
	type target struct {
		msgID   int64
		attempt int
		stat    string
	}
	var list [][]any
	for i := range receipts {
		if r := &receipts[i]; r.Final() {
			list = append(list, []any{r.ChannelID, r.SMSCID, r.Stat})
		}
	}
	if len(list) == 0 {
		return nil
	}
	arg, err := json.Marshal(list)
	if err != nil {
		return err
	}
	rows, err := tx.StmtContext(ctx, db.stmts[qReceiptsClaim]).QueryContext(ctx, arg)
	if err != nil {
		return err
	}
	claimed := map[key]target{}
	for rows.Next() {
		var k key
		var t target
		if err := rows.Scan(&k.ch, &k.sid, &t.msgID, &t.attempt, &t.stat); err != nil {
			rows.Close()
			return err
		}
		claimed[k] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	type part struct {
		msgID   int64
		attempt int
	}
	delivered := map[part][2]int64{} // parts delivered, latest time
	for i := range receipts {
		r := &receipts[i]
		if !r.Final() {
			continue
		}
		k := key{r.ChannelID, r.SMSCID}
		t, ok := claimed[k]
		switch {
		case !ok:
			// A repeat, or ahead of its submit result.
			if err := db.applyReceipt(ctx, tx, r); err != nil {
				return err
			}
		case t.stat != r.Stat:
			// Two different receipts for one part in one batch: the
			// other was stored; this one is the repeat.
		case r.Delivered():
			delete(claimed, k)
			p := part{t.msgID, t.attempt}
			d := delivered[p]
			delivered[p] = [2]int64{d[0] + 1, max(d[1], ms(r.At))}
		default:
			delete(claimed, k)
			if err := db.partFailed(ctx, tx, r, t.msgID, t.attempt); err != nil {
				return err
			}
		}
	}
	if len(delivered) == 0 {
		return nil
	}
	parts := make([][]any, 0, len(delivered))
	for p, d := range delivered {
		parts = append(parts, []any{p.msgID, p.attempt, d[0], d[1]})
	}
	if arg, err = json.Marshal(parts); err != nil {
		return err
	}
	_, err = db.exec(ctx, tx, qPartsDelivered, arg)
	return err
}

// applyReceipt applies one part's receipt. A message is delivered when all its
// parts are; the first part that fails makes it undelivered (or expired) with
// that part's error, unless its channel resends undelivered messages once
// through another channel (失败补发). A repeated receipt, one for an earlier
// attempt, or one for a message already final, changes nothing.
func (db *DB) applyReceipt(ctx context.Context, tx *sql.Tx, r *app.Receipt) error {
	if !r.Final() {
		return nil
	}
	var msgID int64
	var attempt int
	err := db.queryRow(ctx, tx, qReceiptClaim, r.Stat, r.ChannelID, r.SMSCID).Scan(&msgID, &attempt)
	if errors.Is(err, sql.ErrNoRows) {
		var known bool
		if err := db.queryRow(ctx, tx, qReceiptKnown, r.ChannelID, r.SMSCID).Scan(&known); err != nil || known {
			return err // known: a repeated receipt
		}
		// The submit result is not stored yet (or never will be): keep the
		// receipt until it is.
		_, err := tx.ExecContext(ctx, `insert into early_receipts (channel_id, smsc_id, stat, err, received_at) values (?, ?, ?, ?, ?)
			on conflict do nothing`, r.ChannelID, r.SMSCID, r.Stat, r.Err, ms(r.At))
		return err
	} else if err != nil {
		return err
	}
	if r.Delivered() {
		_, err = db.exec(ctx, tx, qPartDelivered, ms(r.At), msgID, attempt)
		return err
	}
	return db.partFailed(ctx, tx, r, msgID, attempt)
}

// partFailed applies a receipt that says a part was not delivered: the
// message is undelivered (or expired), unless its channel resends.
func (db *DB) partFailed(ctx context.Context, tx *sql.Tx, r *app.Receipt, msgID int64, attempt int) error {
	code := r.Stat + ":" + r.Err
	if resent, err := db.resendUndelivered(ctx, tx, r.ChannelID, msgID, attempt, code); err != nil || resent {
		return err
	}
	status := app.StatusUndelivered
	if r.Stat == "EXPIRED" {
		status = app.StatusExpired
	}
	_, err := db.exec(ctx, tx, qNotDelivered, string(status), code, ms(r.At), msgID, attempt)
	return err
}

// resendUndelivered queues a message again, once, when the channel that sent
// it is set to resend undelivered messages. Its channel_id stays, so the
// engine picks another channel. The resend is a new delivery of the whole
// message: every part goes again, under a new concatenation reference
// (concat_ref cleared), as the carrier gave up on the first delivery's parts
// and a handset must not join stale fragments of it with the new ones.
func (db *DB) resendUndelivered(ctx context.Context, tx *sql.Tx, channelID, msgID int64, attempt int, code string) (bool, error) {
	var resend bool
	err := tx.QueryRowContext(ctx, `select resend_undelivered from channels where id = ?`, channelID).Scan(&resend)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !resend {
		return false, nil
	} else if err != nil {
		return false, err
	}
	r, err := tx.ExecContext(ctx, `update messages set status = 'queued', attempts = attempts + 1, resent = 1, parts_delivered = 0, error_code = ?,
		concat_ref = null, parts_from = null
		where id = ? and status = 'submitted' and attempts = ? and resent = 0`, code, msgID, attempt)
	if err != nil {
		return false, err
	} else if n, _ := r.RowsAffected(); n == 0 {
		return false, nil // resent once already: this receipt is final
	}
	// A new delivery: what reconciliation marked of the old one no longer
	// holds (it would keep the new one from being asked about).
	if _, err := tx.ExecContext(ctx, `delete from unreconciled where message_id = ?`, msgID); err != nil {
		return false, err
	}
	return true, db.enqueue(ctx, tx, jobBody{IDs: []int64{msgID}}, 0)
}
