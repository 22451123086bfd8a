package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"smsgw/app"
)

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	fill := func(t *testing.T) (string, func() (int, error)) {
		db, path := MustOpenDBPath(t)
		for i := 0; i < 5; i++ {
			if err := db.Audit(ctx, &app.AuditEntry{Actor: "api", Action: "POST /api/v1/channels", Target: fmt.Sprint(i), Result: "ok"}); err != nil {
				t.Fatal(err)
			}
		}
		return path, func() (int, error) { return db.VerifyAudit(ctx) }
	}
	t.Run("IntactChainVerifies", func(t *testing.T) {
		_, verify := fill(t)
		if n, err := verify(); err != nil || n != 5 {
			t.Fatalf("verified %d entries, %v; want 5 and no error", n, err)
		}
	})
	for name, tamper := range map[string]string{
		"EditedEntryIsFound":        `update audit_log set summary = 'nothing happened' where id = 3`,
		"DeletedEntryIsFound":       `delete from audit_log where id = 2`,
		"RehashedAloneIsStillFound": `update audit_log set target = 'x', hash = '` + strings.Repeat("a", 64) + `' where id = 3`,
	} {
		t.Run(name, func(t *testing.T) {
			path, verify := fill(t)
			if _, err := MustRawDB(t, path).Exec(tamper); err != nil {
				t.Fatal(err)
			}
			if _, err := verify(); err == nil {
				t.Fatal("tampering went unnoticed")
			}
		})
	}
	t.Run("WhoSeesWhat", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		MustDepartments(t, path)
		for _, dept := range []int64{deptA, deptB} {
			if err := db.Audit(ctx, &app.AuditEntry{DepartmentID: dept, Action: "PATCH /api/v1/departments/:id"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			p    *app.Principal
			want int
		}{
			{&app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}, 2},
			{&app.Principal{Role: app.RoleAuditor, DepartmentID: app.RootDepartmentID}, 2},
			{&app.Principal{Role: app.RoleAuditor, DepartmentID: deptA}, 1}, // its subtree only (issue 14, item 2)
			{&app.Principal{Role: app.RoleDeptAdmin, DepartmentID: deptA}, 1},
			{&app.Principal{Role: app.RoleOperator, DepartmentID: deptA}, -1},
		} {
			list, _, err := db.FindAudit(ctx, tt.p, app.AuditFilter{})
			if tt.want < 0 {
				wantCode(t, err, app.EFORBIDDEN)
			} else if err != nil || len(list) != tt.want {
				t.Errorf("%s sees %d entries (%v), want %d", tt.p.Role, len(list), err, tt.want)
			}
		}
	})
}
