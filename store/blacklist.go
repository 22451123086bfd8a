package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"smsgw/app"
)

// canWriteBlacklist answers whether p may change the list of dept: the
// global one (0) for system administrators, a department's for the
// administrators who reach it.
func canWriteBlacklist(ctx context.Context, q querier, p *app.Principal, dept int64) error {
	switch {
	case !p.HasScope(app.ScopeContacts) && !p.HasScope(app.ScopeAdmin):
		return app.Errorf(app.EFORBIDDEN, "该应用没有通讯录权限 (scope contacts)")
	case p.Role != app.RoleSysadmin && p.Role != app.RoleDeptAdmin:
		return app.Errorf(app.EFORBIDDEN, "只有管理员可以修改黑名单")
	case dept == app.GlobalBlacklist && !p.SeesAll():
		return app.Errorf(app.EFORBIDDEN, "只有系统管理员可以修改全局黑名单")
	case dept == app.GlobalBlacklist:
		return nil
	}
	if err := reachable(ctx, q, p, dept, true); err != nil {
		return app.FieldError("department_id", "部门不存在或不在管辖范围内")
	}
	return nil
}

// AddToBlacklist puts numbers on lists; a number already on a list keeps
// its first entry. It returns how many entries were new.
func (db *DB) AddToBlacklist(ctx context.Context, p *app.Principal, entries []*app.BlacklistEntry) (int, error) {
	if err := db.enter(); err != nil {
		return 0, err
	}
	defer db.leave()
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			var ae *app.Error
			if len(entries) > 1 && errors.As(err, &ae) {
				ae.Message = "第" + strconv.Itoa(i+1) + "条：" + ae.Message
			}
			return 0, err
		}
		e.UserID, e.CreatedAt = p.UserID, db.now()
	}
	added := 0
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		added = 0
		checked := map[int64]bool{}
		for _, e := range entries {
			if !checked[e.DepartmentID] {
				if err := canWriteBlacklist(ctx, tx, p, e.DepartmentID); err != nil {
					return err
				}
				checked[e.DepartmentID] = true
			}
			n, err := insertBlacklist(ctx, tx, e)
			if err != nil {
				return err
			}
			added += n
		}
		return nil
	})
	return added, err
}

func insertBlacklist(ctx context.Context, tx *sql.Tx, e *app.BlacklistEntry) (int, error) {
	r, err := tx.ExecContext(ctx, `insert into blacklist (phone, department_id, reason, source, user_id, created_at)
		values (?, ?, ?, ?, ?, ?) on conflict do nothing`, e.Phone, e.DepartmentID, e.Reason, string(e.Source), e.UserID, ms(e.CreatedAt))
	if err != nil {
		return 0, err
	}
	n, err := r.RowsAffected()
	return int(n), err
}

// RemoveFromBlacklist takes a number off one list.
func (db *DB) RemoveFromBlacklist(ctx context.Context, p *app.Principal, dept int64, phone string) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	n, err := app.NormalizeNumber(phone)
	if err != nil {
		return app.FieldError("phone", "%s", app.ErrorMessage(err))
	}
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := canWriteBlacklist(ctx, tx, p, dept); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `delete from blacklist where phone = ? and department_id = ?`, n, dept)
		if err != nil {
			return err
		} else if k, _ := r.RowsAffected(); k == 0 {
			return app.Errorf(app.ENOTFOUND, "黑名单中没有该号码")
		}
		return nil
	})
}

// FindBlacklist lists the entries of the lists p sees, newest first: all for
// a system administrator; the global list, its subtree's and those above
// it for anyone else. The cursor is an offset.
func (db *DB) FindBlacklist(ctx context.Context, p *app.Principal, f app.BlacklistFilter) ([]*app.BlacklistEntry, string, error) {
	if err := db.enter(); err != nil {
		return nil, "", err
	}
	defer db.leave()
	if p.Role == app.RoleOperator {
		return nil, "", app.Errorf(app.EFORBIDDEN, "操作员不能查看黑名单")
	}
	where, args := []string{`1`}, []any{}
	if !p.SeesAll() {
		where = append(where, `(department_id = 0 or department_id in (`+subtreeSQL+`) or department_id in (`+upSQL+`))`)
		args = append(args, p.DepartmentID, p.DepartmentID)
	}
	if f.DepartmentID != nil {
		where, args = append(where, `department_id = ?`), append(args, *f.DepartmentID)
	}
	if f.Phone != "" {
		n, err := app.NormalizeNumber(f.Phone)
		if err != nil {
			return nil, "", app.FieldError("phone", "%s", app.ErrorMessage(err))
		}
		where, args = append(where, `phone = ?`), append(args, n)
	}
	offset := 0
	if f.Cursor != "" {
		var err error
		if offset, err = strconv.Atoi(f.Cursor); err != nil || offset < 0 {
			return nil, "", app.FieldError("cursor", "无效的 cursor")
		}
	}
	limit := clampLimit(f.Limit)
	rows, err := db.rdb.QueryContext(ctx, `select phone, department_id, reason, source, user_id, created_at from blacklist
		where `+strings.Join(where, ` and `)+` order by created_at desc, phone, department_id limit ? offset ?`,
		append(args, limit+1, offset)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*app.BlacklistEntry
	for rows.Next() {
		var e app.BlacklistEntry
		var source string
		var at int64
		if err := rows.Scan(&e.Phone, &e.DepartmentID, &e.Reason, &source, &e.UserID, &at); err != nil {
			return nil, "", err
		}
		e.Source, e.CreatedAt = app.BlacklistSource(source), fromMS(at)
		out = append(out, &e)
	}
	next := ""
	if len(out) > limit {
		out, next = out[:limit], strconv.Itoa(offset+limit)
	}
	return out, next, rows.Err()
}

// blacklisted returns which of the (normalised) numbers a list covering
// dept holds: the global list, or the list of dept or one above it. One
// query, an index lookup per number.
func (db *DB) blacklisted(ctx context.Context, dept int64, phones []string) (map[string]bool, error) {
	list, err := json.Marshal(phones)
	if err != nil {
		return nil, err
	}
	rows, err := db.rdb.QueryContext(ctx, `select distinct b.phone from json_each(?) j join blacklist b on b.phone = j.value
		where b.department_id = 0 or b.department_id in (`+upSQL+`)`, string(list), dept)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}
