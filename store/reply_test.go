package store_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/store"
)

// TestReplies pins how replies (MO) are attributed to the message they answer
// and who may list them.
func TestReplies(t *testing.T) {
	ctx := context.Background()

	t.Run("AttributesExtensionAndLatestMessageWithIt", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		admin := MustSysadmin(t, db)
		MustDepartments(t, path)
		ch := mustChannel(t, db)
		op2 := &app.Principal{UserID: 21, DepartmentID: deptA, Role: app.RoleOperator}
		op4 := &app.Principal{UserID: 41, DepartmentID: deptB, Role: app.RoleOperator}
		to := []string{"13800138000"}

		MustSend(t, db, op2, &app.SendRequest{To: to, Content: text("旧的"), Ext: "23"})
		answered := MustSend(t, db, op2, &app.SendRequest{To: to, Content: text("新的"), Ext: "23"}).Messages[0].ID
		MustSend(t, db, op4, &app.SendRequest{To: to, Content: text("别的扩展码"), Ext: "5"})
		noExt := MustSend(t, db, admin, &app.SendRequest{To: to, Content: text("没有扩展码")}).Messages[0].ID

		replies := []*app.Reply{
			{ChannelID: ch.ID, From: "13800138000", To: "1069000123", Content: "收到", ReceivedAt: at},
			{ChannelID: ch.ID, From: "13800138000", To: "10690001", Content: "好的", ReceivedAt: at},
			{ChannelID: ch.ID, From: "13700137000", To: "1069000123", Content: "你是谁", ReceivedAt: at},
		}
		if err := db.SaveReplies(ctx, replies); err != nil {
			t.Fatal(err)
		}
		want := []struct {
			ext  string
			msg  int64
			dept int64
		}{
			{"23", answered, deptA},
			{"", noExt, app.RootDepartmentID},
			{"23", 0, app.RootDepartmentID}, // answers nothing we sent: the root's
		}
		for i, w := range want {
			r := replies[i]
			if r.ID == 0 || r.Ext != w.ext || r.MessageID != w.msg || r.DepartmentID != w.dept {
				t.Errorf("reply %d: id %d ext %q message %d department %d; want ext %q message %d department %d",
					i, r.ID, r.Ext, r.MessageID, r.DepartmentID, w.ext, w.msg, w.dept)
			}
		}

		// What is stored is what was answered.
		list, _, err := db.FindReplies(ctx, admin, app.ReplyFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != len(replies) {
			t.Fatalf("listed %d replies, want %d", len(list), len(replies))
		}
		for i, r := range list {
			if !r.ReceivedAt.Equal(replies[i].ReceivedAt) || !sameReply(*r, *replies[i]) {
				t.Errorf("stored reply %d = %+v, want %+v", i, *r, *replies[i])
			}
		}
	})

	t.Run("ListsOldestFirstWithCursor", func(t *testing.T) {
		db := MustOpenDB(t)
		admin := MustSysadmin(t, db)
		ch := mustChannel(t, db)
		var want []int64
		for i := range 7 {
			r := &app.Reply{ChannelID: ch.ID, From: numbers(i, 1)[0], To: "10690001", Content: "回复", ReceivedAt: at.Add(time.Duration(i) * time.Second)}
			if err := db.SaveReplies(ctx, []*app.Reply{r}); err != nil {
				t.Fatal(err)
			}
			want = append(want, r.ID)
		}
		var got []int64
		f := app.ReplyFilter{Limit: 3}
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			list, next, err := db.FindReplies(ctx, admin, f)
			if err != nil {
				t.Fatal(err)
			} else if len(list) > 3 {
				t.Fatalf("page of %d, limit 3", len(list))
			}
			for _, r := range list {
				got = append(got, r.ID)
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pages gave %v, want %v (oldest first)", got, want)
		}
		// An integrator polling with the last cursor gets only what is new.
		late := &app.Reply{ChannelID: ch.ID, From: "13800138000", To: "10690001", Content: "新的", ReceivedAt: at}
		if err := db.SaveReplies(ctx, []*app.Reply{late}); err != nil {
			t.Fatal(err)
		}
		list, _, err := db.FindReplies(ctx, admin, app.ReplyFilter{Cursor: strconv.FormatInt(want[len(want)-1], 10)})
		if err != nil {
			t.Fatal(err)
		} else if len(list) != 1 || list[0].ID != late.ID {
			t.Fatalf("poll after the last cursor listed %d replies, want only the new one", len(list))
		}
	})

	t.Run("ScopesRepliesToDepartmentSubtree", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		admin := MustSysadmin(t, db)
		MustDepartments(t, path)
		ch := mustChannel(t, db)
		byDept := map[int64]int64{} // department -> the reply answering its message
		for i, dept := range []int64{deptA, deptA1, deptB} {
			p := &app.Principal{UserID: 100 + dept, DepartmentID: dept, Role: app.RoleOperator}
			number := numbers(i, 1)
			MustSend(t, db, p, &app.SendRequest{To: number, Content: text("请回复"), Ext: "9"})
			r := &app.Reply{ChannelID: ch.ID, From: number[0], To: "106900019", Content: "1", ReceivedAt: at}
			if err := db.SaveReplies(ctx, []*app.Reply{r}); err != nil {
				t.Fatal(err)
			}
			byDept[dept] = r.ID
		}
		tests := []struct {
			name string
			p    *app.Principal
			want []int64
		}{
			{"Sysadmin", admin, []int64{byDept[deptA], byDept[deptA1], byDept[deptB]}},
			{"DeptAdminOfParent", &app.Principal{DepartmentID: deptA, Role: app.RoleDeptAdmin}, []int64{byDept[deptA], byDept[deptA1]}},
			{"DeptAdminOfLeaf", &app.Principal{DepartmentID: deptA1, Role: app.RoleDeptAdmin}, []int64{byDept[deptA1]}},
			{"AppOfOtherDepartment", &app.Principal{APIKeyID: 5, DepartmentID: deptB, Role: app.RoleDeptAdmin, Scopes: []string{app.ScopeQuery}}, []int64{byDept[deptB]}},
			{"OperatorSeesRepliesToItsOwnMessages", &app.Principal{UserID: 100 + deptA1, DepartmentID: deptA1, Role: app.RoleOperator}, []int64{byDept[deptA1]}},
			{"OperatorAppWithoutMessagesSeesNone", &app.Principal{APIKeyID: 5, DepartmentID: deptB, Role: app.RoleOperator, Scopes: []string{app.ScopeQuery}}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				list, _, err := db.FindReplies(ctx, tt.p, app.ReplyFilter{})
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, r := range list {
					got = append(got, r.ID)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("listed %v, want %v", got, tt.want)
				}
			})
		}
	})

	t.Run("ForbidsAppsWithoutQueryOrSendScope", func(t *testing.T) {
		db := MustOpenDB(t)
		p := &app.Principal{APIKeyID: 5, DepartmentID: 1, Role: app.RoleSysadmin, Scopes: []string{app.ScopeContacts}}
		_, _, err := db.FindReplies(ctx, p, app.ReplyFilter{})
		wantCode(t, err, app.EFORBIDDEN)
	})
}

// mustChannel creates the fixture channel, source number 10690001.
func mustChannel(t *testing.T, db *store.DB) *app.Channel {
	t.Helper()
	c := validChannel()
	if err := db.CreateChannel(context.Background(), c); err != nil {
		t.Fatalf("create channel: %v", err)
	}
	return c
}

// sameReply compares replies apart from their times, which the caller
// compares with Equal.
func sameReply(a, b app.Reply) bool {
	a.ReceivedAt, b.ReceivedAt = time.Time{}, time.Time{}
	return a == b
}
