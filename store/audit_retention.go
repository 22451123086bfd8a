package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// The audit log is kept AuditRetention (365 days by default: China's
// Cybersecurity Law asks for at least six months of network logs), then
// pruned oldest first. Pruning keeps the chain verifiable: a checkpoint
// row records the first id kept and the hash it chains from, signed with
// the audit key, and verify starts there. Forging a checkpoint, to hide
// entries deleted at the head, needs the key.

// checkpoint is where the kept log starts.
type checkpoint struct {
	FirstID  int64
	PrevHash string
	Sig      string
}

func (c *checkpoint) sign(key []byte) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "checkpoint\x00%d\x00%s", c.FirstID, c.PrevHash)
	return hex.EncodeToString(m.Sum(nil))
}

// loadCheckpoint returns the retention checkpoint, nil if the log was
// never pruned.
func loadCheckpoint(ctx context.Context, q querier) (*checkpoint, error) {
	var c checkpoint
	err := q.QueryRowContext(ctx, `select first_id, prev_hash, sig from audit_checkpoint where id = 1`).Scan(&c.FirstID, &c.PrevHash, &c.Sig)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &c, err
}

// pruneAudit deletes up to pruneStep of the oldest entries older than the
// audit retention, moving the checkpoint past them. It stops at the first
// entry still within the retention, so the log stays one unbroken run.
func (db *DB) pruneAudit(ctx context.Context, tx *sql.Tx, now time.Time) (int64, error) {
	cutoff := ms(now.Add(-db.opts.AuditRetention))
	rows, err := tx.QueryContext(ctx, `select id, at, hash from audit_log order by id limit ?`, pruneStep)
	if err != nil {
		return 0, err
	}
	var last, n int64
	var hash string
	for rows.Next() {
		var id, at int64
		var h string
		if err := rows.Scan(&id, &at, &h); err != nil {
			rows.Close()
			return 0, err
		}
		if at >= cutoff {
			break
		}
		last, hash, n = id, h, n+1
	}
	rows.Close()
	if err := rows.Err(); err != nil || n == 0 {
		return 0, err
	}
	c := &checkpoint{FirstID: last + 1, PrevHash: hash}
	c.Sig = c.sign(db.audit.key)
	if _, err := tx.ExecContext(ctx, `insert into audit_checkpoint (id, first_id, prev_hash, at, sig) values (1, ?, ?, ?, ?)
		on conflict (id) do update set first_id = excluded.first_id, prev_hash = excluded.prev_hash, at = excluded.at, sig = excluded.sig`,
		c.FirstID, c.PrevHash, ms(now), c.Sig); err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `delete from audit_log where id <= ?`, last)
	return n, err
}
