package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"smsgw/app"
)

// genesis is the previous hash of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// auditHash chains an entry to the previous one: SHA-256 over the previous
// hash and every field, each length-prefixed so no two entries collide.
func auditHash(prev string, e *app.AuditEntry) string {
	h := sha256.New()
	for _, f := range []string{prev, strconv.FormatInt(e.ID, 10), strconv.FormatInt(ms(e.At), 10),
		strconv.FormatInt(e.UserID, 10), strconv.FormatInt(e.APIKeyID, 10), e.Actor, string(e.Role),
		strconv.FormatInt(e.DepartmentID, 10), e.Action, e.Target, e.Summary, e.Result, e.IP, e.UserAgent} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Audit appends an entry. The writer runs one piece of work at a time, so
// reading the last hash and appending cannot interleave with another append.
// It never carries ctx's pending entry (app.WithAudit): it is how a caller
// writes that entry when no change did.
func (db *DB) Audit(ctx context.Context, e *app.AuditEntry) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if e.At.IsZero() {
		e.At = db.now()
	}
	return db.writer.doAlone(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return appendAudit(ctx, tx, e)
	})
}

// appendAudit chains e to the log inside the writer's transaction.
func appendAudit(ctx context.Context, tx *sql.Tx, e *app.AuditEntry) error {
	prev, last := genesis, int64(0)
	err := tx.QueryRowContext(ctx, `select id, hash from audit_log order by id desc limit 1`).Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	e.ID = last + 1
	hash := auditHash(prev, e)
	_, err = tx.ExecContext(ctx, `insert into audit_log (id, at, user_id, api_key_id, actor, role, department_id, action, target,
		summary, result, ip, user_agent, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, ms(e.At), e.UserID, e.APIKeyID, e.Actor, string(e.Role), e.DepartmentID, e.Action, e.Target,
		e.Summary, e.Result, e.IP, e.UserAgent, prev, hash)
	return err
}

const auditColumns = `id, at, user_id, api_key_id, actor, role, department_id, action, target, summary, result, ip, user_agent`

func scanAudit(rows *sql.Rows, extra ...any) (*app.AuditEntry, error) {
	var e app.AuditEntry
	var at int64
	var role string
	dest := append([]any{&e.ID, &at, &e.UserID, &e.APIKeyID, &e.Actor, &role, &e.DepartmentID, &e.Action, &e.Target,
		&e.Summary, &e.Result, &e.IP, &e.UserAgent}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	e.At, e.Role = fromMS(at), app.Role(role)
	return &e, nil
}

// FindAudit lists entries, newest first, within p's view.
func (db *DB) FindAudit(ctx context.Context, p *app.Principal, f app.AuditFilter) ([]*app.AuditEntry, string, error) {
	if err := db.enter(); err != nil {
		return nil, "", err
	}
	defer db.leave()
	where, args := []string{`1`}, []any{}
	switch {
	case p.ReadsPlatform():
	case p.Role == app.RoleDeptAdmin || p.Role == app.RoleAuditor:
		where, args = append(where, `department_id in (`+subtreeSQL+`)`), append(args, p.DepartmentID)
	default:
		return nil, "", app.Errorf(app.EFORBIDDEN, "只有管理员和审计员可以查看审计日志")
	}
	if !p.HasScope(app.ScopeAdmin) && p.APIKeyID != 0 {
		return nil, "", app.Errorf(app.EFORBIDDEN, "该应用没有 admin 权限")
	}
	add := func(cond string, v any) { where, args = append(where, cond), append(args, v) }
	if f.UserID != 0 {
		add(`user_id = ?`, f.UserID)
	}
	if f.APIKeyID != 0 {
		add(`api_key_id = ?`, f.APIKeyID)
	}
	if f.Action != "" {
		add(`substr(action, 1, ?) = ?`, len(f.Action))
		args = append(args, f.Action)
	}
	if !f.Since.IsZero() {
		add(`at >= ?`, ms(f.Since))
	}
	if !f.Until.IsZero() {
		add(`at < ?`, ms(f.Until))
	}
	if f.Cursor != "" {
		c, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil {
			return nil, "", app.FieldError("cursor", "无效的 cursor")
		}
		add(`id < ?`, c)
	}
	limit := clampLimit(f.Limit)
	rows, err := db.rdb.QueryContext(ctx, `select `+auditColumns+` from audit_log where `+strings.Join(where, ` and `)+
		` order by id desc limit ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*app.AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, e)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(out[limit-1].ID, 10)
	}
	return out, next, rows.Err()
}

// VerifyAudit walks the chain from the first entry: ids must follow each
// other from 1, each entry must name the previous hash and hash to its own.
func (db *DB) VerifyAudit(ctx context.Context) (int, error) {
	if err := db.enter(); err != nil {
		return 0, err
	}
	defer db.leave()
	rows, err := db.rdb.QueryContext(ctx, `select `+auditColumns+`, prev_hash, hash from audit_log order by id`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	prev, n := genesis, 0
	for rows.Next() {
		var prevHash, hash string
		e, err := scanAudit(rows, &prevHash, &hash)
		if err != nil {
			return n, err
		}
		n++
		switch {
		case e.ID != int64(n):
			return n, fmt.Errorf("审计日志第%d条缺失或被删除 (entry %d missing; found %d)", n, n, e.ID)
		case prevHash != prev:
			return n, fmt.Errorf("审计日志第%d条的链接断开 (entry %d does not follow its predecessor)", e.ID, e.ID)
		case auditHash(prev, e) != hash:
			return n, fmt.Errorf("审计日志第%d条被修改 (entry %d was altered)", e.ID, e.ID)
		}
		prev = hash
	}
	return n, rows.Err()
}
