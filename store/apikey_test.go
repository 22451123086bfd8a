package store_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"

	"smsgw/app"
)

// TestAPIKeys pins API credentials: a secret shown once, checked by hash.
func TestAPIKeys(t *testing.T) {
	ctx := context.Background()

	t.Run("AuthenticateReturnsThePrincipal", func(t *testing.T) {
		db := MustOpenDB(t)
		k := &app.APIKey{Name: "OA系统", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin,
			Scopes: []string{app.ScopeSend, app.ScopeQuery}, AllowFreeText: true}
		secret, err := db.CreateAPIKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if len(secret) < 32 || k.ID == 0 || !strings.HasPrefix(k.Key, "ak_") || !k.Enabled {
			t.Fatalf("secret %d chars, id %d, key %q, enabled %v", len(secret), k.ID, k.Key, k.Enabled)
		}
		p, err := db.Authenticate(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if p.APIKeyID != k.ID || p.DepartmentID != app.RootDepartmentID || p.Role != app.RoleSysadmin ||
			!p.AllowFreeText || !slices.Equal(p.Scopes, []string{app.ScopeSend, app.ScopeQuery}) {
			t.Fatalf("principal %+v does not match key %+v", *p, *k)
		}
		if !p.HasScope(app.ScopeSend) || p.HasScope(app.ScopeAdmin) {
			t.Fatalf("principal scopes %v: want send and not admin", p.Scopes)
		}
	})

	t.Run("DefaultsToSendAndQueryScopes", func(t *testing.T) {
		db := MustOpenDB(t)
		k := &app.APIKey{Name: "默认", DepartmentID: app.RootDepartmentID, Role: app.RoleOperator}
		secret, err := db.CreateAPIKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		p, err := db.Authenticate(ctx, secret)
		if err != nil {
			t.Fatal(err)
		} else if !slices.Equal(p.Scopes, []string{app.ScopeSend, app.ScopeQuery}) || p.AllowFreeText {
			t.Fatalf("scopes %v free text %v; want send, query and no free text", p.Scopes, p.AllowFreeText)
		}
	})

	t.Run("WrongSecretIsUnauthorized", func(t *testing.T) {
		db := MustOpenDB(t)
		secret, err := db.CreateAPIKey(ctx, &app.APIKey{Name: "一", DepartmentID: 1, Role: app.RoleOperator})
		if err != nil {
			t.Fatal(err)
		}
		for _, wrong := range []string{"", "nonsense", secret[:len(secret)-1], strings.ToUpper(secret), secret + "0"} {
			_, err := db.Authenticate(ctx, wrong)
			wantCode(t, err, app.EUNAUTHORIZED)
		}
	})

	t.Run("DisabledKeyIsUnauthorized", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		k := &app.APIKey{Name: "停用", DepartmentID: 1, Role: app.RoleOperator}
		secret, err := db.CreateAPIKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := MustRawDB(t, path).Exec(`update api_keys set enabled = 0 where id = ?`, k.ID); err != nil {
			t.Fatal(err)
		}
		_, err = db.Authenticate(ctx, secret)
		wantCode(t, err, app.EUNAUTHORIZED)
	})

	t.Run("SecretIsNotStoredInPlainText", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		secret, err := db.CreateAPIKey(ctx, &app.APIKey{Name: "二", DepartmentID: 1, Role: app.RoleOperator})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := MustRawDB(t, path).Query(`select * from api_keys`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if strings.Contains(strings.ToLower(v.String), strings.ToLower(secret)) {
					t.Errorf("column %s holds the secret", cols[i])
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("RejectsBadFields", func(t *testing.T) {
		db := MustOpenDB(t)
		tests := []struct {
			field string
			key   app.APIKey
		}{
			{"name", app.APIKey{Name: " ", DepartmentID: 1, Role: app.RoleOperator}},
			{"department_id", app.APIKey{Name: "x", Role: app.RoleOperator}},
			{"department_id", app.APIKey{Name: "x", DepartmentID: 99, Role: app.RoleOperator}},
			{"role", app.APIKey{Name: "x", DepartmentID: 1, Role: "root"}},
			{"scopes", app.APIKey{Name: "x", DepartmentID: 1, Role: app.RoleOperator, Scopes: []string{"everything"}}},
			{"user_id", app.APIKey{Name: "x", DepartmentID: 1, UserID: 99, Role: app.RoleOperator}},
		}
		for _, tt := range tests {
			t.Run(tt.field, func(t *testing.T) {
				_, err := db.CreateAPIKey(ctx, &tt.key)
				wantField(t, err, tt.field)
			})
		}
	})
}
