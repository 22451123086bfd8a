package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"maragu.dev/goqite"

	"smsgw/app"
)

const (
	// jobTimeout is how long a claimed job stays invisible. The engine
	// finishes or requeues every message of a job well within it; after a
	// crash, resume makes claimed jobs visible again at once.
	jobTimeout = 10 * time.Minute
	// maxReceive is how often a job may be claimed before it is a dead letter.
	maxReceive = 20
)

// jobBody is a queue job's payload: a range of consecutive message ids (a
// fresh batch) or a list of ids (retries).
type jobBody struct {
	From int64   `json:"f,omitempty"`
	To   int64   `json:"t,omitempty"`
	IDs  []int64 `json:"ids,omitempty"`
}

// where returns the SQL condition selecting the job's messages.
func (b jobBody) where() (string, []any) {
	if len(b.IDs) > 0 {
		args := make([]any, len(b.IDs))
		for i, id := range b.IDs {
			args[i] = id
		}
		return `m.id in (` + strings.TrimSuffix(strings.Repeat("?,", len(b.IDs)), ",") + `)`, args
	}
	return `m.id between ? and ?`, []any{b.From, b.To}
}

// Notify tells the engine that new work is queued, so it need not wait for
// its next poll.
func (db *DB) Notify() {
	select {
	case db.notify <- struct{}{}:
	default:
	}
}

// Notifications delivers a value after new work was queued.
func (db *DB) Notifications() <-chan struct{} { return db.notify }

// HasWork reports whether a job is ready to claim, from the read pool, so an
// idle engine polls without writing.
func (db *DB) HasWork(ctx context.Context) (bool, error) {
	if err := db.enter(); err != nil {
		return false, err
	}
	defer db.leave()
	var ok bool
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
	err := db.rdb.QueryRowContext(ctx, `select exists (select 1 from goqite where queue = ? and timeout <= ? and received < ?)`,
		sendQueue, now, maxReceive).Scan(&ok)
	return ok, err
}

// Claim takes up to max ready jobs, loads their sendable messages (accepted
// or queued) and marks them submitting. A message in two ready jobs (a retry
// job beside its first job, after a crash) is claimed once: the second finds
// it submitting and leaves it.
func (db *DB) Claim(ctx context.Context, max int) ([]*app.Job, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	var jobs []*app.Job
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		jobs = jobs[:0]
		for len(jobs) < max {
			m, err := db.queue.ReceiveTx(ctx, tx)
			if err != nil {
				return err
			} else if m == nil {
				break
			}
			var body jobBody
			if err := json.Unmarshal(m.Body, &body); err != nil {
				db.log.Error("dropping unreadable queue job", "job", m.ID, "error", err)
				if err := db.queue.DeleteTx(ctx, tx, m.ID); err != nil {
					return err
				}
				continue
			}
			msgs, err := db.claimMessages(ctx, tx, body)
			if err != nil {
				return err
			}
			if len(msgs) == 0 {
				if err := db.queue.DeleteTx(ctx, tx, m.ID); err != nil {
					return err
				}
				continue
			}
			jobs = append(jobs, &app.Job{ID: string(m.ID), Messages: msgs})
		}
		return nil
	})
	return jobs, err
}

