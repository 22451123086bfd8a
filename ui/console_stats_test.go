package ui_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

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
