package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"strconv"
	"strings"

	"smsgw/app"
)

// genesis is the previous hash of the first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// auditHash chains an entry to the previous one: HMAC-SHA256 under the
// audit key over the previous hash and every field, each length-prefixed so
// no two entries collide. A nil key gives the plain SHA-256 of the chain's
// first version (no count), which only the upgrade and the verifying of a
// log never keyed use.
func auditHash(key []byte, prev string, e *app.AuditEntry) string {
	var h hash.Hash
	fields := []string{prev, strconv.FormatInt(e.ID, 10), strconv.FormatInt(ms(e.At), 10),
		strconv.FormatInt(e.UserID, 10), strconv.FormatInt(e.APIKeyID, 10), e.Actor, string(e.Role),
		strconv.FormatInt(e.DepartmentID, 10), e.Action, e.Target, e.Summary, e.Result, e.IP, e.UserAgent}
	if key == nil {
		h = sha256.New()
	} else {
		h = hmac.New(sha256.New, key)
		fields = append(fields, strconv.Itoa(max(e.Count, 1)))
	}
	for _, f := range fields {
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
		return db.appendAudit(ctx, tx, e)
	})
}

// appendAudit chains e to the log inside the writer's transaction. The
// first append of a process keys a chain an older version wrote, if no
// server has yet (see upgradeAudit).
func (db *DB) appendAudit(ctx context.Context, tx *sql.Tx, e *app.AuditEntry) error {
	if !db.audit.checked {
		if err := db.upgradeAudit(ctx, tx); err != nil {
			return err
		}
	}
	if e.At.IsZero() {
		e.At = db.now()
	}
	capEntry(e)
	e.Count = max(e.Count, 1)
	prev, last := genesis, int64(0)
	err := tx.QueryRowContext(ctx, `select id, hash from audit_log order by id desc limit 1`).Scan(&last, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		// Empty: new, or pruned whole; then the chain goes on from the
		// checkpoint.
		var cp *checkpoint
		if cp, err = loadCheckpoint(ctx, tx); cp != nil {
			last, prev = cp.FirstID-1, cp.PrevHash
		}
	}
	if err != nil {
		return err
	}
	e.ID = last + 1
	hash := auditHash(db.audit.key, prev, e)
	db.audit.appended.Store(true)
	_, err = tx.ExecContext(ctx, `insert into audit_log (id, at, user_id, api_key_id, actor, role, department_id, action, target,
		summary, result, ip, user_agent, count, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, ms(e.At), e.UserID, e.APIKeyID, e.Actor, string(e.Role), e.DepartmentID, e.Action, e.Target,
		e.Summary, e.Result, e.IP, e.UserAgent, e.Count, prev, hash)
	return err
}

const auditColumns = `id, at, user_id, api_key_id, actor, role, department_id, action, target, summary, result, ip, user_agent, count`

func scanAudit(rows *sql.Rows, extra ...any) (*app.AuditEntry, error) {
	var e app.AuditEntry
	var at int64
	var role string
	dest := append([]any{&e.ID, &at, &e.UserID, &e.APIKeyID, &e.Actor, &role, &e.DepartmentID, &e.Action, &e.Target,
		&e.Summary, &e.Result, &e.IP, &e.UserAgent, &e.Count}, extra...)
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
	if c, ok, err := idCursor(f.Cursor); err != nil {
		return nil, "", err
	} else if ok {
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
	out, next := idPage(out, limit, func(x *app.AuditEntry) int64 { return x.ID })
	return out, next, rows.Err()
}

// VerifyAudit walks the chain from the first entry: ids must follow each
// other from 1 (from the retention checkpoint's once old entries are pruned), each entry must name the previous hash and hash to its own
// under the audit key. Then the log must reach its anchor (issue 14, item
// 9): a log that ends before it lost entries at the tail, an empty one was
// wiped, and a keyed log without a valid anchor is reported too.
func (db *DB) VerifyAudit(ctx context.Context) (int, error) {
	if err := db.enter(); err != nil {
		return 0, err
	}
	defer db.leave()
	// This process's own appends are anchored first: they are not an
	// attacker's, and a verify right after them must find them anchored.
	if db.audit.dirty.Swap(false) {
		if err := db.refreshAnchor(ctx); err != nil {
			return 0, err
		}
	}
	keyed, err := db.auditKeyed(ctx)
	if err != nil {
		return 0, err
	}
	// Read before the log: a server running beside only moves it forward.
	anc, ancErr := readAnchor(db.audit.anchorPath, db.audit.key)
	var key []byte
	if keyed {
		key = db.audit.key
	}
	start, prev, n := int64(1), genesis, 0
	// The checkpoint and the rows are read in one read transaction: a prune
	// committing between two reads would look like a gap.
	tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// Pruned: the kept log starts at the checkpoint, signed with the key.
	cp, err := loadCheckpoint(ctx, tx)
	if err != nil {
		return 0, err
	}
	if cp != nil {
		if !hmac.Equal([]byte(cp.sign(db.audit.key)), []byte(cp.Sig)) {
			return 0, errors.New("审计日志的保留检查点签名无效 (the retention checkpoint does not verify under the audit key: " +
				"it was forged to hide entries deleted at the head)")
		}
		start, prev = cp.FirstID, cp.PrevHash
	}
	var anchored string // the hash of the anchor's entry, as the log has it
	rows, err := tx.QueryContext(ctx, `select `+auditColumns+`, prev_hash, hash from audit_log order by id`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var prevHash, hash string
		e, err := scanAudit(rows, &prevHash, &hash)
		if err != nil {
			return n, err
		}
		want := start + int64(n)
		n++
		switch {
		case e.ID != want:
			return n, fmt.Errorf("审计日志第%d条缺失或被删除 (entry %d missing; found %d)", want, want, e.ID)
		case prevHash != prev:
			return n, fmt.Errorf("审计日志第%d条的链接断开 (entry %d does not follow its predecessor)", e.ID, e.ID)
		case auditHash(key, prev, e) != hash:
			return n, fmt.Errorf("审计日志第%d条被修改或被重新计算，校验值与审计密钥不符 (entry %d was altered: its hash does not verify under the audit key)", e.ID, e.ID)
		}
		if anc != nil && e.ID == anc.LastID {
			anchored = hash
		}
		prev = hash
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	last := start - 1 + int64(n)
	switch {
	case errors.Is(ancErr, os.ErrNotExist):
		if keyed && n > 0 {
			return n, fmt.Errorf("审计日志的锚点文件 %s 缺失 (the anchor file %s is missing while the log holds %d entries: "+
				"it was deleted, or this is a copy of the database without it)", db.audit.anchorPath, db.audit.anchorPath, n)
		}
	case ancErr != nil:
		return n, fmt.Errorf("审计日志的锚点文件 %s 签名无效或已损坏 (the anchor file %s is damaged or its signature does not verify under the audit key)",
			db.audit.anchorPath, db.audit.anchorPath)
	case anc.LastID > last && n == 0:
		return n, fmt.Errorf("审计日志已被清空：锚点记录到第%d条 (the audit log was wiped: the anchor records entries up to %d)", anc.LastID, anc.LastID)
	case anc.LastID > last:
		return n, fmt.Errorf("审计日志末尾的第%d至%d条缺失：锚点记录到第%d条 (entries %d to %d missing at the tail: the anchor records entries up to %d)",
			last+1, anc.LastID, anc.LastID, last+1, anc.LastID, anc.LastID)
	case anc.LastID >= start && anchored != anc.Hash:
		return n, fmt.Errorf("审计日志第%d条与锚点不符 (entry %d differs from the anchor)", anc.LastID, anc.LastID)
	}
	return n, nil
}
