package main

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"smsgw/app/apptest"
)

// TestBrowserTopUpSendAndReport is issue 16's walk, in Chromium on the demo:
// a system administrator tops up on 账户与消费, sends from 发送短信 (the
// confirmation names the charge and the balance after), sees the balance
// fall on the dashboard once the simulators delivered, opens 统计报表 by
// month and exports it.
func TestBrowserTopUpSendAndReport(t *testing.T) {
	ctx := browser(t, 120*time.Second)
	_, _, info := startDemo(t)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}

	run := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatal(err)
		}
	}
	read := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(v)
	}
	text := func(id string) string { t.Helper(); return read(chromedp.Text(chromedp.ID(id))) }
	number := func(id string) int {
		t.Helper()
		n, err := strconv.Atoi(strings.ReplaceAll(text(id), ",", ""))
		if err != nil {
			t.Fatalf("#%s is no number: %v", id, err)
		}
		return n
	}

	// Top up.
	run(chromedp.Navigate(info.BaseURL+"/"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), info.AdminUser),
		chromedp.SendKeys(chromedp.ID("password"), info.AdminPassword),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("menu-account")),
		chromedp.Click(chromedp.ID("menu-account")),
		chromedp.WaitVisible(chromedp.ID("topup-form")))
	before := number("acct-balance")
	run(chromedp.SendKeys(chromedp.ID("topup-segments"), "50"),
		chromedp.SendKeys(chromedp.ID("topup-note"), "浏览器充值"),
		chromedp.Click(chromedp.ID("topup-submit")),
		chromedp.WaitVisible(chromedp.ID("note")))
	topped := number("acct-balance")
	if topped != before+50 {
		t.Fatalf("balance %d after topping up 50 on %d", topped, before)
	}

	// Send three one-segment messages from the console.
	run(chromedp.Navigate(info.BaseURL+"/send"), chromedp.WaitVisible(chromedp.ID("numbers")),
		chromedp.SendKeys(chromedp.ID("numbers"), "13800138000\n13900139000\n13700137000"),
		chromedp.SendKeys(chromedp.ID("content"), "【示例单位】充值后发送"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("confirm-after")))
	if got, want := text("confirm-charge"), fmt.Sprintf("本次计费 3 条，发送后余额 %d 条。", topped-3); got != want {
		t.Fatalf("confirmation %q, want %q", got, want)
	}
	run(chromedp.Click(chromedp.ID("confirm-send")), chromedp.WaitVisible(chromedp.ID("sent")))
	apptest.Eventually(t, 60*time.Second, func() error {
		var list struct {
			Items []messageAnswer `json:"items"`
		}
		c.do("GET", "/api/v1/messages?limit=10", nil, &list)
		delivered := 0
		for _, m := range list.Items {
			if m.Status == "delivered" {
				delivered++
			}
		}
		if delivered != 3 {
			return fmt.Errorf("%d of 3 delivered", delivered)
		}
		return nil
	})

	// The balance fell by the charge.
	run(chromedp.Navigate(info.BaseURL+"/"), chromedp.WaitVisible(chromedp.ID("stat-balance")))
	if got := number("stat-balance"); got != topped-3 {
		t.Fatalf("dashboard balance %d after sending 3 on %d", got, topped)
	}

	// 统计报表 by month, and its export.
	month := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
	run(chromedp.Click(chromedp.ID("menu-stats")),
		chromedp.WaitVisible(chromedp.ID("stats-filters")),
		chromedp.SetValue(chromedp.ID("group_by"), "month"),
		// The search loads a new page: mark this one, so the wait below
		// cannot be met by its table.
		chromedp.Evaluate[chromedp.Void](`document.body.dataset.old = "1"`),
		chromedp.Click(chromedp.ID("stats-search")),
		chromedp.WaitVisible(chromedp.CSS("body:not([data-old]) #stats-table")))
	row := read(chromedp.Text(chromedp.CSS("#stats-table tr:nth-child(2)")))
	if cells := strings.Fields(row); len(cells) < 7 || cells[0] != month || cells[1] != "3" || cells[2] != "3" || cells[6] != "100.00%" {
		t.Fatalf("the month's row: %q", row)
	}
	b64 := read(chromedp.Evaluate[string](`(async () => {
		const r = await fetch(document.getElementById('export-stats-xlsx').href);
		const b = new Uint8Array(await r.arrayBuffer());
		let s = ''; for (const x of b) s += String.fromCharCode(x);
		return btoa(s);
	})()`, func(p *runtime.EvaluateParams) { await := true; p.AwaitPromise = &await }))
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("the export is no XLSX: %v", err)
	}
	defer x.Close()
	rows, err := x.GetRows("Sheet1")
	if err != nil || len(rows) < 2 || len(rows[1]) < 3 || rows[1][0] != month || rows[1][1] != "3" || rows[1][2] != "3" {
		t.Fatalf("export rows %q, %v", rows, err)
	}
}
