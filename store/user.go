package store

import (
	"context"
	"database/sql"
	"errors"

	"golang.org/x/crypto/bcrypt"

	"smsgw/app"
)

// CreateUser stores a console user with a bcrypt-hashed password.
func (db *DB) CreateUser(ctx context.Context, u *app.User, password string) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if err := u.Validate(); err != nil {
		return err
	} else if len(password) < 8 {
		return app.FieldError("password", "密码至少8位")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	u.Enabled, u.CreatedAt = true, db.now()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `insert into users (department_id, username, display_name, password_hash, role, enabled, must_change_password, created_at)
			values (?, ?, ?, ?, ?, 1, ?, ?)`, u.DepartmentID, u.Username, u.DisplayName, string(hash), string(u.Role), u.MustChangePassword, ms(u.CreatedAt))
		if err != nil {
			return uniqueError(foreignKeyError(err, "department_id", "部门不存在"), "用户名已存在")
		}
		u.ID, err = r.LastInsertId()
		return err
	})
}

// FindUserByUsername returns one user.
func (db *DB) FindUserByUsername(ctx context.Context, username string) (*app.User, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	var u app.User
	var role string
	var created int64
	err := db.rdb.QueryRowContext(ctx, `select id, department_id, username, display_name, role, enabled, must_change_password, created_at
		from users where username = ?`, username).Scan(&u.ID, &u.DepartmentID, &u.Username, &u.DisplayName, &role, &u.Enabled, &u.MustChangePassword, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "用户不存在")
	} else if err != nil {
		return nil, err
	}
	u.Role, u.CreatedAt = app.Role(role), fromMS(created)
	return &u, nil
}

// CreateSignature stores a sender signature.
func (db *DB) CreateSignature(ctx context.Context, s *app.Signature) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if s.Name == "" {
		return app.FieldError("name", "签名不能为空")
	}
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `insert into signatures (department_id, name, approved, created_at) values (?, ?, ?, ?)`,
			s.DepartmentID, s.Name, s.Approved, ms(db.now()))
		if err != nil {
			return uniqueError(foreignKeyError(err, "department_id", "部门不存在"), "签名已存在")
		}
		s.ID, err = r.LastInsertId()
		return err
	})
}
