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

// jobSize is how many messages one queue job carries: big enough that the
// queue costs little per message, small enough that a crash or a retry
// touches few.
const jobSize = 200

// Send stores a request as the send policy (app.PlanSend) plans it: look
// up, plan, then the batch, its messages and their queue jobs in one group
// commit. A number on a blacklist becomes a message rejected at once, never
// queued.
func (db *DB) Send(ctx context.Context, p *app.Principal, req *app.SendRequest) (*app.SendResult, error) {
	if err := p.MayChange(); err != nil {
		return nil, err
	}
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	now := db.now()
	plan, err := app.PlanSend(req, p, now, &sendLookup{ctx: ctx, db: db, p: p})
	if err != nil {
		return nil, err
	} else if plan.Earlier != nil {
		return plan.Earlier, nil
	}

	var res *app.SendResult
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if req.ClientRef != "" && p.APIKeyID != 0 {
			// A concurrent identical call may have committed since the plan.
			if r, err := db.findSendResult(ctx, tx, p.APIKeyID, req.ClientRef); err == nil {
				res = r
				return nil
			} else if app.ErrorCode(err) != app.ENOTFOUND {
				return err
			}
		}
		plan.Batch.CreatedAt = now
		var err error
		res, err = db.insertBatch(ctx, tx, plan)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !res.Duplicate && plan.Delay == 0 && res.Review == "" {
		db.Notify()
	}
	return res, nil
}

