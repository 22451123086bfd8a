package ui_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"smsgw/app"
)

// TestConsoleBatchActionsAreAuditedAndRefusedToAuditors (issue 14, item 8):
// an auditor can neither cancel nor resend a batch it sees (403), and
// cancellation, resend and failed-number export are audited with who,
// which batch and what came of it, refusals included.
func TestConsoleBatchActionsAreAuditedAndRefusedToAuditors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	consoleUser(t, f, "bop", app.RoleOperator)
	consoleUser(t, f, "baud", app.RoleAuditor)
	b := newBrowser(t, f.srv.URL)
	b.login("bop", "Console2026")
	aud := newBrowser(t, f.srv.URL)
	aud.login("baud", "Console2026")
	send := func(form url.Values) string {
		t.Helper()
		form.Set("csrf", b.csrf("/send"))
		status, loc, body := b.post("/send", form)
		if status != 303 {
			t.Fatalf("send: %d %s", status, body)
		}
		return strings.TrimSuffix(loc, "?sent=1")
	}
	now := send(url.Values{"numbers": {"13800138000\n13800138001"}, "content": {"【示例单位】会议通知"}, "mode": {"now"}})
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
	later := send(url.Values{"numbers": {"13800138009"}, "content": {"【示例单位】定时通知"}, "mode": {"scheduled"},
		"send_at": {time.Now().Add(2 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04")}})

	if status, _, body := aud.post(later+"/cancel", url.Values{"csrf": {aud.csrf(later)}}); status != 403 || !strings.Contains(body, "审计员") {
		t.Errorf("an auditor cancelled a batch: %d %s", status, body)
	}
	if status, _, _ := aud.post(now+"/resend", url.Values{"csrf": {aud.csrf(now)}}); status != 403 {
		t.Errorf("an auditor resent a batch: %d", status)
	}
	if _, _, body := b.get(later); !strings.Contains(body, `id="cancel-batch"`) {
		t.Fatal("the auditor's refused cancel cancelled the batch")
	}
	if status, _, _ := aud.get(now + "/failed.csv"); status != 200 {
		t.Errorf("an auditor exports failed numbers (read-only): %d", status)
	}
	if status, _, _ := b.post(now+"/resend", url.Values{"csrf": {b.csrf(now)}}); status != 303 {
		t.Errorf("resend: %d", status)
	}
	if status, _, _ := b.post(later+"/cancel", url.Values{"csrf": {b.csrf(later)}}); status != 303 {
		t.Errorf("cancel: %d", status)
	}

	list, _, err := f.db.FindAudit(ctx, &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}, app.AuditFilter{Action: "batch.", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Action+" "+e.Target+" "+string(e.Role)+" "+e.Result+" "+e.Summary)
	}
	all := strings.Join(got, "\n")
	nowID, laterID := strings.TrimPrefix(now, "/records/"), strings.TrimPrefix(later, "/records/")
	for _, want := range []string{
		"batch.cancel batch:" + laterID + " auditor EFORBIDDEN",
		"batch.resend batch:" + nowID + " auditor EFORBIDDEN",
		"batch.export_failed batch:" + nowID + " auditor ok 导出失败号码 2 个（csv）",
		"batch.resend batch:" + nowID + " operator ok 失败重发 2 个号码，新批次",
		"batch.cancel batch:" + laterID + " operator ok 取消定时批次，取消 1 条",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("audit lacks %q:\n%s", want, all)
		}
	}
}
