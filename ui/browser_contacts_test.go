package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"smsgw/app"
)

// TestBrowserAddressBookSend (issue 15) in Chromium: import a book from a
// CSV (the preview maps its columns, the result page follows the import to
// its end), find it in the import history by operator and date, then send
// to one of its groups and one contact found by name from the send page,
// whose live count and confirmation count them, and see the batch.
func TestBrowserAddressBookSend(t *testing.T) {
	ctx := chrome(t)
	f := newFixture(t)
	u := &app.User{Username: "wang", DisplayName: "王五", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}
	if err := f.db.CreateUser(context.Background(), nil, u, "Console2026"); err != nil {
		t.Fatal(err)
	}
	csv := filepath.Join(t.TempDir(), "会议名单.csv")
	if err := os.WriteFile(csv, []byte("姓名,手机号,分组\n甲,13800138001,会议组\n乙,138-0013-8002,会议组\n丙,13800138003,其他\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, signIn(f.srv.URL+"/contacts/import", "wang"),
		chromedp.WaitVisible(chromedp.ID("i-file")),
		chromedp.SetUploadFiles("#i-file", []string{csv}),
		chromedp.WaitVisible(chromedp.ID("preview")))
	if got := read(t, ctx, chromedp.Value(chromedp.ID("map-phone"))); got != "1" {
		t.Errorf("the preview maps the phone column to %q, want 1", got)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("start-import")), chromedp.WaitVisible(chromedp.ID("import-counts")))
	do(t, ctx, chromedp.Poll[chromedp.Void](`document.getElementById('import-status').textContent.includes('已完成')`))
	if counts := read(t, ctx, chromedp.Text(chromedp.ID("import-counts"))); !strings.Contains(counts, "新增 3") {
		t.Errorf("import result: %q", counts)
	}
	// 导入结果, searched by operator and by import date (R2.4).
	beijing := time.FixedZone("CST", 8*3600) // the console's dates are Beijing's
	today := time.Now().In(beijing).Format("2006-01-02")
	tomorrow := time.Now().In(beijing).Add(24 * time.Hour).Format("2006-01-02")
	for _, sc := range []struct{ operator, since, want string }{
		{"wan", today, "会议名单.csv"},
		{"li", "", "没有导入记录"},
		{"", tomorrow, "没有导入记录"},
	} {
		do(t, ctx, chromedp.Navigate(f.srv.URL+"/contacts/imports"), chromedp.WaitVisible(chromedp.ID("f-operator")),
			chromedp.SendKeys(chromedp.ID("f-operator"), sc.operator),
			chromedp.SetValue(chromedp.ID("f-since"), sc.since),
		)
		// The form's own query, as its button would send it (a click's navigation
		// races the next step's reads in chromedp).
		query := read(t, ctx, chromedp.Evaluate[string](`new URLSearchParams(new FormData(document.getElementById('import-filter'))).toString()`))
		do(t, ctx, chromedp.Navigate(f.srv.URL+"/contacts/imports?"+query), chromedp.WaitVisible(chromedp.ID("imports")))
		if got := read(t, ctx, chromedp.Text(chromedp.ID("imports"))); !strings.Contains(got, sc.want) {
			t.Errorf("imports by operator %q since %q: %q, want %q", sc.operator, sc.since, got, sc.want)
		}
	}

	do(t, ctx, chromedp.Navigate(f.srv.URL+"/send"), chromedp.WaitVisible(chromedp.ID("numbers")),
		chromedp.Click(chromedp.CSS("#book-picker summary")),
		chromedp.WaitVisible(chromedp.ID("book-groups")))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...document.querySelectorAll('#book-groups label')].find((l) => l.textContent.includes('会议组')).querySelector('input').click(), true`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("numbers"), "13800138001\n13900139000"),
		chromedp.SendKeys(chromedp.ID("content"), "【示例单位】明天上午九点开会"),
		chromedp.Poll[chromedp.Void](`document.getElementById('book-count').textContent.includes('合计可发送 3')`))
	// One more contact, found by name.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("contact-q"), "丙"),
		chromedp.WaitVisible(chromedp.CSS("#contact-hits button")),
		chromedp.Click(chromedp.CSS("#contact-hits button")),
		chromedp.WaitVisible(chromedp.CSS("#picked-contacts .chip")),
		chromedp.Poll[chromedp.Void](`document.getElementById('book-count').textContent.includes('合计可发送 4')`))
	do(t, ctx, chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("confirm-send")))
	if n := read(t, ctx, chromedp.Text(chromedp.ID("confirm-numbers"))); n != "4" {
		t.Errorf("the confirmation counts %q numbers, want 4 (two typed, one more from the group, one contact)", n)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("confirm-send")), chromedp.WaitVisible(chromedp.ID("sent")))
	rows := read(t, ctx, chromedp.Evaluate[string](`String(document.querySelectorAll('#messages tbody tr').length)`))
	page := read(t, ctx, chromedp.Text(chromedp.ID("messages")))
	if rows != "4" || !strings.Contains(page, "13800138002") || !strings.Contains(page, "13900139000") || !strings.Contains(page, "13800138003") {
		t.Errorf("batch page: %s rows: %s", rows, page)
	}
}