// SendAll implements app.MessageService: the requests are planned one by
// one, then stored in one writer op, so the balance pays for all of them
// or for none (a console send of 100,000 numbers is ten requests; sent one
// by one, a later one could find the balance spent by an earlier one or by
// another sender in between).
func (db *DB) SendAll(ctx context.Context, p *app.Principal, reqs []*app.SendRequest) ([]*app.SendResult, error) {
	if err := p.MayChange(); err != nil {
		return nil, err
	}
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	now := db.now()
	plans := make([]*app.SendPlan, len(reqs))
	total := int64(0)
	for i, req := range reqs {
		if req.ClientRef != "" {
			return nil, app.FieldError("client_ref", "分批发送不支持 client_ref")
		}
		plan, err := app.PlanSend(req, p, now, &sendLookup{ctx: ctx, db: db, p: p})
		if err != nil {
			return nil, err
		}
		plans[i], total = plan, total+plan.Charge
	}
	out := make([]*app.SendResult, len(plans))
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		spent := int64(0)
		for i, plan := range plans {
			plan.Batch.CreatedAt = now
			res, err := db.insertBatch(ctx, tx, plan)
			if e := (*app.Error)(nil); errors.As(err, &e) && e.Code == app.EQUOTA && len(plans) > 1 {
				// Say what the whole send needs, from the balance before it.
				balance, _ := e.Details["balance"].(int64)
				balance += spent
				q := app.Errorf(app.EQUOTA, "余额不足：剩余 %d 条，本次发送分 %d 批共需 %d 条，未发送", balance, len(plans), total)
				q.Details = map[string]any{"balance": balance, "cost": total}
				return q
			} else if err != nil {
				return err
			}
			spent += plan.Charge
			out[i] = res
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	db.Notify()
	return out, nil
}

// insertBatch writes the batch row, the message rows in multi-row inserts and
// the queue jobs. It runs inside the writer's transaction.
func (db *DB) insertBatch(ctx context.Context, tx *sql.Tx, plan *app.SendPlan) (*app.SendResult, error) {
	b, rows, status, delay := &plan.Batch, plan.Messages, plan.Status, plan.Delay
	rej := []byte("[]")
	var err error
	if len(b.Rejected) > 0 {
		if rej, err = json.Marshal(b.Rejected); err != nil {
			return nil, err
		}
	}
	if b.ID, err = db.nextID(ctx, tx, "batches"); err != nil {
		return nil, err
	}
	// The charge first: a send the balance does not cover stores nothing.
	paidBy, err := db.chargeSend(ctx, tx, b, plan.Charge)
	if err != nil {
		return nil, err
	}
	if _, err := db.exec(ctx, tx, qInsertBatch, b.ID,
		nullID(b.APIKeyID), nullID(b.UserID), b.DepartmentID, b.ClientRef, b.Content, b.Ext, ms(b.SendAt),
		b.Total, b.Accepted, b.Segments, string(rej), b.ResendOf, plan.TemplateID, string(b.Review), b.ReviewNote, ms(b.CreatedAt),
		paidBy, plan.Charge); err != nil {
		return nil, err
	}
	res := &app.SendResult{BatchID: b.ID, Rejected: b.Rejected, Messages: make([]app.SentMessage, 0, len(rows)), Review: b.Review}

	args := make([]any, 0, min(len(rows), insertChunk)*messageColCount)
	queued := false
	// One writer: nothing else inserts messages between here and the
	// commit, so the rows take next, next+1, ...
	next, err := db.nextID(ctx, tx, "messages")
	if err != nil {
		return nil, err
	}
	day := db.statsDay(b.CreatedAt)
	for start := 0; start < len(rows); start += insertChunk {
		part := rows[start:min(start+insertChunk, len(rows))]
		args = args[:0]
		first := next
		for i, m := range part {
			st, done := status, int64(0)
			if m.Code != "" {
				st, done = app.StatusRejected, ms(b.CreatedAt)
			}
			var content any
			if m.Content != "" {
				content = m.Content
			}
			args = append(args, first+int64(i), b.ID, b.DepartmentID, b.UserID, b.APIKeyID, m.To, string(m.Carrier), m.Segments, string(st), b.Ext,
				ms(b.CreatedAt), content, m.Code, done, plan.TemplateID, day)
		}
		q := qInsertMessages
		if len(part) == 1 {
			q = qInsertMessage
		} else if len(part) < insertChunk {
			q = `insert into messages ` + messageInsertCols + ` values ` + placeholders(len(part), messageColCount)
		}
		if _, err := db.exec(ctx, tx, q, args...); err != nil {
			return nil, err
		}
		next += int64(len(part))
		for i, m := range part {
			sm := app.SentMessage{ID: first + int64(i), To: m.To, Segments: m.Segments, Status: status}
			if m.Code != "" {
				sm.Status, sm.ErrorCode = app.StatusRejected, m.Code
			} else {
				queued = true
			}
			res.Messages = append(res.Messages, sm)
		}
	}
	if err := db.countInserted(ctx, tx, b, plan.TemplateID, rows, status); err != nil {
		return nil, err
	}
	if !queued || b.Review == app.ReviewPending {
		return res, nil // every number was on a blacklist, or a reviewer queues it
	}
	first, last := res.Messages[0].ID, res.Messages[len(res.Messages)-1].ID
	if delay == 0 && queueLater(ctx, first, last) {
		return res, nil
	}
	return res, db.queueJobs(ctx, tx, []idRange{{first, last}}, delay)
}

// queueRanges is the writer's queueJobs: the commit's immediate messages.
func (db *DB) queueRanges(ctx context.Context, tx *sql.Tx, ranges []idRange) error {
	return db.queueJobs(ctx, tx, ranges, 0)
}

// queueJobs queues the messages of the ranges (in id order) as jobs of at
// most jobSize messages, joining ranges that touch.
func (db *DB) queueJobs(ctx context.Context, tx *sql.Tx, ranges []idRange, delay time.Duration) error {
	for _, body := range jobBodiesFor(ranges) {
		if err := db.enqueue(ctx, tx, body, delay); err != nil {
			return err
		}
	}
	return nil
}

// jobBodiesFor joins ranges that touch and cuts them into jobs of at most
// jobSize messages. A gap (a scheduled send between two immediate ones)
// stays a gap: a job never covers a message that is not its own.
func jobBodiesFor(ranges []idRange) []jobBody {
	var merged []idRange
	for _, r := range ranges {
		if n := len(merged); n > 0 && merged[n-1].to+1 == r.from {
			merged[n-1].to = r.to
		} else {
			merged = append(merged, r)
		}
	}
	var out []jobBody
	for _, r := range merged {
		for from := r.from; from <= r.to; from += jobSize {
			out = append(out, jobBody{From: from, To: min(from+jobSize-1, r.to)})
		}
	}
	return out
}

// placeholders returns "(?,?,...),(?,?,...)" for n rows of k columns.
func placeholders(n, k int) string {
	row := "(" + strings.Repeat("?,", k-1) + "?)"
	var b strings.Builder
	b.Grow(n * (len(row) + 1))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	return b.String()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// findSendResult rebuilds the answer of an earlier request with the same
// client reference. Errors: ENOTFOUND.
func (db *DB) findSendResult(ctx context.Context, q querier, apiKeyID int64, ref string) (*app.SendResult, error) {
	var batchID, sendAt int64
	var rej, review string
	err := q.QueryRowContext(ctx, `select id, send_at, rejected, review from batches where api_key_id = ? and client_ref = ?`, apiKeyID, ref).Scan(&batchID, &sendAt, &rej, &review)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "no batch")
	} else if err != nil {
		return nil, err
	}
	res := &app.SendResult{BatchID: batchID, Duplicate: true}
	if err := json.Unmarshal([]byte(rej), &res.Rejected); err != nil {
		return nil, err
	}
	status := app.StatusQueued
	if sendAt != 0 || review != "" {
		status = app.StatusAccepted
	}
	if review != "" {
		res.Review = app.ReviewPending // as the first answer said
	}
	rows, err := q.QueryContext(ctx, `select id, phone, segments, error_code from messages where batch_id = ? order by id`, batchID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		m := app.SentMessage{Status: status}
		if err := rows.Scan(&m.ID, &m.To, &m.Segments, &m.ErrorCode); err != nil {
			return nil, err
		}
		if m.ErrorCode == app.EBLACKLIST {
			m.Status = app.StatusRejected
		} else {
			m.ErrorCode = "" // a later outcome, not the first answer's
		}
		res.Messages = append(res.Messages, m)
	}
	return res, rows.Err()
}

