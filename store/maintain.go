package store

import (
	"context"
	"database/sql"
	"time"

	"smsgw/app"
)

// Maintain does the periodic upkeep of the queue and the message table:
// submitted messages whose receipt never came expire (ENORECEIPT) after
// ReceiptTimeout, receipts that never matched a message are dropped after a
// week, expired nonces of signed requests go, and jobs claimed too often
// become visible failures. Then old records are pruned, in small steps.
func (db *DB) Maintain(ctx context.Context) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if err := db.upkeep(ctx); err != nil {
		return err
	}
	_, err := db.prune(ctx)
	return err
}

func (db *DB) upkeep(ctx context.Context) error {
	now := db.now()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `update messages set status = 'expired', error_code = ?, done_at = ?
			where status = 'submitted' and submitted_at < ?`, app.ENORECEIPT, ms(now), ms(now.Add(-db.opts.ReceiptTimeout)))
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n > 0 {
			db.log.Warn("messages expired without a receipt", "messages", n, "after", db.opts.ReceiptTimeout)
		}
		if _, err := tx.ExecContext(ctx, `delete from early_receipts where received_at < ?`, ms(now.Add(-7*24*time.Hour))); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `delete from nonces where expires_at < ?`, ms(now)); err != nil {
			return err
		}
		return db.failDeadJobs(ctx, tx)
	})
}
