package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"smsgw/app"
)

// CreateDepartment stores a department under its parent, within p's reach.
func (db *DB) CreateDepartment(ctx context.Context, p *app.Principal, d *app.Department) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if !p.CanManageOrg() {
		return app.Errorf(app.EFORBIDDEN, "只有系统管理员和部门管理员可以管理组织机构")
	}
	if d.ParentID == 0 {
		d.ParentID = p.DepartmentID
		if p.SeesAll() {
			d.ParentID = app.RootDepartmentID
		}
	}
	d.Name = strings.TrimSpace(d.Name)
	if err := d.Validate(); err != nil {
		return err
	}
	d.CreatedAt, d.Enabled = db.now(), true
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := reachable(ctx, tx, p, d.ParentID, true); err != nil {
			return app.FieldError("parent_id", "上级部门不存在或不在您的管辖范围内")
		}
		if err := extFree(ctx, tx, d.Ext, 0, 0); err != nil {
			return err
		}
		id, err := db.nextID(ctx, tx, "departments")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `insert into departments (id, parent_id, name, ext, templates_only, created_at) values (?, ?, ?, ?, ?, ?)`,
			id, d.ParentID, d.Name, d.Ext, d.TemplatesOnly, ms(d.CreatedAt)); err != nil {
			return err
		}
		d.ID = id
		return nil
	})
}