// signatureApproved answers ESIGNATURE_NOT_APPROVED unless name is an
// approved signature of p's department or one above it.
func (db *DB) signatureApproved(ctx context.Context, p *app.Principal, name string) error {
	k := sigKey{p.DepartmentID, name}
	ok, cached := db.signatures.get(k)
	if !cached {
		var n int
		err := db.reads.row(ctx, `select count(*) from signatures where approved = 1 and name = ? and department_id in (`+upSQL+`)`,
			name, p.DepartmentID).Scan(&n)
		if err != nil {
			return err
		}
		ok = n > 0
		db.signatures.put(k, ok)
	}
	if !ok {
		e := app.Errorf(app.ESIGNATURE_NOT_APPROVED, "签名【%s】未审核通过或不属于本部门", name)
		e.Details = map[string]any{"field": "signature"}
		return e
	}
	return nil
}

type sigKey struct {
	dept int64
	name string
}

// FindMessageByID returns one message within the caller's scope.
func (db *DB) FindMessageByID(ctx context.Context, p *app.Principal, id int64) (*app.Message, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	list, _, err := db.findMessages(ctx, p, `m.id = ?`, []any{id}, 1)
	if err != nil {
		return nil, err
	} else if len(list) == 0 {
		return nil, app.Errorf(app.ENOTFOUND, "短信不存在 (message %d not found)", id)
	}
	return list[0], nil
}

