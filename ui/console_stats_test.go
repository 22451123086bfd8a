package ui_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"smsgw/app"
)

var exportHrefRE = regexp.MustCompile(`id="export-stats-xlsx" href="([^"]*)"`)

// TestStatsExportLinkKeepsFilters: the report page's XLSX link carries the
// filters the page shows (not percent-encoded into one unknown parameter),
// and following it with format=csv exports that same report.
func TestStatsExportLinkKeepsFilters(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "zhao", app.RoleSysadmin)
	br := newBrowser(t, f.srv.URL)
	br.login("zhao", "Console2026")
	status, _, page := br.get("/stats?group_by=day&from=2026-11-01&to=2026-11-29&department_id=1&carrier=cmcc")
	m := exportHrefRE.FindStringSubmatch(page)
	if status != 200 || m == nil {
		t.Fatalf("status %d, no export link: %.300s", status, page)
	}
	link, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"format": {"xlsx"}, "group_by": {"day"}, "from": {"2026-11-01"}, "to": {"2026-11-29"}, "department_id": {"1"}, "carrier": {"cmcc"}}
	if link.Path != "/stats/export" || link.Query().Encode() != want.Encode() {
		t.Fatalf("export link %s, want /stats/export?%s", m[1], want.Encode())
	}
	if st, _, body := br.get(link.String()); st != 200 || !strings.HasPrefix(body, "PK") {
		t.Fatalf("the XLSX link answers %d %.100q", st, body)
	}
	q := link.Query()
	q.Set("format", "csv")
	st, _, body := br.get("/stats/export?" + q.Encode())
	if st != 200 || !strings.Contains(body, "2026-11-01,") && !strings.Contains(body, "合计,0") {
		t.Fatalf("the CSV export of the same filters: %d %.300s", st, body)
	}
	if strings.Contains(body, "2026-10-") {
		t.Fatalf("the export ignored the dates: %.300s", body)
	}
}

// TestStatsChannelNamesOnlyForChannelAdmins: the breakdown by channel and
// the report page's channel filter name a channel for those who manage
// channels; everyone else sees 通道N.
func TestStatsChannelNamesOnlyForChannelAdmins(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ops, err := f.db.CreateAPIKey(ctx, &app.APIKey{Name: "ops", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin,
		Scopes: []string{app.ScopeAdmin, app.ScopeQuery}})
	if err != nil {
		t.Fatal(err)
	}
	if status, body := f.call(t, "POST", "/api/v1/channels", ops, `{"name":"移动直连甲","host":"127.0.0.1","port":2775,"system_id":"sms01",
		"password":"s3cret","source_addr":"1069000","tps":100,"carriers":["cmcc"]}`); status != 201 {
		t.Fatalf("channel: %d %s", status, body)
	}
	if status, body := f.call(t, "POST", "/api/v1/messages", f.admin, `{"to":["13800138000"],"content":"【示例单位】您好"}`); status != 202 {
		t.Fatalf("send: %d %s", status, body)
	}
	jobs, err := f.db.Claim(ctx, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	m := jobs[0].Messages[0]
	if err := f.db.Record(ctx, []app.Outcome{{MessageID: m.ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: time.Now()}}, []string{jobs[0].ID}); err != nil {
		t.Fatal(err)
	}
	queryOnly, err := f.db.CreateAPIKey(ctx, &app.APIKey{Name: "查询", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin, Scopes: []string{app.ScopeQuery}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, key, want string
	}{{"ChannelAdmin", ops, `"name":"移动直连甲"`}, {"SysadminAppWithoutAdminScope", queryOnly, `"name":"通道1"`}} {
		status, body := f.call(t, "GET", "/api/v1/stats/breakdown?by=channel", c.key, "")
		if status != 200 || !strings.Contains(body, `"key":"1"`) || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s; want %s", c.name, status, body, c.want)
		}
	}
	consoleUser(t, f, "admin1", app.RoleSysadmin)
	consoleUser(t, f, "auditor1", app.RoleAuditor)
	for _, c := range []struct{ user, want, not string }{{"admin1", "移动直连甲", "通道1<"}, {"auditor1", ">通道1<", "移动直连甲"}} {
		br := newBrowser(t, f.srv.URL)
		br.login(c.user, "Console2026")
		status, _, page := br.get("/stats")
		if status != 200 || !strings.Contains(page, c.want) || strings.Contains(page, c.not) {
			t.Errorf("%s's report page (%d): want %s, not %s", c.user, status, c.want, c.not)
		}
	}
}

// TestStatsExportXLSXNumbers: the stats XLSX holds its counts as numbers
// and its rates as percentages a spreadsheet can sum, not as text.
func TestStatsExportXLSXNumbers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if status, body := f.call(t, "POST", "/api/v1/messages", f.admin, `{"to":["13800138000","13900139000"],"content":"【示例单位】您好"}`); status != 202 {
		t.Fatalf("send: %d %s", status, body)
	}
	jobs, err := f.db.Claim(ctx, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	m := jobs[0].Messages[0]
	if err := f.db.Record(ctx, []app.Outcome{{MessageID: m.ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: time.Now()}}, nil); err != nil {
		t.Fatal(err)
	}
	status, body := f.call(t, "GET", "/api/v1/stats/export?format=xlsx&group_by=day", f.admin, "")
	if status != 200 {
		t.Fatalf("export: %d %.200s", status, body)
	}
	x, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for cell, want := range map[string]string{"A2": "inline", "B2": "number 2", "D2": "number 1", "E2": "number 1", "G2": "number 0.00%", "H2": "number 100.00%", "B3": "number 2"} {
		typ, err := x.GetCellType("Sheet1", cell)
		if err != nil {
			t.Fatal(err)
		}
		shown, _ := x.GetCellValue("Sheet1", cell)
		got := "number " + shown
		if typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString {
			got = "inline"
		}
		if got != want {
			t.Errorf("%s: %s (type %v), want %s", cell, got, typ, want)
		}
	}
	// The footnote says failed counts what never left the platform too,
	// and that a channel filter shows nothing pending.
	if note, _ := x.GetCellValue("Sheet1", "A4"); !strings.Contains(note, "未能发出平台的短信") || !strings.Contains(note, "按通道筛选时待回执恒为 0") {
		t.Errorf("footnote %q", note)
	}
}