// FindDepartments lists the departments p may see: all for a system
// administrator, its own subtree for anyone else.
func (db *DB) FindDepartments(ctx context.Context, p *app.Principal) ([]*app.Department, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	where, args := `1`, []any{}
	if !p.SeesAll() {
		where, args = `id in (`+subtreeSQL+`)`, []any{p.DepartmentID}
	}
	rows, err := db.rdb.QueryContext(ctx, `select id, coalesce(parent_id, 0), name, ext, enabled, templates_only, created_at from departments where `+where+` order by id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*app.Department
	for rows.Next() {
		var d app.Department
		var created int64
		if err := rows.Scan(&d.ID, &d.ParentID, &d.Name, &d.Ext, &d.Enabled, &d.TemplatesOnly, &created); err != nil {
			return nil, err
		}
		d.CreatedAt = fromMS(created)
		out = append(out, &d)
	}
	return out, rows.Err()
}

// UpdateDepartment renames, moves or recodes a department below p's own (any
// but the root for a system administrator).
func (db *DB) UpdateDepartment(ctx context.Context, p *app.Principal, id int64, u *app.DepartmentUpdate) (*app.Department, error) {
	defer db.forgetAccess() // changes to keys, departments and signatures take effect at once
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if !p.CanManageOrg() {
		return nil, app.Errorf(app.EFORBIDDEN, "只有系统管理员和部门管理员可以管理组织机构")
	}
	var d app.Department
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := reachable(ctx, tx, p, id, false); err != nil {
			return err
		}
		var created int64
		if err := tx.QueryRowContext(ctx, `select id, coalesce(parent_id, 0), name, ext, enabled, templates_only, created_at from departments where id = ?`, id).Scan(
			&d.ID, &d.ParentID, &d.Name, &d.Ext, &d.Enabled, &d.TemplatesOnly, &created); err != nil {
			return err
		}
		d.CreatedAt = fromMS(created)
		if u.Name != nil {
			d.Name = strings.TrimSpace(*u.Name)
		}
		if u.TemplatesOnly != nil {
			d.TemplatesOnly = *u.TemplatesOnly
		}
		if u.Enabled != nil {
			if id == app.RootDepartmentID && !*u.Enabled {
				return app.FieldError("enabled", "根部门不能停用")
			}
			d.Enabled = *u.Enabled
		}
		if u.Ext != nil && *u.Ext != d.Ext {
			if err := extFree(ctx, tx, *u.Ext, id, 0); err != nil {
				return err
			}
			d.Ext = *u.Ext
		}
		if u.ParentID != nil && *u.ParentID != d.ParentID {
			if id == app.RootDepartmentID {
				return app.FieldError("parent_id", "根部门不能移动")
			}
			if err := reachable(ctx, tx, p, *u.ParentID, true); err != nil {
				return app.FieldError("parent_id", "上级部门不存在或不在您的管辖范围内")
			}
			var inside bool
			if err := tx.QueryRowContext(ctx, `select ? in (`+subtreeSQL+`)`, *u.ParentID, id).Scan(&inside); err != nil {
				return err
			} else if inside {
				return app.FieldError("parent_id", "不能把部门移到它自己或它的下级部门之下")
			}
			d.ParentID = *u.ParentID
			db.payers.reset() // its sends may draw on another account now
		}
		if err := d.Validate(); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `update departments set name = ?, ext = ?, parent_id = ?, enabled = ?, templates_only = ? where id = ?`,
			d.Name, d.Ext, nullID(d.ParentID), d.Enabled, d.TemplatesOnly, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// DeleteDepartment removes a department that holds nothing.
func (db *DB) DeleteDepartment(ctx context.Context, p *app.Principal, id int64) error {
	defer db.forgetAccess() // changes to keys, departments and signatures take effect at once
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if !p.CanManageOrg() {
		return app.Errorf(app.EFORBIDDEN, "只有系统管理员和部门管理员可以管理组织机构")
	}
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := reachable(ctx, tx, p, id, false); err != nil {
			return err
		}
		if id == app.RootDepartmentID {
			return app.Errorf(app.ECONFLICT, "根部门不能删除")
		}
		for _, c := range []struct{ table, what string }{
			{`departments where parent_id = ?`, "下级部门"}, {`users where department_id = ?`, "用户"},
			{`api_keys where department_id = ?`, "应用"}, {`batches where department_id = ?`, "短信记录"},
			{`templates where department_id = ?`, "模板"}, {`signatures where department_id = ?`, "签名"},
			{`blacklist where department_id = ?`, "黑名单号码"}, {`contacts where department_id = ?`, "通讯录联系人"},
			{`contact_groups where department_id = ?`, "通讯录分组"},
		} {
			var n int
			if err := tx.QueryRowContext(ctx, `select count(*) from `+c.table, id).Scan(&n); err != nil {
				return err
			} else if n > 0 {
				return app.Errorf(app.ECONFLICT, "该部门还有%d条%s，不能删除", n, c.what)
			}
		}
		// Its quota is not thrown away with it (issue 16).
		var balance int64
		if err := tx.QueryRowContext(ctx, `select coalesce(sum(balance), 0) from accounts where department_id = ?`, id).Scan(&balance); err != nil {
			return err
		} else if balance > 0 {
			return app.Errorf(app.ECONFLICT, "该部门账户还有%d条额度，请先划拨或冲正后再删除", balance)
		}
		// Nor its account while messages it paid for may still be refunded
		// (a sub-department's, moved elsewhere since): the refund goes to
		// the account that was charged.
		var open int
		if err := tx.QueryRowContext(ctx, `select count(*) from messages where batch_id in (select id from batches where paid_by = ?)
			and status in ('accepted', 'queued', 'submitting', 'held', 'submitted')`, id).Scan(&open); err != nil {
			return err
		} else if open > 0 {
			return app.Errorf(app.ECONFLICT, "该部门账户付费的短信还有%d条未发送完成，完成后才能删除", open)
		}
		if _, err := tx.ExecContext(ctx, `delete from accounts where department_id = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `delete from departments where id = ?`, id)
		return err
	})
}