func (db *DB) claimMessages(ctx context.Context, tx *sql.Tx, body jobBody) ([]*app.Message, error) {
	where, args := body.where()
	rows, err := tx.QueryContext(ctx, `select m.id, m.batch_id, m.department_id, m.phone, m.carrier,
			coalesce(m.content, b.content), m.segments, m.status, m.ext, m.attempts, m.channel_id, m.created_at, b.send_at,
			m.concat_ref, m.parts_from
		from messages m join batches b on b.id = m.batch_id
		where `+where+` and m.status in ('accepted', 'queued') order by m.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*app.Message
	var refs map[int64][2]int64 // long messages sent in part before
	for rows.Next() {
		var m app.Message
		var carrier, status string
		var created, sendAt int64
		var ref, from sql.NullInt64
		if err := rows.Scan(&m.ID, &m.BatchID, &m.DepartmentID, &m.To, &carrier, &m.Content, &m.Segments,
			&status, &m.Ext, &m.Attempts, &m.ChannelID, &created, &sendAt, &ref, &from); err != nil {
			return nil, err
		}
		m.Carrier, m.Status, m.CreatedAt, m.SendAt = app.Carrier(carrier), app.StatusSubmitting, fromMS(created), fromMS(sendAt)
		out = append(out, &m)
		if ref.Valid {
			if refs == nil {
				refs = map[int64][2]int64{}
			}
			refs[m.ID] = [2]int64{ref.Int64, from.Int64}
		}
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return nil, err
	}
	if err := loadPartsSent(ctx, tx, out, refs); err != nil {
		return nil, err
	}
	where = strings.ReplaceAll(where, "m.id", "id")
	_, err = tx.ExecContext(ctx, `update messages set status = 'submitting', placed_on = null where `+where+` and status in ('accepted', 'queued')`, args...)
	return out, err
}

// Record stores submit outcomes, then completes the finished jobs.
func (db *DB) Record(ctx context.Context, outcomes []app.Outcome, done []string) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Early receipts are rare: look for them per part only when some wait.
		var early bool
		if err := db.queryRow(ctx, tx, qAnyEarly).Scan(&early); err != nil {
			return err
		}
		retries := map[time.Duration][]int64{}
		var submitted []*app.Outcome
		for i := range outcomes {
			o := &outcomes[i]
			switch o.Kind {
			case app.OutcomeSubmitted:
				submitted = append(submitted, o)
			case app.OutcomeRetry:
				// channel_id remembers the channel that failed, so the retry
				// prefers another.
				r, err := db.exec(ctx, tx, qRetry, o.ErrorCode, o.ChannelID, o.ChannelID, o.MessageID)
				if err != nil {
					return err
				}
				if n, _ := r.RowsAffected(); n == 1 {
					d := o.RetryAfter.Round(100 * time.Millisecond)
					retries[d] = append(retries[d], o.MessageID)
					if o.Concat != nil {
						if err := db.keepPartsSent(ctx, tx, o, early); err != nil {
							return err
						}
					}
				}
			case app.OutcomeFailed, app.OutcomeExpired:
				status := app.StatusFailed
				if o.Kind == app.OutcomeExpired {
					status = app.StatusExpired
				}
				if _, err := db.exec(ctx, tx, qFailed, string(status), o.ErrorCode, o.ChannelID, ms(o.At), o.MessageID); err != nil {
					return err
				}
			default:
				return fmt.Errorf("unknown outcome kind %d", o.Kind)
			}
		}
		if err := db.recordSubmitted(ctx, tx, submitted, early); err != nil {
			return err
		}
		for delay, ids := range retries {
			for start := 0; start < len(ids); start += jobSize {
				if err := db.enqueue(ctx, tx, jobBody{IDs: ids[start:min(start+jobSize, len(ids))]}, delay); err != nil {
					return err
				}
			}
		}
		for _, id := range done {
			if err := db.queue.DeleteTx(ctx, tx, goqite.ID(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// recordSubmitted marks messages submitted, remembers their parts' SMSC ids
// for receipt matching, and applies receipts that arrived before the result.
// An SMSC may reuse an id: the newest mapping wins. A part the SMSC took
// without giving an id cannot get a receipt; the sweep expires it. A message
// no longer submitting was recorded already (a resubmission after a crash)
// and is left alone. The whole list is two statements: per-row statements
// cost the writer three times as much.
func (db *DB) recordSubmitted(ctx context.Context, tx *sql.Tx, outcomes []*app.Outcome, early bool) error {
	if len(outcomes) == 0 {
		return nil
	}
	rows := make([][]any, len(outcomes))
	for i, o := range outcomes {
		ids := o.SMSCIDs
		if ids == nil {
			ids = []string{}
		}
		rows[i] = []any{o.MessageID, o.ChannelID, ms(o.At), ids}
	}
	list, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	// The SMSC ids first: they take the attempt from rows still submitting.
	if _, err := db.exec(ctx, tx, qSMSCIDs, list); err != nil {
		return err
	}
	if _, err := db.exec(ctx, tx, qSubmitted, list); err != nil {
		return err
	}
	for _, o := range outcomes {
		if o.Resumed {
			if err := db.countEarlierParts(ctx, tx, o); err != nil {
				return err
			}
		}
	}
	if !early {
		return nil
	}
	for _, o := range outcomes {
		for _, id := range o.SMSCIDs {
			if id == "" {
				continue
			}
			var rc app.Receipt
			var at int64
			err := tx.QueryRowContext(ctx, `delete from early_receipts where channel_id = ? and smsc_id = ? returning stat, err, received_at`,
				o.ChannelID, id).Scan(&rc.Stat, &rc.Err, &at)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return err
			}
			rc.ChannelID, rc.SMSCID, rc.At = o.ChannelID, id, fromMS(at)
			if err := db.applyReceipt(ctx, tx, &rc); err != nil {
				return err
			}
		}
	}
	return nil
}

// resume prepares the queue after a start. Jobs claimed too often (the
// messages crash the engine, say) become visible failures. Jobs claimed by
// the last process become claimable at once, their messages left submitting
// back to queued: those may or may not have reached an SMSC, and are sent
// again. Messages left submitting outside any claimed job (their job was
// completed early) get new jobs, so none stays stuck.
func (db *DB) resume(ctx context.Context) error {
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := db.failDeadJobs(ctx, tx); err != nil {
			return err
		}

		// A message handed to a hold channel may be at the SMSC: held for an
		// operator rather than sent again (at most once).
		r, err := tx.ExecContext(ctx, `update messages set status = 'held' where status = 'submitting'
			and placed_on in (select id from channels where on_crash = 'hold')`)
		if err != nil {
			return err
		}
		held, _ := r.RowsAffected()
		claimed, err := jobBodies(ctx, tx, `received > 0`)
		if err != nil {
			return err
		}
		resent := int64(0)
		for _, body := range claimed {
			where, args := body.where()
			r, err := tx.ExecContext(ctx, `update messages set status = 'queued', attempts = attempts + 1
				where `+strings.ReplaceAll(where, "m.id", "id")+` and status = 'submitting'`, args...)
			if err != nil {
				return err
			}
			n, _ := r.RowsAffected()
			resent += n
		}
		now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")
		if _, err := tx.ExecContext(ctx, `update goqite set timeout = ? where queue = ? and received > 0 and timeout > ?`,
			now, sendQueue, now); err != nil {
			return err
		}

		orphans, err := submittingIDs(ctx, tx)
		if err != nil {
			return err
		}
		for start := 0; start < len(orphans); start += jobSize {
			chunk := jobBody{IDs: orphans[start:min(start+jobSize, len(orphans))]}
			where, args := chunk.where()
			if _, err := tx.ExecContext(ctx, `update messages set status = 'queued', attempts = attempts + 1
				where `+strings.ReplaceAll(where, "m.id", "id"), args...); err != nil {
				return err
			}
			if err := db.enqueue(ctx, tx, chunk, 0); err != nil {
				return err
			}
		}
		if len(claimed) > 0 || len(orphans) > 0 || held > 0 {
			db.log.Info("resuming the last run's work", "jobs", len(claimed), "messages_resent", resent+int64(len(orphans)), "messages_held", held)
		}
		return nil
	})
}

// jobBodies returns the send jobs matching cond (a condition on goqite's
// columns), by job id. Unreadable bodies are skipped: Claim drops them.
func jobBodies(ctx context.Context, tx *sql.Tx, cond string, args ...any) (map[string]jobBody, error) {
	rows, err := tx.QueryContext(ctx, `select id, body from goqite where queue = ? and `+cond, append([]any{sendQueue}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]jobBody{}
	for rows.Next() {
		var id string
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		var body jobBody
		if json.Unmarshal(raw, &body) == nil {
			out[id] = body
		}
	}
	return out, rows.Err()
}

// submittingIDs lists the messages in status submitting (a partial index).
func submittingIDs(ctx context.Context, tx *sql.Tx) ([]int64, error) {
	return selectColumn[int64](ctx, tx, `select id from messages where status = 'submitting' order by id`)
}

// failDeadJobs turns jobs claimed too often into visible failures: their
// messages fail with EDEADLETTER and the jobs go.
func (db *DB) failDeadJobs(ctx context.Context, tx *sql.Tx) error {
	dead, err := jobBodies(ctx, tx, `received >= ?`, maxReceive)
	if err != nil {
		return err
	}
	for id, body := range dead {
		where, args := body.where()
		if _, err := tx.ExecContext(ctx, `update messages set status = 'failed', error_code = ?, done_at = ?
			where `+strings.ReplaceAll(where, "m.id", "id")+` and status in ('accepted', 'queued', 'submitting')`,
			append([]any{app.EDEADLETTER, ms(db.now())}, args...)...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `delete from goqite where id = ?`, id); err != nil {
			return err
		}
		db.log.Error("queue job claimed too often: its messages are marked failed (EDEADLETTER)", "job", id)
	}
	return nil
}
