package store

import (
	"context"

	"smsgw/app"
)

// Who sees and changes which address book (通讯录). The rules in words, for
// a caller p of department D:
//
//   - personal: only its owner, whatever the role (a system administrator
//     does not read others' personal books), and only in the console: an
//     administrator can bind an API app to a user it manages, so an app
//     never reaches a personal book;
//   - org: the contacts of D and of every department above it (a
//     department's org book serves its whole subtree), and, for an
//     administrator or an auditor, those of every department below D;
//     changed by the administrators who reach the department;
//   - customer: the contacts of D, and, for an administrator or an auditor,
//     those of every department below; changed by D's members and the
//     administrators who reach it.
//
// A system administrator reaches every department. Auditors read and never
// change. An API app needs scope contacts (or admin).

// bookSeen is the SQL condition (over columns book, department_id,
// owner_id) selecting the contacts or groups p sees, and its arguments.
func bookSeen(p *app.Principal) (string, []any) {
	personal := `(book = 'personal' and owner_id = ? and owner_id != 0)`
	if p.APIKeyID != 0 {
		personal = `(0 and ? = 0)` // an app sees no personal book; the argument keeps the order
	}
	if p.SeesAll() {
		return `(book != 'personal' or ` + personal + `)`, []any{p.UserID}
	}
	if readsBelow(p) {
		return `(` + personal + ` or (book = 'org' and (department_id in (` + upSQL + `) or department_id in (` + subtreeSQL + `)))
			or (book = 'customer' and department_id in (` + subtreeSQL + `)))`,
			[]any{p.UserID, p.DepartmentID, p.DepartmentID, p.DepartmentID}
	}
	return `(` + personal + ` or (book = 'org' and department_id in (` + upSQL + `))
		or (book = 'customer' and department_id = ?))`, []any{p.UserID, p.DepartmentID, p.DepartmentID}
}

// readsBelow reports whether p reads the books of the departments below
// its own: administrators and auditors.
func readsBelow(p *app.Principal) bool {
	return p.Role == app.RoleDeptAdmin || p.Role == app.RoleAuditor
}

// mayReadBooks answers EFORBIDDEN for an API app without scope contacts
// (or admin, as for the blacklist).
func mayReadBooks(p *app.Principal) error {
	if !p.HasScope(app.ScopeContacts) && !p.HasScope(app.ScopeAdmin) {
		return app.Errorf(app.EFORBIDDEN, "该应用没有通讯录权限 (scope contacts)")
	}
	return nil
}

// mayWriteBook answers whether p may change the book (kind, dept, owner)
// that it sees: EFORBIDDEN when it may read but not change it, ENOTFOUND
// when the book is out of its reach altogether.
func mayWriteBook(ctx context.Context, q querier, p *app.Principal, book app.Book, dept, owner int64) error {
	if err := mayReadBooks(p); err != nil {
		return err
	}
	if err := p.MayChange(); err != nil {
		return err
	}
	if book == app.BookPersonal {
		if owner == 0 || owner != p.UserID || p.APIKeyID != 0 {
			return app.Errorf(app.ENOTFOUND, "通讯录不存在")
		}
		return nil
	}
	if p.SeesAll() {
		return nil
	}
	admin := p.Role == app.RoleDeptAdmin
	if admin {
		if err := reachable(ctx, q, p, dept, true); err == nil {
			return nil
		} else if app.ErrorCode(err) != app.ENOTFOUND {
			return err
		}
	}
	if book == app.BookCustomer {
		if dept == p.DepartmentID {
			return nil
		}
		return app.Errorf(app.ENOTFOUND, "通讯录不存在")
	}
	// An org book above p serves p; only its administrators change it.
	var above bool
	if err := q.QueryRowContext(ctx, `select ? in (`+upSQL+`)`, dept, p.DepartmentID).Scan(&above); err != nil {
		return err
	}
	if above {
		return app.Errorf(app.EFORBIDDEN, "只有该部门的管理员可以修改单位机构通讯录")
	}
	return app.Errorf(app.ENOTFOUND, "通讯录不存在")
}

// bookOf fills in the department and owner of a new contact's or group's
// book: a personal book is the caller's own (it needs a user), the others
// belong to dept (0: the caller's department).
func bookOf(p *app.Principal, book app.Book, dept int64) (int64, int64, error) {
	if book == app.BookPersonal {
		if p.UserID == 0 || p.APIKeyID != 0 {
			return 0, 0, app.FieldError("book", "个人通讯录只能由本人在控制台中使用，应用不能读写")
		}
		return p.DepartmentID, p.UserID, nil
	}
	if dept == 0 {
		dept = p.DepartmentID
	}
	return dept, 0, nil
}
