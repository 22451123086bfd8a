package store_test

import (
	"context"
	"slices"
	"testing"

	"smsgw/app"
	"smsgw/store"
)

// The department tree of the scope fixtures: 1 本单位 -> 2 一处 -> 3 一处一科,
// and 1 -> 4 二处.
const (
	deptA  = 2
	deptA1 = 3
	deptB  = 4
)

// MustDepartments inserts the fixture tree under the root department.
func MustDepartments(tb testing.TB, path string) {
	tb.Helper()
	raw := MustRawDB(tb, path)
	MustDepartment(tb, raw, deptA, app.RootDepartmentID, "一处")
	MustDepartment(tb, raw, deptA1, deptA, "一处一科")
	MustDepartment(tb, raw, deptB, app.RootDepartmentID, "二处")
}

// TestFindMessages pins who sees which message, and listing by page and filter.
func TestFindMessages(t *testing.T) {
	ctx := context.Background()

	t.Run("ScopesMessagesByRoleAndDepartment", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		admin := MustSysadmin(t, db)
		MustDepartments(t, path)
		app4 := MustAPIKey(t, db, deptB, app.RoleOperator)
		senders := map[string]*app.Principal{
			"admin": admin,
			"op2":   {UserID: 21, DepartmentID: deptA, Role: app.RoleOperator},
			"op2b":  {UserID: 22, DepartmentID: deptA, Role: app.RoleOperator},
			"op3":   {UserID: 31, DepartmentID: deptA1, Role: app.RoleOperator},
			"op4":   {UserID: 41, DepartmentID: deptB, Role: app.RoleOperator},
			"app4":  app4,
		}
		sent := map[string]int64{} // sender -> its message
		for i, name := range []string{"admin", "op2", "op2b", "op3", "op4", "app4"} {
			sent[name] = MustSend(t, db, senders[name], &app.SendRequest{To: numbers(i, 1), Content: text(name)}).Messages[0].ID
		}

		tests := []struct {
			name  string
			p     *app.Principal
			sees  []string
			hides []string
		}{
			{"SysadminSeesAll", &app.Principal{UserID: 1, DepartmentID: deptB, Role: app.RoleSysadmin},
				[]string{"admin", "op2", "op2b", "op3", "op4", "app4"}, nil},
			{"OperatorSeesOwnOnly", senders["op2"],
				[]string{"op2"}, []string{"admin", "op2b", "op3", "op4", "app4"}},
			{"DeptAdminSeesSubtree", &app.Principal{UserID: 20, DepartmentID: deptA, Role: app.RoleDeptAdmin},
				[]string{"op2", "op2b", "op3"}, []string{"admin", "op4", "app4"}},
			{"DeptAdminOfLeafSeesLeafOnly", &app.Principal{UserID: 30, DepartmentID: deptA1, Role: app.RoleDeptAdmin},
				[]string{"op3"}, []string{"admin", "op2", "op2b", "op4", "app4"}},
			{"AuditorSeesSubtree", &app.Principal{UserID: 40, DepartmentID: deptB, Role: app.RoleAuditor},
				[]string{"op4", "app4"}, []string{"admin", "op2", "op2b", "op3"}},
			{"OperatorAppSeesItsOwnMessages", app4,
				[]string{"app4"}, []string{"admin", "op2", "op2b", "op3", "op4"}},
			{"DeptAdminAppSeesItsDepartment", &app.Principal{APIKeyID: 99, DepartmentID: deptB, Role: app.RoleDeptAdmin, Scopes: []string{app.ScopeQuery}},
				[]string{"op4", "app4"}, []string{"admin", "op2", "op2b", "op3"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				list, next, err := db.FindMessages(ctx, tt.p, app.MessageFilter{})
				if err != nil {
					t.Fatal(err)
				} else if next != "" {
					t.Fatalf("next cursor %q on a short list", next)
				}
				var got, want []int64
				for _, m := range list {
					got = append(got, m.ID)
				}
				for _, name := range tt.sees {
					want = append(want, sent[name])
					if _, err := db.FindMessageByID(ctx, tt.p, sent[name]); err != nil {
						t.Errorf("FindMessageByID(%s's message): %v", name, err)
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("listed %v, want %v", got, want)
				}
				for _, name := range tt.hides {
					_, err := db.FindMessageByID(ctx, tt.p, sent[name])
					if app.ErrorCode(err) != app.ENOTFOUND {
						t.Errorf("FindMessageByID(%s's message): error %v, want ENOTFOUND", name, err)
					}
				}
			})
		}
	})

	t.Run("FindMessageByIDOfUnknownIDIsNotFound", func(t *testing.T) {
		db := MustOpenDB(t)
		_, err := db.FindMessageByID(ctx, &app.Principal{Role: app.RoleSysadmin}, 12345)
		wantCode(t, err, app.ENOTFOUND)
	})

	t.Run("FindMessageByIDReturnsTheStoredMessage", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		res := MustSend(t, db, p, &app.SendRequest{To: []string{"13800138000"}, Content: text("内容"), Ext: "23"})
		m := MustFind(t, db, res.Messages[0].ID)
		want := app.Message{ID: m.ID, BatchID: res.BatchID, DepartmentID: app.RootDepartmentID, APIKeyID: p.APIKeyID,
			To: "13800138000", Carrier: m.Carrier, Content: text("内容"), Segments: 1, Status: app.StatusQueued, Ext: "23", CreatedAt: m.CreatedAt}
		if *m != want {
			t.Fatalf("stored %+v\nwant   %+v", *m, want)
		}
		if m.Carrier == "" || m.CreatedAt.IsZero() {
			t.Fatalf("carrier %q created %v: want both set", m.Carrier, m.CreatedAt)
		}
	})

	t.Run("CursorPaginationReturnsEveryMessageOnceNewestFirst", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		var want []int64
		for i := range 5 {
			want = append(want, sentIDs(MustSend(t, db, p, &app.SendRequest{To: numbers(i*5, 5), Content: text("分页")}))...)
		}
		slices.Reverse(want)

		var got []int64
		f := app.MessageFilter{Limit: 7}
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
			list, next, err := db.FindMessages(ctx, p, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) > 7 {
				t.Fatalf("page of %d, limit 7", len(list))
			}
			for _, m := range list {
				got = append(got, m.ID)
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pages gave %v, want %v", got, want)
		}
	})

	t.Run("FiltersByBatchNumberAndStatus", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		first := MustSend(t, db, p, &app.SendRequest{To: []string{"13800138000", "13900139000"}, Content: text("一")})
		claimed := jobMessageIDs(MustClaimAll(t, db)) // the first batch is now submitting
		second := MustSend(t, db, p, &app.SendRequest{To: []string{"13800138000", "13700137000"}, Content: text("二")})

		tests := []struct {
			name string
			f    app.MessageFilter
			want []int64
		}{
			{"BatchID", app.MessageFilter{BatchID: second.BatchID}, sentIDs(second)},
			{"To", app.MessageFilter{To: "+86 138-0013-8000"}, []int64{first.Messages[0].ID, second.Messages[0].ID}},
			{"Status", app.MessageFilter{Status: app.StatusSubmitting}, claimed},
			{"StatusAndTo", app.MessageFilter{Status: app.StatusQueued, To: "13800138000"}, []int64{second.Messages[0].ID}},
			{"NoMatch", app.MessageFilter{Status: app.StatusDelivered}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantListed(t, db, p, tt.f, tt.want)
			})
		}
	})

	t.Run("RejectsBadFilters", func(t *testing.T) {
		db := MustOpenDB(t)
		p := &app.Principal{Role: app.RoleSysadmin}
		for field, f := range map[string]app.MessageFilter{
			"to":     {To: "12345"},
			"status": {Status: "lost"},
			"cursor": {Cursor: "abc"},
		} {
			_, _, err := db.FindMessages(ctx, p, f)
			wantField(t, err, field)
		}
	})

	t.Run("ForbidsAppsWithoutQueryOrSendScope", func(t *testing.T) {
		db := MustOpenDB(t)
		p := &app.Principal{APIKeyID: 9, DepartmentID: 1, Role: app.RoleSysadmin, Scopes: []string{app.ScopeTemplates}}
		_, _, err := db.FindMessages(ctx, p, app.MessageFilter{})
		wantCode(t, err, app.EFORBIDDEN)
	})
}

// wantListed fails unless FindMessages with f lists exactly want (any order).
func wantListed(t *testing.T, db *store.DB, p *app.Principal, f app.MessageFilter, want []int64) {
	t.Helper()
	list, _, err := db.FindMessages(context.Background(), p, f)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, m := range list {
		got = append(got, m.ID)
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
}
