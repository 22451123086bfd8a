package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"golang.org/x/crypto/bcrypt"

	"smsgw/app"
)

// dummyHash is compared against when the user is unknown, so an unknown
// user costs the same bcrypt work as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user, no such password"), bcrypt.DefaultCost)

func errLogin() error { return app.Errorf(app.EUNAUTHORIZED, "用户名或密码错误") }

// Login checks a console login. The bcrypt work happens outside the writer,
// which it would otherwise hold up for everyone.
func (db *DB) Login(ctx context.Context, username, password string) (*app.User, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	var hash string
	var locked int64
	u, err := scanUser(db.rdb.QueryRowContext(ctx, `select `+userColumns+`, password_hash, locked_until from users where username = ?`, username),
		&hash, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, errLogin()
	} else if err != nil {
		return nil, err
	}
	good := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	if active, err := departmentActive(ctx, db.rdb, u.DepartmentID); err != nil {
		return nil, err
	} else if !active {
		u.Enabled = false // its department is disabled: the same answer as a disabled user
	}
	now := db.now()
	if locked > ms(now) {
		return nil, app.Errorf(app.EFORBIDDEN, "连续输错密码%d次，账户已锁定，请于%s后再试", app.MaxFailedLogins,
			fromMS(locked).In(time.FixedZone("CST", 8*3600)).Format("15:04"))
	}
	if !good || !u.Enabled {
		if !good {
			err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `update users set failed_logins = failed_logins + 1,
						locked_until = case when failed_logins + 1 >= ? then ? else locked_until end,
						failed_logins = case when failed_logins + 1 >= ? then 0 else failed_logins + 1 end
					where id = ?`, app.MaxFailedLogins, ms(now.Add(app.LockMinutes*time.Minute)), app.MaxFailedLogins, u.ID)
				return err
			})
			if err != nil {
				return nil, err
			}
		}
		return nil, errLogin()
	}
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `update users set failed_logins = 0 where id = ?`, u.ID)
		return err
	})
	return u, err
}

// ChangePassword checks the old password, sets the new one and ends the
// user's sessions (the caller starts a fresh one).
func (db *DB) ChangePassword(ctx context.Context, userID int64, old, new string) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	var hash string
	u, err := scanUser(db.rdb.QueryRowContext(ctx, `select `+userColumns+`, password_hash from users where id = ?`, userID), &hash)
	if err != nil {
		return errLogin()
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(old)) != nil {
		return app.FieldError("old_password", "原密码不正确")
	}
	if old == new {
		return app.FieldError("password", "新密码不能与原密码相同")
	}
	if err := app.ValidatePassword(u.Username, new); err != nil {
		return err
	}
	next, err := bcrypt.GenerateFromPassword([]byte(new), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `update users set password_hash = ?, must_change_password = 0,
			session_version = session_version + 1 where id = ?`, string(next), userID)
		return err
	})
}

// SessionPrincipal returns a session's user while it is enabled and the
// session's version is current.
func (db *DB) SessionPrincipal(ctx context.Context, userID int64, version int) (*app.User, *app.Principal, error) {
	if err := db.enter(); err != nil {
		return nil, nil, err
	}
	defer db.leave()
	var ext string
	var templatesOnly bool
	u, err := scanUser(db.rdb.QueryRowContext(ctx, `select `+prefixed("u.", userColumns)+`, d.ext, d.templates_only from users u
		join departments d on d.id = u.department_id where u.id = ?`, userID), &ext, &templatesOnly)
	if err != nil || !u.Enabled || u.SessionVersion != version {
		return nil, nil, app.Errorf(app.EUNAUTHORIZED, "登录已失效，请重新登录")
	}
	if active, err := departmentActive(ctx, db.rdb, u.DepartmentID); err != nil || !active {
		return nil, nil, app.Errorf(app.EUNAUTHORIZED, "登录已失效，请重新登录")
	}
	return u, &app.Principal{UserID: u.ID, DepartmentID: u.DepartmentID, Role: u.Role, AllowFreeText: true, TemplatesOnly: templatesOnly, Ext: ext}, nil
}

// Logout ends every session of the user.
func (db *DB) Logout(ctx context.Context, userID int64) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `update users set session_version = session_version + 1 where id = ?`, userID)
		return err
	})
}
