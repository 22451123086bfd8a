package store_test

import (
	"context"
	"testing"

	"smsgw/app"
)

// TestBlacklist pins blacklists at accept time and unsubscribe replies.
func TestBlacklist(t *testing.T) {
	ctx := context.Background()

	t.Run("TenThousandNumberBatch", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		admin := MustSysadmin(t, db)
		MustDepartments(t, path)
		to := numbers(0, app.MaxRecipients)
		var entries []*app.BlacklistEntry
		for i := 0; i < len(to); i += 100 { // every hundredth: 100 numbers
			entries = append(entries, &app.BlacklistEntry{DepartmentID: app.GlobalBlacklist, Phone: to[i], Source: app.SourceImport})
		}
		// Another department's list does not apply to the root's sends.
		entries = append(entries, &app.BlacklistEntry{DepartmentID: deptB, Phone: to[1], Source: app.SourceManual})
		if n, err := db.AddToBlacklist(ctx, reviewer, entries); err != nil || n != 101 {
			t.Fatalf("added %d, %v", n, err)
		}
		if n, err := db.AddToBlacklist(ctx, reviewer, entries[:1]); err != nil || n != 0 {
			t.Fatalf("adding again added %d, %v", n, err)
		}
		res := MustSend(t, db, admin, &app.SendRequest{To: to, Content: text("通知")})
		rejected, blacklisted := 0, 0
		for _, m := range res.Messages {
			if m.Status == app.StatusRejected {
				rejected++
			}
		}
		for _, r := range res.Rejected {
			if r.Code == app.EBLACKLIST {
				blacklisted++
			}
		}
		if len(res.Messages) != len(to) || rejected != 100 || blacklisted != 100 {
			t.Fatalf("messages %d, rejected %d, listed %d", len(res.Messages), rejected, blacklisted)
		}
		raw := MustRawDB(t, path)
		if n := count(t, raw, `select count(*) from messages where status = 'rejected' and error_code = 'EBLACKLIST' and done_at > 0`); n != 100 {
			t.Fatalf("%d rejected rows", n)
		}
		if n := count(t, raw, `select accepted from batches`); n != len(to)-100 {
			t.Fatalf("batch accepted = %d", n)
		}
		// Jobs skip the rejected ones: they are never submitted.
		claimed := 0
		for _, j := range MustClaimAll(t, db) {
			claimed += len(j.Messages)
		}
		if claimed != len(to)-100 {
			t.Fatalf("claimed %d messages, want %d", claimed, len(to)-100)
		}
	})

	t.Run("UnsubscribeReplyBlacklistsForItsDepartment", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		MustSignature(t, db)
		MustDepartments(t, path)
		ch := mustChannel(t, db)
		opA := &app.Principal{UserID: 21, DepartmentID: deptA, Role: app.RoleOperator}
		opA1 := &app.Principal{UserID: 31, DepartmentID: deptA1, Role: app.RoleOperator}
		opB := &app.Principal{UserID: 41, DepartmentID: deptB, Role: app.RoleOperator}
		to := []string{"13800138000"}
		MustSend(t, db, opA, &app.SendRequest{To: to, Content: text("活动通知"), Ext: "23"})
		replies := []*app.Reply{
			{ChannelID: ch.ID, From: "8613800138000", To: ch.SourceAddr + "23", Content: " ｔｄ ", ReceivedAt: at},
			{ChannelID: ch.ID, From: "13700137000", To: ch.SourceAddr + "23", Content: "TD一下是什么意思", ReceivedAt: at},
		}
		if err := db.SaveReplies(ctx, replies); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			p    *app.Principal
			want app.Status
		}{{opA, app.StatusRejected}, {opA1, app.StatusRejected}, {opB, app.StatusQueued}} {
			res := MustSend(t, db, tt.p, &app.SendRequest{To: to, Content: text("再次通知")})
			if got := res.Messages[0].Status; got != tt.want {
				t.Fatalf("department %d: status %s, want %s", tt.p.DepartmentID, got, tt.want)
			}
		}
		res := MustSend(t, db, opA, &app.SendRequest{To: []string{"13700137000"}, Content: text("再次通知")})
		if res.Messages[0].Status != app.StatusQueued {
			t.Fatal("a reply that only contains TD unsubscribed its sender")
		}
		list, _, err := db.FindBlacklist(ctx, reviewer, app.BlacklistFilter{})
		if err != nil || len(list) != 1 || list[0].DepartmentID != deptA || list[0].Source != app.SourceUnsubscribe {
			t.Fatalf("blacklist = %+v, %v", list, err)
		}
		audit, _, err := db.FindAudit(ctx, reviewer, app.AuditFilter{Action: "blacklist.unsubscribe"})
		if err != nil || len(audit) != 1 || audit[0].DepartmentID != deptA {
			t.Fatalf("audit = %+v, %v", audit, err)
		}
		if n, err := db.VerifyAudit(ctx); err != nil || n != 1 {
			t.Fatalf("audit chain: %d, %v", n, err)
		}
	})

	t.Run("WhoWritesWhichList", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		MustDepartments(t, path)
		adminA := &app.Principal{UserID: 20, DepartmentID: deptA, Role: app.RoleDeptAdmin}
		op := &app.Principal{UserID: 21, DepartmentID: deptA, Role: app.RoleOperator}
		e := func(dept int64) []*app.BlacklistEntry {
			return []*app.BlacklistEntry{{DepartmentID: dept, Phone: "13800138000", Source: app.SourceManual}}
		}
		if _, err := db.AddToBlacklist(ctx, adminA, e(deptA1)); err != nil {
			t.Fatal(err)
		}
		_, err := db.AddToBlacklist(ctx, adminA, e(app.GlobalBlacklist))
		wantCode(t, err, app.EFORBIDDEN)
		_, err = db.AddToBlacklist(ctx, adminA, e(deptB))
		wantField(t, err, "department_id")
		_, err = db.AddToBlacklist(ctx, op, e(deptA))
		wantCode(t, err, app.EFORBIDDEN)
		_, err = db.AddToBlacklist(ctx, adminA, []*app.BlacklistEntry{{DepartmentID: deptA, Phone: "12345", Source: app.SourceManual}})
		wantField(t, err, "phone")
		wantCode(t, db.RemoveFromBlacklist(ctx, adminA, deptA, "13800138000"), app.ENOTFOUND)
		sendOnly := &app.Principal{APIKeyID: 7, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin, Scopes: []string{app.ScopeSend}}
		_, _, err = db.FindBlacklist(ctx, sendOnly, app.BlacklistFilter{})
		wantCode(t, err, app.EFORBIDDEN)
		// A department whose list holds numbers is not deleted under them.
		wantCode(t, db.DeleteDepartment(ctx, reviewer, deptA1), app.ECONFLICT)
		if err := db.RemoveFromBlacklist(ctx, adminA, deptA1, "+8613800138000"); err != nil {
			t.Fatal(err)
		}
	})
}
