package store

import (
	"context"
	"database/sql"
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
		for i := range receipts {
			if err := db.applyReceipt(ctx, tx, &receipts[i]); err != nil {
				return err
			}
		}
		return nil
	})
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
	var stat string
	var attempt int
	err := tx.QueryRowContext(ctx, `select message_id, dlr_stat, attempt from smsc_ids where channel_id = ? and smsc_id = ?`,
		r.ChannelID, r.SMSCID).Scan(&msgID, &stat, &attempt)
	if errors.Is(err, sql.ErrNoRows) {
		// The submit result is not stored yet (or never will be): keep the
		// receipt until it is.
		_, err := tx.ExecContext(ctx, `insert into early_receipts (channel_id, smsc_id, stat, err, received_at) values (?, ?, ?, ?, ?)
			on conflict do nothing`, r.ChannelID, r.SMSCID, r.Stat, r.Err, ms(r.At))
		return err
	} else if err != nil {
		return err
	} else if stat != "" {
		return nil // a repeated receipt
	}
	if _, err := tx.ExecContext(ctx, `update smsc_ids set dlr_stat = ? where channel_id = ? and smsc_id = ?`,
		r.Stat, r.ChannelID, r.SMSCID); err != nil {
		return err
	}
	if r.Delivered() {
		_, err = tx.ExecContext(ctx, `update messages set parts_delivered = parts_delivered + 1,
				status = case when parts_delivered + 1 >= segments then 'delivered' else status end,
				done_at = case when parts_delivered + 1 >= segments then ? else done_at end
			where id = ? and status = 'submitted' and attempts = ?`, ms(r.At), msgID, attempt)
		return err
	}
	code := r.Stat + ":" + r.Err
	if resent, err := db.resendUndelivered(ctx, tx, r.ChannelID, msgID, attempt, code); err != nil || resent {
		return err
	}
	status := app.StatusUndelivered
	if r.Stat == "EXPIRED" {
		status = app.StatusExpired
	}
	_, err = tx.ExecContext(ctx, `update messages set status = ?, error_code = ?, done_at = ? where id = ? and status = 'submitted' and attempts = ?`,
		string(status), code, ms(r.At), msgID, attempt)
	return err
}

// resendUndelivered queues a message again, once, when the channel that sent
// it is set to resend undelivered messages. Its channel_id stays, so the
// engine picks another channel.
func (db *DB) resendUndelivered(ctx context.Context, tx *sql.Tx, channelID, msgID int64, attempt int, code string) (bool, error) {
	var resend bool
	err := tx.QueryRowContext(ctx, `select resend_undelivered from channels where id = ?`, channelID).Scan(&resend)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !resend {
		return false, nil
	} else if err != nil {
		return false, err
	}
	r, err := tx.ExecContext(ctx, `update messages set status = 'queued', attempts = attempts + 1, resent = 1, parts_delivered = 0, error_code = ?
		where id = ? and status = 'submitted' and attempts = ? and resent = 0`, code, msgID, attempt)
	if err != nil {
		return false, err
	} else if n, _ := r.RowsAffected(); n == 0 {
		return false, nil // resent once already: this receipt is final
	}
	return true, db.enqueue(ctx, tx, jobBody{IDs: []int64{msgID}}, 0)
}
