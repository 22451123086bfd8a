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
// that part's error. A repeated receipt, or one for a message already final,
// changes nothing.
func (db *DB) applyReceipt(ctx context.Context, tx *sql.Tx, r *app.Receipt) error {
	if !r.Final() {
		return nil
	}
	var msgID int64
	var stat string
	err := tx.QueryRowContext(ctx, `select message_id, dlr_stat from smsc_ids where channel_id = ? and smsc_id = ?`,
		r.ChannelID, r.SMSCID).Scan(&msgID, &stat)
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
			where id = ? and status = 'submitted'`, ms(r.At), msgID)
		return err
	}
	status := app.StatusUndelivered
	if r.Stat == "EXPIRED" {
		status = app.StatusExpired
	}
	_, err = tx.ExecContext(ctx, `update messages set status = ?, error_code = ?, done_at = ? where id = ? and status = 'submitted'`,
		string(status), r.Stat+":"+r.Err, ms(r.At), msgID)
	return err
}