// reachable answers ENOTFOUND unless department id exists and p may act on
// it: a system administrator on any, anyone else on departments below its
// own, or (withOwn) its own too.
func reachable(ctx context.Context, q querier, p *app.Principal, id int64, withOwn bool) error {
	var ok bool
	var err error
	switch {
	case p.SeesAll():
		err = q.QueryRowContext(ctx, `select exists (select 1 from departments where id = ?)`, id).Scan(&ok)
	case id == p.DepartmentID:
		ok = withOwn
	default:
		err = q.QueryRowContext(ctx, `select ? in (`+subtreeSQL+`)`, id, p.DepartmentID).Scan(&ok)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	} else if !ok {
		return app.Errorf(app.ENOTFOUND, "部门不存在")
	}
	return nil
}

// extCodesSQL lists every extension code on the platform (code, department,
// department name, app id or 0, department id or 0): the departments' and
// their apps'.
const extCodesSQL = `select k.ext as code, k.department_id, d.name, k.id as app, 0 as dept from api_keys k join departments d on d.id = k.department_id where k.ext != ''
	union all select ext, id, name, 0, id from departments where ext != ''`

// extFree answers ECONFLICT (field ext, naming the department) when a
// department or an app other than the one being changed (exceptDept,
// exceptApp; 0 for none) has ext, a code that begins it, or one it begins:
// the codes stay prefix-free (see app.ExtClash).
func extFree(ctx context.Context, q querier, ext string, exceptDept, exceptApp int64) error {
	if ext == "" {
		return nil
	}
	others, err := extCodes(ctx, q, `(app != ? or app = 0) and (dept != ? or dept = 0)
		and (substr(?, 1, length(code)) = code or substr(code, 1, length(?)) = ?)`, exceptApp, exceptDept, ext, ext, ext)
	if err != nil {
		return err
	}
	if c := app.ExtClash(ext, others); c != nil {
		return app.ExtClashError(ext, c)
	}
	return nil
}

// extCodesBeginning returns the codes that begin ext (ext itself included).
func extCodesBeginning(ctx context.Context, q querier, ext string) ([]app.ExtCode, error) {
	return extCodes(ctx, q, `substr(?, 1, length(code)) = code`, ext)
}

func extCodes(ctx context.Context, q querier, where string, args ...any) ([]app.ExtCode, error) {
	rows, err := q.QueryContext(ctx, `select code, department_id, name from (`+extCodesSQL+`) where `+where+` order by length(code) desc, code`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.ExtCode
	for rows.Next() {
		var c app.ExtCode
		if err := rows.Scan(&c.Code, &c.DepartmentID, &c.Department); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// warnExtClashes logs the extension codes that clash (one the same as or
// the beginning of another department's), which databases from before the
// prefix-free rule may hold. The server still starts: sends that would
// land on another department's code are refused and a reply whose code is
// shared goes to no department (app.ExtOwner), so nothing is misdelivered;
// an administrator recodes one side in 组织机构 (or the app) to end it.
func (db *DB) warnExtClashes(ctx context.Context) error {
	all, err := extCodes(ctx, db.wdb, `1`)
	if err != nil {
		return err
	}
	for i, a := range all {
		for _, b := range all[i+1:] {
			if a.DepartmentID != b.DepartmentID && app.ExtClash(a.Code, []app.ExtCode{b}) != nil {
				db.log.Warn("扩展码冲突：请在组织机构或应用中修改其一 (extension codes clash: one is the other's beginning; recode one)",
					"code", a.Code, "department", a.Department, "other_code", b.Code, "other_department", b.Department)
			}
		}
	}
	return nil
}

// upSQL selects the ids of a department and all its ancestors.
const upSQL = `with recursive up(id, parent_id) as (
		select id, parent_id from departments where id = ?
		union select d.id, d.parent_id from departments d join up on d.id = up.parent_id)
	select id from up`

// departmentActive reports whether a department and every one above it is
// enabled.
func departmentActive(ctx context.Context, q querier, id int64) (bool, error) {
	var disabled int
	err := q.QueryRowContext(ctx, `select count(*) from departments where enabled = 0 and id in (`+upSQL+`)`, id).Scan(&disabled)
	return disabled == 0, err
}
