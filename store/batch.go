package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"smsgw/app"
)

// FindBatches lists the batches p may see, newest first, with their
// messages counted by status.
func (db *DB) FindBatches(ctx context.Context, p *app.Principal, f app.BatchFilter) ([]*app.BatchSummary, string, error) {
	if err := db.enter(); err != nil {
		return nil, "", err
	}
	defer db.leave()
	where, args := "1", []any{}
	if f.Cursor != "" {
		c, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil {
			return nil, "", app.FieldError("cursor", "无效的 cursor")
		}
		where, args = where+" and m.id < ?", append(args, c)
	}
	if !f.Since.IsZero() {
		where, args = where+" and m.created_at >= ?", append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = where+" and m.created_at < ?", append(args, ms(f.Until))
	}
	if f.Content != "" {
		where, args = where+" and instr(m.content, ?) > 0", append(args, f.Content)
	}
	if f.To != "" {
		n, err := app.NormalizeNumber(f.To)
		if err != nil {
			return nil, "", app.FieldError("to", "号码格式不正确")
		}
		where, args = where+" and m.id in (select batch_id from messages where phone = ?)", append(args, n)
	}
	if f.UserID != 0 {
		where, args = where+" and m.user_id = ?", append(args, f.UserID)
	}
	if f.Review != "" {
		where, args = where+" and m.review = ?", append(args, string(f.Review))
	}
	limit := clampLimit(f.Limit)
	list, err := db.findBatches(ctx, p, where, args, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = strconv.FormatInt(list[limit-1].ID, 10)
	}
	return list, next, nil
}

// FindBatchByID returns one batch within p's scope.
func (db *DB) FindBatchByID(ctx context.Context, p *app.Principal, id int64) (*app.BatchSummary, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	list, err := db.findBatches(ctx, p, "m.id = ?", []any{id}, 1)
	if err != nil {
		return nil, err
	} else if len(list) == 0 {
		return nil, app.Errorf(app.ENOTFOUND, "发送批次不存在 (batch %d not found)", id)
	}
	return list[0], nil
}