// FindMessages lists messages in the caller's scope, newest first.
func (db *DB) FindMessages(ctx context.Context, p *app.Principal, f app.MessageFilter) ([]*app.Message, string, error) {
	if err := db.enter(); err != nil {
		return nil, "", err
	}
	defer db.leave()
	var where []string
	var args []any
	if f.BatchID != 0 {
		where, args = append(where, `m.batch_id = ?`), append(args, f.BatchID)
	}
	if f.To != "" {
		n, err := app.NormalizeNumber(f.To)
		if err != nil {
			return nil, "", app.FieldError("to", "%s", app.ErrorMessage(err))
		}
		where, args = append(where, `m.phone = ?`), append(args, n)
	}
	if f.Status != "" {
		if !f.Status.Valid() {
			return nil, "", app.FieldError("status", "未知状态：%q", f.Status)
		}
		where, args = append(where, `m.status = ?`), append(args, string(f.Status))
	}
	if f.Unreconciled {
		where = append(where, `m.status = 'submitted' and m.id in (select message_id from unreconciled)`)
	}
	if !f.Since.IsZero() {
		where, args = append(where, `m.created_at >= ?`), append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, `m.created_at < ?`), append(args, ms(f.Until))
	}
	if c, ok, err := idCursor(f.Cursor); err != nil {
		return nil, "", err
	} else if ok {
		where, args = append(where, `m.id < ?`), append(args, c)
	}
	limit := clampLimit(f.Limit)
	if len(where) == 0 {
		where = append(where, `1`)
	}
	return db.findMessages(ctx, p, strings.Join(where, ` and `), args, limit)
}

func (db *DB) findMessages(ctx context.Context, p *app.Principal, where string, args []any, limit int) ([]*app.Message, string, error) {
	if !p.HasScope(app.ScopeQuery) {
		return nil, "", app.Errorf(app.EFORBIDDEN, "该应用没有查询权限 (scope query)")
	}
	scope, scopeArgs := messageScope(p)
	rows, err := db.rdb.QueryContext(ctx, `select m.id, m.batch_id, m.department_id, m.user_id, m.api_key_id, m.phone, m.carrier,
			coalesce(m.content, b.content), m.segments, m.status, m.error_code, m.channel_id, m.ext, m.attempts,
			m.created_at, m.submitted_at, m.done_at
		from messages m join batches b on b.id = m.batch_id
		where `+where+` and `+scope+` order by m.id desc limit ?`, append(append(args, scopeArgs...), limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*app.Message
	for rows.Next() {
		var m app.Message
		var carrier, status string
		var created, submitted, done int64
		if err := rows.Scan(&m.ID, &m.BatchID, &m.DepartmentID, &m.UserID, &m.APIKeyID, &m.To, &carrier,
			&m.Content, &m.Segments, &status, &m.ErrorCode, &m.ChannelID, &m.Ext, &m.Attempts,
			&created, &submitted, &done); err != nil {
			return nil, "", err
		}
		m.Carrier, m.Status = app.Carrier(carrier), app.Status(status)
		m.CreatedAt, m.SubmittedAt, m.DoneAt = fromMS(created), fromMS(submitted), fromMS(done)
		out = append(out, &m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := idPage(out, limit, func(x *app.Message) int64 { return x.ID })
	return out, next, nil
}

// messageScope returns the SQL condition limiting messages to what p may see:
// a sysadmin sees all; an operator what it sent (a console operator its own
// messages, an operator app its own key's); department administrators,
// auditors and their apps their department's subtree.
func messageScope(p *app.Principal) (string, []any) {
	switch {
	case p.SeesAll():
		return `1`, nil
	case p.Role == app.RoleOperator && p.APIKeyID != 0:
		return `m.api_key_id = ?`, []any{p.APIKeyID}
	case p.Role == app.RoleOperator:
		return `m.user_id = ?`, []any{p.UserID}
	default:
		return `m.department_id in (` + subtreeSQL + `)`, []any{p.DepartmentID}
	}
}

// subtreeSQL selects the ids of a department and all its descendants.
const subtreeSQL = `with recursive down(id) as (select ? union select d.id from departments d join down on d.parent_id = down.id) select id from down`

// clampLimit applies the API's list limits: default 50, max 1000.
func clampLimit(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, 1000)
}

// enqueue adds a send job inside tx.
func (db *DB) enqueue(ctx context.Context, tx *sql.Tx, body jobBody, delay time.Duration) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	if delay < 0 {
		delay = 0
	}
	if err := db.queue.SendTx(ctx, tx, goqite.Message{Body: b, Delay: delay}); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}
