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
	} else if !p.HasScope(app.ScopeContacts) && !p.HasScope(app.ScopeAdmin) {
		return nil, "", app.Errorf(app.EFORBIDDEN, "该应用没有通讯录权限 (scope contacts)")
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
// dept holds: the global list, or the list of dept or one above it. It
// looks the numbers up by primary key, one query in all, and checks the
// departments of the few it finds in memory; a single number (the API's
// most frequent call) uses a prepared statement.
func (db *DB) blacklisted(ctx context.Context, dept int64, phones []string) (map[string]bool, error) {
	var found [][2]string // phone, comma-separated department ids
	if len(phones) == 1 {
		var depts sql.NullString
		if err := db.reads.row(ctx, `select group_concat(department_id) from blacklist where phone = ?`, phones[0]).Scan(&depts); err != nil {
			return nil, err
		} else if depts.Valid {
			found = append(found, [2]string{phones[0], depts.String})
		}
	} else {
		list, err := json.Marshal(phones)
		if err != nil {
			return nil, err
		}
		rows, err := db.rdb.QueryContext(ctx, `select b.phone, group_concat(b.department_id) from json_each(?) j
			join blacklist b on b.phone = j.value group by b.phone`, string(list))
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var f [2]string
			if err := rows.Scan(&f[0], &f[1]); err != nil {
				return nil, err
			}
			found = append(found, f)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := map[string]bool{}
	if len(found) == 0 {
		return out, nil
	}
	covering, err := db.blacklistsOf(ctx, dept)
	if err != nil {
		return nil, err
	}
	for _, f := range found {
		for _, d := range strings.Split(f[1], ",") {
			if covering[d] {
				out[f[0]] = true
			}
		}
	}
	return out, nil
}

// blacklistsOf returns the lists that cover a sender of dept, by id as
// text: the global one (0), dept's and those of the departments above it.
// Cached like the other access checks.
func (db *DB) blacklistsOf(ctx context.Context, dept int64) (map[string]bool, error) {
	if v, ok := db.ancestors.get(dept); ok {
		return v, nil
	}
	rows, err := db.rdb.QueryContext(ctx, upSQL, dept)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	v := map[string]bool{"0": true}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		v[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	db.ancestors.put(dept, v)
	return v, nil
}