// findBatches reads batches (aliased m, so the message scope applies: a
// batch carries the same department, user and key) and counts their
// messages through the batch index.
func (db *DB) findBatches(ctx context.Context, p *app.Principal, where string, args []any, limit int) ([]*app.BatchSummary, error) {
	if !p.HasScope(app.ScopeQuery) {
		return nil, app.Errorf(app.EFORBIDDEN, "该应用没有查询权限 (scope query)")
	}
	scope, scopeArgs := messageScope(p)
	rows, err := db.rdb.QueryContext(ctx, `select m.id, m.department_id, coalesce(m.user_id, 0), coalesce(m.api_key_id, 0), m.content, m.ext,
			m.send_at, m.total, m.accepted, m.segments, m.rejected, m.resend_of, m.review, m.review_note, m.review_reason, m.created_at
		from batches m where `+where+` and `+scope+` order by m.id desc limit ?`, append(append(args, scopeArgs...), limit)...)
	if err != nil {
		return nil, err
	}
	var out []*app.BatchSummary
	for rows.Next() {
		b := &app.BatchSummary{Counts: map[app.Status]int{}}
		var sendAt, created int64
		var rejected, review string
		if err := rows.Scan(&b.ID, &b.DepartmentID, &b.UserID, &b.APIKeyID, &b.Content, &b.Ext, &sendAt,
			&b.Total, &b.Accepted, &b.Segments, &rejected, &b.ResendOf, &review, &b.ReviewNote, &b.ReviewReason, &created); err != nil {
			rows.Close()
			return nil, err
		}
		b.SendAt, b.CreatedAt, b.Review = fromMS(sendAt), fromMS(created), app.ReviewStatus(review)
		_ = json.Unmarshal([]byte(rejected), &b.Rejected)
		out = append(out, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, b := range out {
		if err := countStatuses(ctx, db.rdb, `select status, count(*) from messages where batch_id = ? group by status`, b.Counts, b.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CountMessagesByHour counts the messages p may see created since then, by
// status, hour by hour.
func (db *DB) CountMessagesByHour(ctx context.Context, p *app.Principal, since time.Time) ([]map[app.Status]int, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	where, args, err := db.sinceScope(ctx, p, since)
	if err != nil {
		return nil, err
	}
	out := make([]map[app.Status]int, 24)
	for i := range out {
		out[i] = map[app.Status]int{}
	}
	rows, err := db.rdb.QueryContext(ctx, `select (m.created_at - ?) / 3600000, m.status, count(*) from messages m
		where `+where+` group by 1, 2`, append([]any{ms(since)}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var h int64
		var st string
		var n int
		if err := rows.Scan(&h, &st, &n); err != nil {
			return nil, err
		}
		if h >= 0 && h < 24 {
			out[h][app.Status(st)] += n
		}
	}
	return out, rows.Err()
}

// sinceScope is the count's condition: the messages p may see,
// created since then. Message ids grow with time, so the first id of the
// period is found by bisection over the primary key and a count reads that
// period only.
func (db *DB) sinceScope(ctx context.Context, p *app.Principal, since time.Time) (string, []any, error) {
	if !p.HasScope(app.ScopeQuery) {
		return "", nil, app.Errorf(app.EFORBIDDEN, "该应用没有查询权限 (scope query)")
	}
	first, err := db.firstIDSince(ctx, since)
	if err != nil {
		return "", nil, err
	}
	scope, scopeArgs := messageScope(p)
	return `m.id >= ? and m.created_at >= ? and ` + scope, append([]any{first, ms(since)}, scopeArgs...), nil
}

func (db *DB) firstIDSince(ctx context.Context, since time.Time) (int64, error) {
	var lo, hi sql.NullInt64
	if err := db.rdb.QueryRowContext(ctx, `select min(id), max(id) from messages`).Scan(&lo, &hi); err != nil || !lo.Valid {
		return 0, err
	}
	l, h := lo.Int64, hi.Int64+1 // the answer is in [l, h]
	for l < h {
		mid := l + (h-l)/2
		var at int64
		err := db.rdb.QueryRowContext(ctx, `select created_at from messages where id >= ? order by id limit 1`, mid).Scan(&at)
		if err != nil && err != sql.ErrNoRows {
			return 0, err
		}
		if err == nil && at < ms(since) {
			l = mid + 1
		} else {
			h = mid
		}
	}
	return l, nil
}

func countStatuses(ctx context.Context, q *sql.DB, query string, into map[app.Status]int, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return err
		}
		into[app.Status(s)] += n
	}
	return rows.Err()
}

// CancelBatch cancels a scheduled batch's messages that have not gone yet.
// Their queue job finds nothing to send when it comes due.
func (db *DB) CancelBatch(ctx context.Context, p *app.Principal, id int64) (int, error) {
	if err := p.MayChange(); err != nil {
		return 0, err
	}
	if err := db.enter(); err != nil {
		return 0, err
	}
	defer db.leave()
	list, err := db.findBatches(ctx, p, "m.id = ?", []any{id}, 1)
	if err != nil {
		return 0, err
	} else if len(list) == 0 {
		return 0, app.Errorf(app.ENOTFOUND, "发送批次不存在 (batch %d not found)", id)
	}
	now := db.now()
	held := list[0].Review == app.ReviewPending
	if !held && (list[0].SendAt.IsZero() || !list[0].SendAt.After(now)) {
		return 0, app.Errorf(app.ECONFLICT, "只能取消尚未到发送时间的定时批次或待审核的批次 (not a scheduled or held batch, or already due)")
	}
	var n int64
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `update messages set status = 'cancelled', done_at = ? where batch_id = ? and status = 'accepted'`, ms(now), id)
		if err != nil {
			return err
		}
		if n, err = r.RowsAffected(); err != nil || !held {
			return err
		}
		_, err = tx.ExecContext(ctx, `update batches set review = '' where id = ? and review = 'pending'`, id)
		return err
	})
	return int(n), err
}

// ReviewBatch releases or refuses a batch held for a reviewer. Approved,
// its waiting messages are queued in the same transaction (at their
// scheduled time, if it is still ahead); rejected, they become rejected
// with EREVIEW. Either way nothing is sent twice: only messages still
// accepted move, and only while the batch is pending.
func (db *DB) ReviewBatch(ctx context.Context, p *app.Principal, id int64, r *app.Review) (*app.BatchSummary, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if !p.CanReview() {
		return nil, app.Errorf(app.EFORBIDDEN, "只有审核员（系统管理员）可以审核待发短信")
	} else if err := r.Validate(); err != nil {
		return nil, err
	}
	now := db.now()
	queued := false
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		queued = false
		var review string
		var sendAt, apiKeyID int64
		err := tx.QueryRowContext(ctx, `select review, send_at, coalesce(api_key_id, 0) from batches where id = ?`, id).Scan(&review, &sendAt, &apiKeyID)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "发送批次不存在 (batch %d not found)", id)
		} else if err != nil {
			return err
		} else if review != string(app.ReviewPending) {
			return app.Errorf(app.ECONFLICT, "该批次不在待审核状态")
		}
		status, reason := app.ReviewApproved, ""
		if r.Decision == "reject" {
			status, reason = app.ReviewRejected, strings.TrimSpace(r.Reason)
		}
		if _, err := tx.ExecContext(ctx, `update batches set review = ?, review_reason = ?, reviewed_by = ?, reviewed_at = ? where id = ?`,
			string(status), reason, p.UserID, ms(now), id); err != nil {
			return err
		}
		if err := db.owedCallback(ctx, tx, apiKeyID, reviewNotice{Event: "batch.reviewed", ID: strconv.FormatInt(id, 10),
			Status: string(status), Reason: reason, ReviewedAt: rfc3339(now)}); err != nil {
			return err
		}
		if status == app.ReviewRejected {
			_, err := tx.ExecContext(ctx, `update messages set status = 'rejected', error_code = ?, done_at = ? where batch_id = ? and status = 'accepted'`,
				app.EREVIEW, ms(now), id)
			return err
		}
		var first, last sql.NullInt64
		if err := tx.QueryRowContext(ctx, `select min(id), max(id) from messages where batch_id = ? and status = 'accepted'`, id).Scan(&first, &last); err != nil {
			return err
		} else if !first.Valid {
			return nil // nothing left to send
		}
		delay := fromMS(sendAt).Sub(now)
		if sendAt == 0 || delay < time.Second {
			delay = 0
			if _, err := tx.ExecContext(ctx, `update messages set status = 'queued' where batch_id = ? and status = 'accepted'`, id); err != nil {
				return err
			}
		}
		queued = delay == 0
		return db.queueJobs(ctx, tx, []idRange{{first.Int64, last.Int64}}, delay)
	})
	if err != nil {
		return nil, err
	}
	if queued {
		db.Notify()
	}
	list, err := db.findBatches(ctx, &app.Principal{Role: app.RoleSysadmin}, "m.id = ?", []any{id}, 1)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}
