package store

import (
	"context"
	"database/sql"
	"sync"
)

// The hot statements: run for every message or receipt, they are prepared
// once on the writer's connection. Parsing them each time took a third of
// the server's CPU under load.
const (
	// qSMSCIDs and qSubmitted take a JSON list of [message id, channel id,
	// submitted at (ms), [SMSC id per part]].
	qSMSCIDs = `insert into smsc_ids (channel_id, smsc_id, message_id, part, attempt)
		select o.value ->> 1, p.value, m.id, p.key + 1, m.attempts
		from json_each(?) o join messages m on m.id = o.value ->> 0 join json_each(o.value, '$[3]') p
		where m.status = 'submitting' and p.value != ''
		on conflict (channel_id, smsc_id) do update set message_id = excluded.message_id, part = excluded.part,
			attempt = excluded.attempt, dlr_stat = ''`
	qSubmitted = `update messages set status = 'submitted', channel_id = o.value ->> 1, submitted_at = o.value ->> 2, error_code = ''
		from json_each(?) o where messages.id = o.value ->> 0 and messages.status = 'submitting'`
	qRetry = `update messages set status = 'queued', attempts = attempts + 1, error_code = ?,
		channel_id = case when ? = 0 then channel_id else ? end
		where id = ? and status = 'submitting'`
	qFailed = `update messages set status = ?, error_code = ?, channel_id = ?, done_at = ?
		where id = ? and status = 'submitting'`
	qAnyEarly = `select exists (select 1 from early_receipts)`
	// qReceiptClaim marks a part's receipt as seen and names its message;
	// no row means a repeat, or a receipt ahead of its submit result.
	qReceiptClaim = `update smsc_ids set dlr_stat = ? where channel_id = ? and smsc_id = ? and dlr_stat = ''
		returning message_id, attempt`
	// qReceiptsClaim is qReceiptClaim for a JSON list of [channel id, SMSC
	// id, stat]; it answers the parts it claimed.
	qReceiptsClaim = `update smsc_ids set dlr_stat = r.value ->> 2 from json_each(?) r
		where smsc_ids.channel_id = r.value ->> 0 and smsc_ids.smsc_id = r.value ->> 1 and smsc_ids.dlr_stat = ''
		returning channel_id, smsc_id, message_id, attempt, dlr_stat`
	// qPartsDelivered takes a JSON list of [message id, attempt, parts
	// delivered, latest receipt time (ms)].
	qPartsDelivered = `update messages set parts_delivered = parts_delivered + (d.value ->> 2),
			status = case when parts_delivered + (d.value ->> 2) >= segments then 'delivered' else status end,
			done_at = case when parts_delivered + (d.value ->> 2) >= segments then d.value ->> 3 else done_at end
		from json_each(?) d where messages.id = d.value ->> 0 and messages.status = 'submitted' and messages.attempts = d.value ->> 1`
	qReceiptKnown  = `select exists (select 1 from smsc_ids where channel_id = ? and smsc_id = ?)`
	qPartDelivered = `update messages set parts_delivered = parts_delivered + 1,
			status = case when parts_delivered + 1 >= segments then 'delivered' else status end,
			done_at = case when parts_delivered + 1 >= segments then ? else done_at end
		where id = ? and status = 'submitted' and attempts = ?`
	qNotDelivered = `update messages set status = ?, error_code = ?, done_at = ? where id = ? and status = 'submitted' and attempts = ?`
)

// The accept path's inserts: the batch, and its messages one or a full
// chunk at a time.
const (
	// Ids are given, never left to SQLite: see ids.go.
	qInsertBatch = `insert into batches (id, api_key_id, user_id, department_id, client_ref, content, ext, send_at, total, accepted, segments, rejected, resend_of, template_id, review, review_note, created_at, paid_by, charged)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	messageCols = `(batch_id, department_id, user_id, api_key_id, phone, carrier, segments, status, ext, created_at, content, error_code, done_at)`
	// messageInsertCols is messageCols with the id first.
	messageInsertCols = `(id, batch_id, department_id, user_id, api_key_id, phone, carrier, segments, status, ext, created_at, content, error_code, done_at, template_id, stat_day)`
	messageColCount   = 16
	insertChunk       = 100
)

var (
	qInsertMessage  = `insert into messages ` + messageInsertCols + ` values ` + placeholders(1, messageColCount)
	qInsertMessages = `insert into messages ` + messageInsertCols + ` values ` + placeholders(insertChunk, messageColCount)
)

var hotQueries = []string{qNextBatchID, qNextMessageID, qInsertBatch, qInsertMessage, qInsertMessages, qSubmitted, qSMSCIDs, qRetry, qFailed, qAnyEarly, qReceiptClaim, qReceiptsClaim, qPartsDelivered, qReceiptKnown, qPartDelivered, qNotDelivered, qStatsDayAdd, qStatsMonthAdd, qStatsDayTotalAdd,
	qPayer, qDebit, qInsertLedger, qConsume, qPendingRefunds}

// prepare prepares the hot statements on the writer's one connection; it
// runs before the writer starts, while the connection is free.
func (db *DB) prepare(ctx context.Context) error {
	db.stmts = make(map[string]*sql.Stmt, len(hotQueries))
	for _, q := range hotQueries {
		s, err := db.wdb.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		db.stmts[q] = s
	}
	return nil
}

// exec runs a statement in the writer's transaction, prepared if it is hot.
func (db *DB) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if s := db.stmts[q]; s != nil {
		return tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// queryRows is exec for a statement that returns rows.
func (db *DB) queryRows(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if s := db.stmts[q]; s != nil {
		return tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// queryRow is exec for a statement that returns one row.
func (db *DB) queryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if s := db.stmts[q]; s != nil {
		return tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

// readStmts are the read pool's statements, prepared on first use: the read
// pool serves every API call's authentication and checks.
type readStmts struct {
	db *sql.DB
	m  sync.Map // query -> *sql.Stmt
}

// row runs a read that returns one row, with a prepared statement.
func (r *readStmts) row(ctx context.Context, q string, args ...any) *sql.Row {
	s, ok := r.m.Load(q)
	if !ok {
		st, err := r.db.PrepareContext(ctx, q)
		if err != nil {
			return r.db.QueryRowContext(ctx, q, args...) // answers the same error
		}
		if s, ok = r.m.LoadOrStore(q, st); ok {
			st.Close() // another call prepared it first
		}
	}
	return s.(*sql.Stmt).QueryRowContext(ctx, args...)
}
