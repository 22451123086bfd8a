package store_test

import (
	"context"
	"strings"
	"testing"

	"smsgw/app"
)

// TestUsers pins console accounts: stored with a hashed password, unique
// names, and fields named on error.
func TestUsers(t *testing.T) {
	ctx := context.Background()

	t.Run("CreateThenFindByUsername", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		u := &app.User{DepartmentID: app.RootDepartmentID, Username: "zhangsan", DisplayName: "张三", Role: app.RoleOperator, MustChangePassword: true}
		if err := db.CreateUser(ctx, nil, u, "correct horse 42"); err != nil {
			t.Fatal(err)
		}
		got, err := db.FindUserByUsername(ctx, "zhangsan")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || got.ID == 0 || got.DisplayName != "张三" || got.Role != app.RoleOperator || !got.Enabled || !got.MustChangePassword {
			t.Fatalf("found %+v, want %+v", *got, *u)
		}
		var hash string
		if err := MustRawDB(t, path).QueryRow(`select password_hash from users where id = ?`, u.ID).Scan(&hash); err != nil {
			t.Fatal(err)
		} else if strings.Contains(hash, "correct horse 42") || !strings.HasPrefix(hash, "$2") {
			t.Fatalf("password stored as %q: want a bcrypt hash", hash)
		}
	})

	t.Run("UnknownUsernameIsNotFound", func(t *testing.T) {
		db := MustOpenDB(t)
		_, err := db.FindUserByUsername(ctx, "nobody")
		wantCode(t, err, app.ENOTFOUND)
	})

	t.Run("DuplicateUsernameIsConflict", func(t *testing.T) {
		db := MustOpenDB(t)
		u := app.User{DepartmentID: 1, Username: "lisi", Role: app.RoleAuditor}
		first, second := u, u
		if err := db.CreateUser(ctx, nil, &first, "password1"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.CreateUser(ctx, nil, &second, "password2"), app.ECONFLICT)
	})

	t.Run("RejectsBadFields", func(t *testing.T) {
		db := MustOpenDB(t)
		tests := []struct {
			field    string
			user     app.User
			password string
		}{
			{"username", app.User{DepartmentID: 1, Username: " ", Role: app.RoleOperator}, "password1"},
			{"role", app.User{DepartmentID: 1, Username: "a", Role: "god"}, "password1"},
			{"department_id", app.User{Username: "a", Role: app.RoleOperator}, "password1"},
			{"department_id", app.User{DepartmentID: 99, Username: "a", Role: app.RoleOperator}, "password1"},
			{"password", app.User{DepartmentID: 1, Username: "a", Role: app.RoleOperator}, "short"},
		}
		for _, tt := range tests {
			t.Run(tt.field, func(t *testing.T) {
				wantField(t, db.CreateUser(ctx, nil, &tt.user, tt.password), tt.field)
			})
		}
	})
}

// TestSignatures pins which signatures a sender may use.
func TestSignatures(t *testing.T) {
	ctx := context.Background()

	t.Run("RejectsDuplicateEmptyNameAndUnknownDepartment", func(t *testing.T) {
		db := MustOpenDB(t)
		MustSignature(t, db)
		wantCode(t, db.CreateSignature(ctx, &app.Signature{DepartmentID: 1, Name: signature}), app.ECONFLICT)
		wantField(t, db.CreateSignature(ctx, &app.Signature{DepartmentID: 1}), "name")
		wantField(t, db.CreateSignature(ctx, &app.Signature{DepartmentID: 99, Name: "无主"}), "department_id")
	})

	t.Run("OnlyApprovedSignaturesOfOwnOrAncestorDepartmentsSend", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		MustDepartments(t, path)
		for _, s := range []app.Signature{
			{DepartmentID: deptA, Name: "一处", Approved: true},
			{DepartmentID: deptB, Name: "二处", Approved: true},
			{DepartmentID: deptA1, Name: "待审", Approved: false},
		} {
			if err := db.CreateSignature(ctx, &s); err != nil {
				t.Fatal(err)
			}
		}
		leaf := &app.Principal{UserID: 31, DepartmentID: deptA1, Role: app.RoleOperator}
		if _, err := db.Send(ctx, leaf, &app.SendRequest{To: numbers(0, 1), Content: "【一处】通知"}); err != nil {
			t.Fatalf("parent department's signature: %v", err)
		}
		for _, content := range []string{"【二处】通知", "【待审】通知"} {
			_, err := db.Send(ctx, leaf, &app.SendRequest{To: numbers(0, 1), Content: content})
			wantCodeField(t, err, app.ESIGNATURE_NOT_APPROVED, "content")
		}
		for _, content := range []string{"【】通知", "【一处通知"} {
			_, err := db.Send(ctx, leaf, &app.SendRequest{To: numbers(0, 1), Content: content})
			wantField(t, err, "content")
		}
		// A parent may not use its child's signature either.
		parent := &app.Principal{UserID: 21, DepartmentID: deptA, Role: app.RoleOperator}
		if err := db.CreateSignature(ctx, &app.Signature{DepartmentID: deptA1, Name: "一科", Approved: true}); err != nil {
			t.Fatal(err)
		}
		_, err := db.Send(ctx, parent, &app.SendRequest{To: numbers(0, 1), Content: "【一科】通知"})
		wantCodeField(t, err, app.ESIGNATURE_NOT_APPROVED, "content")
	})
}
