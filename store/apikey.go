package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"smsgw/app"
)

// CreateAPIKey stores a new API key and returns its secret, which is kept
// only as a hash.
func (db *DB) CreateAPIKey(ctx context.Context, k *app.APIKey) (string, error) {
	if err := db.enter(); err != nil {
		return "", err
	}
	defer db.leave()
	if len(k.Scopes) == 0 {
		k.Scopes = []string{app.ScopeSend, app.ScopeQuery}
	}
	if k.RateLimit == 0 {
		k.RateLimit = 100
	}
	if err := k.Validate(); err != nil {
		return "", err
	}
	secret, key := randomHex(32), "ak_"+randomHex(8)
	sealed, err := db.box.seal(secret)
	if err != nil {
		return "", err
	}
	k.Key, k.Enabled, k.CreatedAt = key, true, db.now()
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// SQLite's foreign key errors do not say which key: check each.
		if err := mustExist(ctx, tx, `departments`, k.DepartmentID, "department_id", "部门不存在"); err != nil {
			return err
		}
		if k.UserID != 0 {
			if err := mustExist(ctx, tx, `users`, k.UserID, "user_id", "用户不存在"); err != nil {
				return err
			}
		}
		if err := extFree(ctx, tx, k.Ext, 0, 0); err != nil {
			return err
		}
		id, err := db.nextID(ctx, tx, "api_keys")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `insert into api_keys (id, name, key, secret_hash, secret_enc, department_id, user_id, role, scopes, allow_free_text, ext, rate_limit, ip_allowlist, callback_url, enabled, created_at)
			values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`, id, k.Name, k.Key, hashToken(secret), sealed, k.DepartmentID, nullID(k.UserID),
			string(k.Role), strings.Join(k.Scopes, ","), k.AllowFreeText, k.Ext, k.RateLimit, strings.Join(k.IPAllowlist, ","), k.CallbackURL, ms(k.CreatedAt))
		if err != nil {
			return err
		}
		k.ID = id
		return nil
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// Authenticate returns the principal behind a Bearer secret.
func (db *DB) Authenticate(ctx context.Context, secret string) (*app.Principal, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	p, _, err := db.findPrincipal(ctx, `k.secret_hash = ?`, hashToken(secret))
	return p, err
}

// AuthenticateSigned returns the principal of a signed request: its key
// known and enabled, its signature made with the key's secret within the
// time window, and its nonce not seen before.
func (db *DB) AuthenticateSigned(ctx context.Context, r *app.SignedRequest) (*app.Principal, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	p, sealed, err := db.findPrincipal(ctx, `k.key = ?`, r.Key)
	if err != nil {
		return nil, err
	}
	secret, err := db.box.open(sealed)
	if err != nil || secret == "" {
		return nil, app.Errorf(app.EUNAUTHORIZED, "该密钥不能用于签名请求：请重新生成密钥")
	}
	now := db.now()
	if err := r.Verify(secret, now); err != nil {
		return nil, err
	}
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `insert into nonces (api_key_id, nonce, expires_at) values (?, ?, ?)`,
			p.APIKeyID, r.Nonce, ms(now.Add(2*app.SignatureWindow)))
		return uniqueError(err, "nonce")
	})
	if app.ErrorCode(err) == app.ECONFLICT {
		return nil, app.Errorf(app.EUNAUTHORIZED, "X-Smsgw-Nonce 已使用过 (replayed request)")
	} else if err != nil {
		return nil, err
	}
	return p, nil
}

// findPrincipal loads the enabled API key matching cond, with its sealed
// secret. Errors: EUNAUTHORIZED.
func (db *DB) findPrincipal(ctx context.Context, cond string, arg any) (*app.Principal, string, error) {
	key := cond + "\x00" + fmt.Sprint(arg)
	if e, ok := db.principals.get(key); ok {
		p := e.p // a copy: callers may not change the cached one
		return &p, e.sealed, nil
	}
	p, sealed, err := db.lookupPrincipal(ctx, cond, arg)
	if err == nil {
		db.principals.put(key, principalEntry{*p, sealed})
	}
	return p, sealed, err
}

type principalEntry struct {
	p      app.Principal
	sealed string
}

