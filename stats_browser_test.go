package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// TestBrowserStatsOnTheDemo (issue 16): messages sent through the demo's
// simulators are delivered; 统计报表 by month in Chromium shows them, with
// the charts drawn under the console's CSP, and its XLSX export holds the
// same numbers.
func TestBrowserStatsOnTheDemo(t *testing.T) {
	ctx := browser(t, 120*time.Second)
	_, _, info := startDemo(t)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}
	for _, to := range []string{"13800138000", "13900139000", "13700137000"} {
		a := c.send(to, "【示例单位】统计报表测试")
		c.waitStatus(a.Messages[0].ID, "delivered", 30*time.Second)
	}

	month := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(info.BaseURL+"/"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), info.AdminUser),
		chromedp.SendKeys(chromedp.ID("password"), info.AdminPassword),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("menu-stats")),
		chromedp.Click(chromedp.ID("menu-stats")),
		chromedp.WaitVisible(chromedp.ID("stats-filters")),
		chromedp.SetValue(chromedp.ID("group_by"), "month"),
		// The search loads a new page: mark this one, so the wait below
		// cannot be met by its table.
		chromedp.Evaluate[chromedp.Void](`document.body.dataset.old = "1"`),
		chromedp.Click(chromedp.ID("stats-search")),
		chromedp.WaitVisible(chromedp.CSS("body:not([data-old]) #stats-table")),
	); err != nil {
		t.Fatal(err)
	}
	read := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	row := read(chromedp.Text(chromedp.CSS("#stats-table tr:nth-child(2)")))
	footnote := read(chromedp.Text(chromedp.ID("stats-footnote")))
	// ECharts draws on canvases: the script ran under the CSP.
	canvases := read(chromedp.Evaluate[string](`String(document.querySelectorAll('#trend-chart canvas, #status-chart canvas, #carrier-chart canvas').length)`))
	cells := strings.Fields(row)
	if len(cells) < 8 || cells[0] != month || cells[1] != "3" || cells[2] != "3" || cells[3] != "0" || cells[6] != "100.00%" {
		t.Fatalf("the month's row: %q", row)
	}
	if !strings.Contains(footnote, "成功率 = 成功 ÷（成功 + 失败）") || canvases != "3" {
		t.Fatalf("footnote %q, %s charts drawn", footnote, canvases)
	}

	// The export, fetched as the page's link does, with the session.
	b64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const r = await fetch(document.getElementById('export-stats-xlsx').href);
		const b = new Uint8Array(await r.arrayBuffer());
		let s = ''; for (const x of b) s += String.fromCharCode(x);
		return btoa(s);
	})()`, func(p *runtime.EvaluateParams) { await := true; p.AwaitPromise = &await }))
	if err != nil {
		t.Fatal(err)
	}
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
	if err != nil || len(rows) < 3 {
		t.Fatalf("export rows %v, %v", rows, err)
	}
	if strings.Join(rows[0], ",") != "周期,发送量,成功,失败,待回执,计费条数,成功率,失败率" ||
		strings.Join(rows[1], ",") != month+",3,3,0,0,3,100.00%,0.00%" || rows[2][0] != "合计" {
		t.Fatalf("export: %q", rows)
	}
}
