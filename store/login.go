package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"golang.org/x/crypto/bcrypt"

	"smsgw/app"
)

// dummyHash is compared against when the user is unknown, so an unknown
// user costs the same bcrypt work as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user, no such password"), bcrypt.DefaultCost)

func errLogin() error { return app.Errorf(app.EUNAUTHORIZED, "用户名或密码错误") }

// attemptKey is the username as login_attempts keys it: as typed, or a
// hash of it when it is longer than any username may be, so that a
// megabyte typed into the form is not stored.
func attemptKey(username string) string {
	if len(username) <= 64 {
		return username
	}
	sum := sha256.Sum256([]byte(username))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Login checks a console login. Each attempt is counted in one write
// before its password is checked (the single writer puts concurrent
// attempts in a row), so MaxFailedLogins attempts lock the name however
// many arrive at once, and only they reach bcrypt's verdict; a success
// clears the count. Names are counted whether or not a user has them, and
// every answer costs one bcrypt comparison, so neither the answer nor its
// time says which names exist. The bcrypt work happens outside the writer,
// which it would otherwise hold up for everyone.
func (db *DB) Login(ctx context.Context, username, password string) (*app.User, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	now, key := db.now(), attemptKey(username)
	var locked bool
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		locked = false // fn may run again after a failed batch
		lapsed := ms(now.Add(-app.LockMinutes * time.Minute))
		if _, err := tx.ExecContext(ctx, `delete from login_attempts where last_at < ? and locked_until < ?`, lapsed, ms(now)); err != nil {
			return err
		}
		var failed int
		var until int64
		err := tx.QueryRowContext(ctx, `select failed, locked_until from login_attempts where username = ?`, key).Scan(&failed, &until)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if until > ms(now) {
			locked = true
			return nil
		} else if until != 0 {
			failed = 0 // the lock has lapsed: a fresh count
		}
		failed, until = failed+1, 0
		if failed >= app.MaxFailedLogins {
			until = ms(now.Add(app.LockMinutes * time.Minute))
		}
		_, err = tx.ExecContext(ctx, `insert into login_attempts (username, failed, locked_until, last_at) values (?, ?, ?, ?)
			on conflict (username) do update set failed = excluded.failed, locked_until = excluded.locked_until, last_at = excluded.last_at`,
			key, failed, until, ms(now))
		return err
	})
	if err != nil {
		return nil, err
	}

	hash := string(dummyHash)
	u, err := scanUser(db.rdb.QueryRowContext(ctx, `select `+userColumns+`, password_hash from users where username = ?`, username), &hash)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	good := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil && known
	if locked {
		// The server's own record (the audit log) says why; the console
		// shows every refusal alike.
		return nil, app.Errorf(app.EFORBIDDEN, "连续输错密码%d次，已锁定%d分钟", app.MaxFailedLogins, app.LockMinutes)
	} else if !good {
		return nil, errLogin()
	}
	if active, err := departmentActive(ctx, db.rdb, u.DepartmentID); err != nil {
		return nil, err
	} else if !active || !u.Enabled {
		return nil, errLogin() // a disabled user, or its department disabled: the same answer
	}
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `delete from login_attempts where username = ?`, key)
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
