package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"smsgw/app"
)

// mayManageUser answers EFORBIDDEN unless p may give a user of department
// dept the role role (nil p: the platform itself may).
func mayManageUser(ctx context.Context, q querier, p *app.Principal, dept int64, role app.Role) error {
	if p == nil {
		return nil
	}
	if !p.CanManageOrg() {
		return app.Errorf(app.EFORBIDDEN, "只有系统管理员和部门管理员可以管理用户")
	}
	if !p.Role.Outranks(role) {
		return app.FieldError("role", "不能授予高于自己的角色")
	}
	if err := p.MayGrant(role, dept); err != nil {
		return err
	}
	if err := reachable(ctx, q, p, dept, true); err != nil {
		return app.FieldError("department_id", "部门不存在或不在您的管辖范围内")
	}
	return nil
}

// CreateUser stores a console user with a bcrypt-hashed password.
func (db *DB) CreateUser(ctx context.Context, p *app.Principal, u *app.User, password string) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if err := u.Validate(); err != nil {
		return err
	} else if err := app.ValidatePassword(u.Username, password); err != nil {
		return err
	} else if err := mayManageUser(ctx, db.rdb, p, u.DepartmentID, u.Role); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	u.Enabled, u.CreatedAt = true, db.now()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		id, err := db.nextID(ctx, tx, "users")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `insert into users (id, department_id, username, display_name, password_hash, role, enabled, must_change_password, created_at)
			values (?, ?, ?, ?, ?, ?, 1, ?, ?)`, id, u.DepartmentID, u.Username, u.DisplayName, string(hash), string(u.Role), u.MustChangePassword, ms(u.CreatedAt))
		if err != nil {
			return uniqueError(foreignKeyError(err, "department_id", "部门不存在"), "用户名已存在")
		}
		u.ID = id
		return nil
	})
}

const userColumns = `id, department_id, username, display_name, role, enabled, must_change_password, session_version, created_at`

// prefixed qualifies each of a column list's names with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

func scanUser(row interface{ Scan(...any) error }, extra ...any) (*app.User, error) {
	var u app.User
	var role string
	var created int64
	dest := append([]any{&u.ID, &u.DepartmentID, &u.Username, &u.DisplayName, &role, &u.Enabled, &u.MustChangePassword,
		&u.SessionVersion, &created}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	u.Role, u.CreatedAt = app.Role(role), fromMS(created)
	return &u, nil
}

// FindUserByUsername returns one user.
func (db *DB) FindUserByUsername(ctx context.Context, username string) (*app.User, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	u, err := scanUser(db.rdb.QueryRowContext(ctx, `select `+userColumns+` from users where username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "用户不存在")
	}
	return u, err
}

// FindUsers lists the users of the departments p manages.
func (db *DB) FindUsers(ctx context.Context, p *app.Principal) ([]*app.User, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if !p.CanManageOrg() && p.Role != app.RoleAuditor {
		return nil, app.Errorf(app.EFORBIDDEN, "只有管理员和审计员可以查看用户")
	}
	where, args := `1`, []any{}
	if !p.ReadsPlatform() { // an auditor reads its department's subtree
		where, args = `department_id in (`+subtreeSQL+`)`, []any{p.DepartmentID}
	}
	rows, err := db.rdb.QueryContext(ctx, `select `+userColumns+` from users where `+where+` order by id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*app.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser enables, disables, re-roles or resets the password of a user p
// manages. A reset password must be changed at the next login.
func (db *DB) UpdateUser(ctx context.Context, p *app.Principal, id int64, upd *app.UserUpdate) (*app.User, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	u, err := scanUser(db.rdb.QueryRowContext(ctx, `select `+userColumns+` from users where id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "用户不存在")
	} else if err != nil {
		return nil, err
	}
	// The caller must manage the user as it is, and as it will be.
	if err := mayManageUser(ctx, db.rdb, p, u.DepartmentID, u.Role); err != nil {
		if app.ErrorCode(err) == app.EINVALID {
			return nil, app.Errorf(app.ENOTFOUND, "用户不存在")
		}
		return nil, err
	}
	if upd.Role != nil {
		if err := mayManageUser(ctx, db.rdb, p, u.DepartmentID, *upd.Role); err != nil {
			return nil, err
		}
		u.Role = *upd.Role
	}
	if upd.Enabled != nil {
		u.Enabled = *upd.Enabled
	}
	var hash []byte
	if upd.Password != nil {
		if err := app.ValidatePassword(u.Username, *upd.Password); err != nil {
			return nil, err
		}
		if hash, err = bcrypt.GenerateFromPassword([]byte(*upd.Password), bcrypt.DefaultCost); err != nil {
			return nil, err
		}
		u.MustChangePassword = p != nil // an administrator's reset; the CLI sets it for good
	}
	defer db.forgetAccess() // an app bound to a disabled user stops at once
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Disabling a user or setting its password ends its sessions.
		revoke := 0
		if !u.Enabled || len(hash) > 0 {
			revoke = 1
		}
		_, err := tx.ExecContext(ctx, `update users set role = ?, enabled = ?, must_change_password = ?,
				password_hash = case when ? = '' then password_hash else ? end,
				session_version = session_version + ? where id = ?`,
			string(u.Role), u.Enabled, u.MustChangePassword, string(hash), string(hash), revoke, id)
		if err != nil {
			return err
		}
		// An administrator's change unlocks the account.
		_, err = tx.ExecContext(ctx, `delete from login_attempts where username = ?`, attemptKey(u.Username))
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
