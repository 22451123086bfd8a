package store_test

import (
	"context"
	"testing"

	"smsgw/app"
)

// TestExtensionCodes pins R3.5: a sender's extension code goes out after the
// channel's number, and replies to it come back to the sender's department.
func TestExtensionCodes(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	MustSignature(t, db)
	MustDepartments(t, path)
	ch := mustChannel(t, db)
	k := &app.APIKey{Name: "二处系统", DepartmentID: deptB, Role: app.RoleDeptAdmin, Ext: "88",
		Scopes: []string{app.ScopeSend, app.ScopeQuery}, AllowFreeText: true}
	secret, err := db.CreateAPIKey(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Authenticate(ctx, secret)
	if err != nil || p.Ext != "88" {
		t.Fatalf("principal %+v, %v: want ext 88", p, err)
	}

	t.Run("MessagesCarryTheSendersCodeThenTheRequests", func(t *testing.T) {
		id := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text("扩展码"), Ext: "1"}).Messages[0].ID
		if m := MustFind(t, db, id); m.Ext != "881" {
			t.Fatalf("ext %q, want 881", m.Ext)
		}
		_, err := db.Send(ctx, p, &app.SendRequest{To: numbers(0, 1), Content: text("太长"), Ext: "12345"})
		wantField(t, err, "ext")
	})

	t.Run("ARepliesToTheCodeReachesTheDepartment", func(t *testing.T) {
		linked := &app.Reply{ChannelID: ch.ID, From: numbers(0, 1)[0], To: ch.SourceAddr + "881", Content: "好的", ReceivedAt: at}
		stranger := &app.Reply{ChannelID: ch.ID, From: "13912345678", To: ch.SourceAddr + "885", Content: "你好", ReceivedAt: at}
		if err := db.SaveReplies(ctx, []*app.Reply{linked, stranger}); err != nil {
			t.Fatal(err)
		}
		if linked.MessageID == 0 || linked.DepartmentID != deptB || linked.Ext != "881" {
			t.Errorf("reply to a sent message: %+v; want linked, department %d", linked, deptB)
		}
		if stranger.MessageID != 0 || stranger.DepartmentID != deptB {
			t.Errorf("reply from an unknown number to the code: %+v; want department %d by the code", stranger, deptB)
		}
		list, _, err := db.FindReplies(ctx, &app.Principal{DepartmentID: deptA, Role: app.RoleDeptAdmin}, app.ReplyFilter{})
		if err != nil || len(list) != 0 {
			t.Errorf("another department sees %d replies (%v), want none", len(list), err)
		}
	})

	t.Run("ACodeBelongsToOneSender", func(t *testing.T) {
		_, err := db.CreateAPIKey(ctx, &app.APIKey{Name: "抢码", DepartmentID: deptA, Role: app.RoleOperator, Ext: "88"})
		wantCode(t, err, app.ECONFLICT)
		_, err = db.CreateAPIKey(ctx, &app.APIKey{Name: "坏码", DepartmentID: deptA, Role: app.RoleOperator, Ext: "8a"})
		wantField(t, err, "ext")
	})
}
