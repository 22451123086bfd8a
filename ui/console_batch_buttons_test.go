package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"smsgw/app"
)

// TestBatchPageShowsChangesOnlyToThoseWhoMay (issue 14, item 8): the batch
// page offers cancel (定时), withdraw (撤回) and resend (失败重发) to an
// operator, and none of them to an auditor, whom the server refuses them
// (app.Principal.MayChange); the auditor still exports failed numbers.
func TestBatchPageShowsChangesOnlyToThoseWhoMay(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	consoleUser(t, f, "op", app.RoleOperator)
	consoleUser(t, f, "eye", app.RoleAuditor)
	op := newBrowser(t, f.srv.URL)
	op.login("op", "Console2026")
	eye := newBrowser(t, f.srv.URL)
	eye.login("eye", "Console2026")
	admin := &app.Principal{UserID: 1, Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	if err := f.db.SaveWordList(ctx, admin, app.WordList{Name: "金融", Action: app.WordReview, Words: []string{"贷款"}}); err != nil {
		t.Fatal(err)
	}
	send := func(form url.Values) string {
		t.Helper()
		form.Set("csrf", op.csrf("/send"))
		status, loc, body := op.post("/send", form)
		if status != 303 {
			t.Fatalf("send: %d %s", status, body)
		}
		return strings.TrimSuffix(loc, "?sent=1")
	}
	failedBatch := send(url.Values{"numbers": {"13800138000"}, "content": {"【示例单位】会议通知"}, "mode": {"now"}})
	jobs, err := f.db.Claim(ctx, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	var outcomes []app.Outcome
	for _, m := range jobs[0].Messages {
		outcomes = append(outcomes, app.Outcome{MessageID: m.ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: time.Now()})
	}
	if err := f.db.Record(ctx, outcomes, []string{jobs[0].ID}); err != nil {
		t.Fatal(err)
	}
	scheduled := send(url.Values{"numbers": {"13800138009"}, "content": {"【示例单位】定时通知"}, "mode": {"scheduled"},
		"send_at": {time.Now().Add(2 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04")}})
	held := send(url.Values{"numbers": {"13800138008"}, "content": {"【示例单位】贷款优惠"}, "mode": {"now"}})

	for _, c := range []struct{ page, button string }{
		{failedBatch, `id="resend"`}, {failedBatch, `id="resend-confirm"`}, {scheduled, `id="cancel-batch"`}, {held, `id="cancel-held"`},
	} {
		if _, _, body := op.get(c.page); !strings.Contains(body, c.button) {
			t.Errorf("operator's %s lacks %s", c.page, c.button)
		}
		status, _, body := eye.get(c.page)
		if status != 200 {
			t.Fatalf("auditor's %s: %d", c.page, status)
		}
		if strings.Contains(body, c.button) {
			t.Errorf("auditor's %s offers %s", c.page, c.button)
		}
	}
	if _, _, body := eye.get(failedBatch); !strings.Contains(body, `id="export-csv"`) {
		t.Error("auditor's page lacks the failed-number export it may use")
	}
}