func (db *DB) lookupPrincipal(ctx context.Context, cond string, arg any) (*app.Principal, string, error) {
	p := &app.Principal{}
	var role, scopes, sealed string
	var userID sql.NullInt64
	var enabled bool
	var allow string
	var active bool     // its department and every one above it enabled
	var userActive bool // its user, if it has one, enabled
	err := db.reads.row(ctx, `select k.id, k.department_id, k.user_id, k.role, k.scopes, k.allow_free_text, k.enabled,
			case when k.ext != '' then k.ext else d.ext end, k.rate_limit, k.secret_enc, k.ip_allowlist
			, not exists (select 1 from departments where enabled = 0 and id in (`+strings.Replace(upSQL, "?", "k.department_id", 1)+`))
			, not exists (select 1 from users where id = k.user_id and enabled = 0)
		from api_keys k join departments d on d.id = k.department_id where `+cond, arg).Scan(
		&p.APIKeyID, &p.DepartmentID, &userID, &role, &scopes, &p.AllowFreeText, &enabled, &p.Ext, &p.RateLimit, &sealed, &allow, &active, &userActive)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (!enabled || !active) {
		return nil, "", app.Errorf(app.EUNAUTHORIZED, "API 密钥无效或已停用 (invalid or disabled API key)")
	} else if err == nil && !userActive {
		return nil, "", app.Errorf(app.EUNAUTHORIZED, "应用绑定的用户已停用，应用不能调用接口 (the app's user is disabled)")
	} else if err != nil {
		return nil, "", err
	}
	p.UserID, p.Role = userID.Int64, app.Role(role)
	if scopes != "" {
		p.Scopes = strings.Split(scopes, ",")
	}
	if allow != "" {
		p.AllowedIPs = strings.Split(allow, ",")
	}
	return p, sealed, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

// foreignKeyError turns a foreign key violation into an EINVALID naming field.
func foreignKeyError(err error, field, msg string) error {
	if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
		return app.FieldError(field, "%s", msg)
	}
	return err
}

// uniqueError turns a unique constraint violation into ECONFLICT.
func uniqueError(err error, msg string) error {
	if err != nil && strings.Contains(err.Error(), "UNIQUE constraint") {
		return app.Errorf(app.ECONFLICT, "%s", msg)
	}
	return err
}

// mustExist answers EINVALID naming field when table has no row with id.
// table is always a constant of the caller, never input.
func mustExist(ctx context.Context, q querier, table string, id int64, field, msg string) error {
	var n int
	if err := q.QueryRowContext(ctx, `select count(*) from `+table+` where id = ?`, id).Scan(&n); err != nil {
		return err
	} else if n == 0 {
		return app.FieldError(field, "%s", msg)
	}
	return nil
}

// CreateApp creates an API key for p: in a department p reaches, with a
// role and scopes p could hold itself.
func (db *DB) CreateApp(ctx context.Context, p *app.Principal, k *app.APIKey) (string, error) {
	if !p.CanManageOrg() {
		return "", app.Errorf(app.EFORBIDDEN, "只有系统管理员和部门管理员可以创建应用")
	}
	if k.DepartmentID == 0 {
		k.DepartmentID = p.DepartmentID
	}
	if k.Role == "" {
		k.Role = app.RoleDeptAdmin
	}
	if !p.Role.Outranks(k.Role) {
		return "", app.FieldError("role", "不能授予高于自己的角色")
	}
	if err := p.MayGrant(k.Role, k.DepartmentID); err != nil {
		return "", err
	}
	if err := reachable(ctx, db.rdb, p, k.DepartmentID, true); err != nil {
		return "", app.FieldError("department_id", "部门不存在或不在您的管辖范围内")
	}
	if err := p.MayGrantScopes(k.Scopes, k.AllowFreeText); err != nil {
		return "", err
	}
	if k.UserID != 0 {
		// The app acts for its user: one of its own subtree, so within
		// the caller's reach too.
		var ok bool
		err := db.rdb.QueryRowContext(ctx, `select exists (select 1 from users where id = ? and department_id in (`+subtreeSQL+`))`,
			k.UserID, k.DepartmentID).Scan(&ok)
		if err != nil {
			return "", err
		} else if !ok {
			return "", app.FieldError("user_id", "用户不存在或不在应用所属部门及其下级部门中")
		}
	}
	return db.CreateAPIKey(ctx, k)
}

