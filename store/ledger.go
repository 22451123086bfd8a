package store

import (
	"context"
	"strings"

	"smsgw/app"
)

// actorName names a ledger entry's or a consumption row's user or app (an
// app's name first: an app bound to a user acts as itself).
const actorName = `coalesce(k.name, nullif(u.display_name, ''), u.username, '')`

// ledgerScope limits ledger entries (alias l) to what p sees: a system
// administrator (or platform auditor) every account; department
// administrators and auditors the accounts of their subtree; an operator
// the entries of its own sends (debits and their refunds carry the sender).
func ledgerScope(p *app.Principal) (string, []any) {
	switch {
	case p.ReadsPlatform():
		return `1`, nil
	case p.Role == app.RoleOperator && p.APIKeyID != 0:
		return `l.actor_api_key_id = ?`, []any{p.APIKeyID}
	case p.Role == app.RoleOperator:
		return `l.actor_user_id = ? and l.actor_api_key_id = 0`, []any{p.UserID}
	default:
		return `l.department_id in (` + subtreeSQL + `)`, []any{p.DepartmentID}
	}
}

// Ledger implements app.AccountService.
func (db *DB) Ledger(ctx context.Context, p *app.Principal, f app.LedgerFilter) ([]*app.LedgerEntry, string, error) {
	if err := db.enter(); err != nil {
		return nil, "", err
	}
	defer db.leave()
	where, args := []string{}, []any{}
	if f.DepartmentID != 0 {
		if err := mayReadAccount(ctx, db.rdb, p, f.DepartmentID); err != nil {
			return nil, "", err
		}
		where, args = append(where, `l.department_id = ?`), append(args, f.DepartmentID)
	} else if !p.HasScope(app.ScopeAccount) && !p.HasScope(app.ScopeAdmin) {
		return nil, "", app.Errorf(app.EFORBIDDEN, "该应用没有账户权限 (scope account)")
	}
	if f.Kind != "" {
		if !f.Kind.Valid() {
			return nil, "", app.FieldError("kind", "未知类型：%q", f.Kind)
		}
		where, args = append(where, `l.kind = ?`), append(args, string(f.Kind))
	}
	if !f.Since.IsZero() {
		where, args = append(where, `l.at >= ?`), append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, `l.at < ?`), append(args, ms(f.Until))
	}
	if c, ok, err := idCursor(f.Cursor); err != nil {
		return nil, "", err
	} else if ok {
		where, args = append(where, `l.id < ?`), append(args, c)
	}
	scope, scopeArgs := ledgerScope(p)
	where, args = append(where, scope), append(args, scopeArgs...)
	limit := clampLimit(f.Limit)
	rows, err := db.rdb.QueryContext(ctx, `select l.id, l.at, l.department_id, coalesce(d.name, ''), l.kind, l.segments, l.balance_after,
			l.batch_id, `+actorName+`, l.note
		from ledger l left join departments d on d.id = l.department_id
			left join users u on u.id = l.actor_user_id left join api_keys k on k.id = l.actor_api_key_id
		where `+strings.Join(where, ` and `)+` order by l.id desc limit ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*app.LedgerEntry
	for rows.Next() {
		var e app.LedgerEntry
		var at int64
		var kind string
		if err := rows.Scan(&e.ID, &at, &e.DepartmentID, &e.Department, &kind, &e.Segments, &e.BalanceAfter,
			&e.BatchID, &e.Actor, &e.Note); err != nil {
			return nil, "", err
		}
		e.At, e.Kind = fromMS(at), app.LedgerKind(kind)
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := idPage(out, limit, func(x *app.LedgerEntry) int64 { return x.ID })
	return out, next, nil
}

// Consumption implements app.AccountService.
func (db *DB) Consumption(ctx context.Context, p *app.Principal, f app.ConsumptionFilter) ([]app.Consumption, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if !p.HasScope(app.ScopeAccount) && !p.HasScope(app.ScopeAdmin) {
		return nil, app.Errorf(app.EFORBIDDEN, "该应用没有账户权限 (scope account)")
	}
	where, args := []string{}, []any{}
	if f.DepartmentID != 0 {
		if err := mayReadAccount(ctx, db.rdb, p, f.DepartmentID); err != nil {
			return nil, err
		}
		where, args = append(where, `c.department_id in (`+subtreeSQL+`)`), append(args, f.DepartmentID)
	}
	switch {
	case p.ReadsPlatform():
	case p.Role == app.RoleOperator && p.APIKeyID != 0:
		where, args = append(where, `c.api_key_id = ?`), append(args, p.APIKeyID)
	case p.Role == app.RoleOperator:
		where, args = append(where, `c.user_id = ? and c.api_key_id = 0`), append(args, p.UserID)
	default:
		where, args = append(where, `c.department_id in (`+subtreeSQL+`)`), append(args, p.DepartmentID)
	}
	if f.From != "" {
		where, args = append(where, `c.month >= ?`), append(args, f.From)
	}
	if f.To != "" {
		where, args = append(where, `c.month <= ?`), append(args, f.To)
	}
	if len(where) == 0 {
		where = append(where, `1`)
	}
	group, sender := `c.month, c.department_id`, `0, 0, ''`
	if f.ByUser {
		group, sender = `c.month, c.department_id, c.user_id, c.api_key_id`, `c.user_id, c.api_key_id, `+actorName
	}
	rows, err := db.rdb.QueryContext(ctx, `select c.month, c.department_id, coalesce(d.name, ''), `+sender+`,
			sum(c.debited), sum(c.refunded)
		from consumption c left join departments d on d.id = c.department_id
			left join users u on u.id = c.user_id left join api_keys k on k.id = c.api_key_id
		where `+strings.Join(where, ` and `)+` group by `+group+` order by c.month desc, c.department_id limit 5000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []app.Consumption{}
	for rows.Next() {
		var c app.Consumption
		if err := rows.Scan(&c.Month, &c.DepartmentID, &c.Department, &c.UserID, &c.APIKeyID, &c.Sender, &c.Debited, &c.Refunded); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
