package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"smsgw/app"
)

// TestBrowserAddressBookSend (issue 15) in Chromium: import a book from a
// CSV (the preview maps its columns, the result page follows the import to
// its end), then send to one of its groups from the send page, whose live
// count and confirmation count the group, and see the batch.
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