// FindApps lists the apps in the departments p reaches, without secrets.
func (db *DB) FindApps(ctx context.Context, p *app.Principal) ([]*app.APIKey, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if !p.CanManageOrg() {
		return nil, app.Errorf(app.EFORBIDDEN, "只有系统管理员和部门管理员可以查看应用")
	}
	where, args := `1`, []any{}
	if !p.SeesAll() {
		where, args = `department_id in (`+subtreeSQL+`)`, []any{p.DepartmentID}
	}
	rows, err := db.rdb.QueryContext(ctx, `select id, name, key, department_id, coalesce(user_id, 0), role, scopes, allow_free_text,
		ext, rate_limit, ip_allowlist, callback_url, enabled, created_at from api_keys where `+where+` order by id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*app.APIKey
	for rows.Next() {
		var k app.APIKey
		var role, scopes, allow string
		var created int64
		if err := rows.Scan(&k.ID, &k.Name, &k.Key, &k.DepartmentID, &k.UserID, &role, &scopes, &k.AllowFreeText,
			&k.Ext, &k.RateLimit, &allow, &k.CallbackURL, &k.Enabled, &created); err != nil {
			return nil, err
		}
		k.Role, k.CreatedAt = app.Role(role), fromMS(created)
		k.Scopes, k.IPAllowlist = splitList(scopes), splitList(allow)
		out = append(out, &k)
	}
	return out, rows.Err()
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// findApp loads one app that p manages. Errors: ENOTFOUND.
func (db *DB) findApp(ctx context.Context, p *app.Principal, id int64) (*app.APIKey, error) {
	list, err := db.FindApps(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, k := range list {
		if k.ID == id && p.Role.Outranks(k.Role) {
			return k, nil
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "应用不存在")
}

// UpdateApp enables, disables or retunes an app p manages.
func (db *DB) UpdateApp(ctx context.Context, p *app.Principal, id int64, u *app.AppUpdate) (*app.APIKey, error) {
	defer db.forgetAccess() // changes to keys, departments and signatures take effect at once
	k, err := db.findApp(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if u.Enabled != nil {
		k.Enabled = *u.Enabled
	}
	if u.RateLimit != nil {
		k.RateLimit = *u.RateLimit
	}
	if u.AllowFreeText != nil {
		k.AllowFreeText = *u.AllowFreeText
	}
	if u.Scopes != nil {
		k.Scopes = *u.Scopes
	}
	// Only what changes is checked: an administrator may retune an app
	// that holds more than it without taking anything away.
	var scopes []string
	if u.Scopes != nil {
		scopes = k.Scopes
	}
	if err := p.MayGrantScopes(scopes, u.AllowFreeText != nil && *u.AllowFreeText); err != nil {
		return nil, err
	}
	if u.IPAllowlist != nil {
		k.IPAllowlist = *u.IPAllowlist
	}
	if u.CallbackURL != nil {
		k.CallbackURL = *u.CallbackURL
	}
	newExt := u.Ext != nil && *u.Ext != k.Ext
	if newExt {
		k.Ext = *u.Ext
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if newExt {
			if err := extFree(ctx, tx, k.Ext, 0, id); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `update api_keys set enabled = ?, rate_limit = ?, allow_free_text = ?, scopes = ?,
			ip_allowlist = ?, ext = ?, callback_url = ? where id = ?`, k.Enabled, k.RateLimit, k.AllowFreeText, strings.Join(k.Scopes, ","),
			strings.Join(k.IPAllowlist, ","), k.Ext, k.CallbackURL, id)
		if err == nil && k.CallbackURL == "" { // nowhere to go: what is owed is given up
			_, err = tx.ExecContext(ctx, `update callbacks set next_at = 0, last_error = 'callback_url removed' where api_key_id = ? and next_at > 0`, id)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// RotateSecret gives an app a new secret; the old one fails from now on.
func (db *DB) RotateSecret(ctx context.Context, p *app.Principal, id int64) (string, error) {
	defer db.forgetAccess() // changes to keys, departments and signatures take effect at once
	if _, err := db.findApp(ctx, p, id); err != nil {
		return "", err
	}
	if err := db.enter(); err != nil {
		return "", err
	}
	defer db.leave()
	secret := randomHex(32)
	sealed, err := db.box.seal(secret)
	if err != nil {
		return "", err
	}
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `update api_keys set secret_hash = ?, secret_enc = ? where id = ?`, hashToken(secret), sealed, id)
		return err
	})
	return secret, err
}
