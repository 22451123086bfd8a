package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"smsgw/app"
	"smsgw/store"
)

// TestExtensionCodesCannotBeHijacked pins issue 14, item 5: extension codes
// are prefix-free across the platform (departments' and apps'), a request's
// ext never makes an extension beginning with another department's code,
// and a reply or 退订 goes by the longest code, to no department when two
// share it (codes stored before the rule).
func TestExtensionCodesCannotBeHijacked(t *testing.T) {
	ctx := context.Background()
	admin := &app.Principal{UserID: 1, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin, Scopes: []string{app.ScopeAdmin}}

	t.Run("CodesArePrefixFree", func(t *testing.T) {
		db, _ := MustOpenDBPath(t)
		a := &app.Department{Name: "一处", Ext: "2"}
		if err := db.CreateDepartment(ctx, admin, a); err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{"2", "21", "2999"} {
			err := db.CreateDepartment(ctx, admin, &app.Department{Name: "二处", Ext: ext})
			wantCodeField(t, err, app.ECONFLICT, "ext")
			if !strings.Contains(app.ErrorMessage(err), "一处") {
				t.Errorf("the refusal of %s does not name the department: %v", ext, err)
			}
		}
		b := &app.Department{Name: "二处", Ext: "3"}
		if err := db.CreateDepartment(ctx, admin, b); err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{"21", "2", "31"} { // "31": b's own code begins it, the update replaces it
			_, err := db.UpdateDepartment(ctx, admin, b.ID, &app.DepartmentUpdate{Ext: &ext})
			if ext == "31" {
				if err != nil {
					t.Errorf("recoding 二处 from 3 to 31: %v", err)
				}
				continue
			}
			wantCodeField(t, err, app.ECONFLICT, "ext")
		}
		empty := ""
		if _, err := db.UpdateDepartment(ctx, admin, a.ID, &app.DepartmentUpdate{Ext: &empty}); err != nil {
			t.Fatalf("clearing a code: %v", err)
		}
		// Apps' codes are codes too.
		_, err := db.CreateAPIKey(ctx, &app.APIKey{Name: "抢码", DepartmentID: a.ID, Role: app.RoleOperator, Ext: "310"})
		wantCodeField(t, err, app.ECONFLICT, "ext")
		_, err = db.CreateAPIKey(ctx, &app.APIKey{Name: "短码", DepartmentID: a.ID, Role: app.RoleOperator, Ext: "3"})
		wantCodeField(t, err, app.ECONFLICT, "ext")
	})

	t.Run("ARequestsExtCannotLandOnAnotherDepartmentsCode", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		MustSignature(t, db)
		MustDepartments(t, path)
		raw := MustRawDB(t, path)
		// "2" and "21" are the clash of the report, stored before the rule.
		for dept, ext := range map[int64]string{deptA: "2", deptB: "21", deptA1: "88"} {
			if _, err := raw.Exec(`update departments set ext = ? where id = ?`, ext, dept); err != nil {
				t.Fatal(err)
			}
		}
		ch := mustChannel(t, db)
		opA := &app.Principal{UserID: 21, DepartmentID: deptA, Role: app.RoleOperator, AllowFreeText: true, Scopes: []string{app.ScopeSend}, Ext: "2"}
		opRoot := &app.Principal{UserID: 11, DepartmentID: app.RootDepartmentID, Role: app.RoleOperator, AllowFreeText: true, Scopes: []string{app.ScopeSend}}
		to := []string{"13800138000"}
		for _, c := range []struct {
			name string
			p    *app.Principal
			ext  string
		}{
			{"IntoALongerCode", opA, "1"}, // 2+1 = 21, 二处's
			{"IntoALongerCodeAndMore", opA, "15"},
			{"WithoutACodeOfItsOwn", opRoot, "21"}, // root has no code: 21 is 二处's
			{"IntoASubDepartmentsCode", opRoot, "885"},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := db.Send(ctx, c.p, &app.SendRequest{To: to, Content: text("劫持"), Ext: c.ext})
				wantField(t, err, "ext")
			})
		}
		sent := MustSend(t, db, opA, &app.SendRequest{To: to, Content: text("自己的"), Ext: "3"})
		if m := MustFind(t, db, sent.Messages[0].ID); m.Ext != "23" {
			t.Fatalf("ext %q, want 23", m.Ext)
		}

		// Replies from numbers never sent to go by the code alone.
		replies := []*app.Reply{
			{ChannelID: ch.ID, From: "13900000001", To: ch.SourceAddr + "215", Content: "TD", ReceivedAt: at},
			{ChannelID: ch.ID, From: "13900000002", To: ch.SourceAddr + "29", Content: "TD", ReceivedAt: at},
		}
		if err := db.SaveReplies(ctx, replies); err != nil {
			t.Fatal(err)
		}
		if replies[0].DepartmentID != deptB || replies[1].DepartmentID != deptA {
			t.Errorf("replies to 215 and 29 went to %d and %d, want 二处 %d and 一处 %d", replies[0].DepartmentID, replies[1].DepartmentID, deptB, deptA)
		}
		listA := int64(deptA)
		list, _, err := db.FindBlacklist(ctx, &app.Principal{DepartmentID: deptA, Role: app.RoleDeptAdmin, Scopes: []string{app.ScopeAdmin}}, app.BlacklistFilter{DepartmentID: &listA})
		if err != nil || len(list) != 1 || list[0].Phone != "13900000002" {
			t.Errorf("一处's blacklist: %v %v, want only its own 退订", list, err)
		}
	})

	t.Run("ASharedCodeIsNobodys", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		MustDepartments(t, path)
		raw := MustRawDB(t, path)
		for _, dept := range []int64{deptA, deptB} {
			if _, err := raw.Exec(`update departments set ext = '77' where id = ?`, dept); err != nil {
				t.Fatal(err)
			}
		}
		ch := mustChannel(t, db)
		r := &app.Reply{ChannelID: ch.ID, From: "13900000003", To: ch.SourceAddr + "771", Content: "TD", ReceivedAt: at}
		if err := db.SaveReplies(ctx, []*app.Reply{r}); err != nil {
			t.Fatal(err)
		}
		if r.DepartmentID != app.RootDepartmentID {
			t.Errorf("a reply to a code two departments share went to %d, want the root's (nobody's)", r.DepartmentID)
		}
		// The start reports the clash (the server still starts: the rules
		// above keep replies from going astray).
		db.Close()
		var log bytes.Buffer
		again, err := store.Open(ctx, store.Options{Path: path, Exclusive: true, Logger: slog.New(slog.NewTextHandler(&log, nil))})
		if err != nil {
			t.Fatal(err)
		}
		again.Close()
		if !strings.Contains(log.String(), "扩展码冲突") || !strings.Contains(log.String(), "code=77") {
			t.Errorf("the start did not report the clash:\n%s", log.String())
		}
	})
}
