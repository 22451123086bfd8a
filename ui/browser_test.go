package ui_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"smsgw/app"
)

// chrome starts Debian's Chromium headless for a test, or skips the test
// loudly when it is not installed.
func chrome(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("BROWSER TEST SKIPPED: Debian's chromium is not installed (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(tab, 180*time.Second) // a loaded 2-core machine is slow (the CSP walk once took 90 s beside the other packages)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	t.Cleanup(func() { screenshotOnFailure(t, tab) }) // runs first, while the browser is open
	return ctx
}

// screenshotOnFailure saves what the browser showed when a test failed, as
// a test artifact: $SMSGW_ARTIFACTS (default ./test-artifacts)/TestName.png.
func screenshotOnFailure(t *testing.T, tab context.Context) {
	if !t.Failed() {
		return
	}
	// The test's own deadline may be what failed it: the shot gets its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(tab), 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	dir := os.Getenv("SMSGW_ARTIFACTS")
	if dir == "" {
		dir = "test-artifacts"
	}
	name := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".png")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		if err := os.WriteFile(name, png, 0o644); err == nil {
			t.Logf("screenshot of the failure: %s", name)
		}
	}
}

// do runs browser actions and fails the test on the first error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// waitAtMost is ctx with a deadline d from now: a step that must not eat
// the whole walk's time.
func waitAtMost(ctx context.Context, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(ctx, d)
	_ = cancel // ends with ctx; the deadline frees it
	return c
}

// signIn opens url, which leads to the login page, and signs in as user
// with the fixtures' password.
func signIn(url, user string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), "Console2026"),
		chromedp.Click(chromedp.ID("submit")))
}

// read runs one browser action that answers a string.
func read(t *testing.T, ctx context.Context, a chromedp.Action[string]) string {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBrowserLogin logs in through the real page in Chromium: first login,
// forced password change, home, logout.
func TestBrowserLogin(t *testing.T) {
	ctx := chrome(t)
	f := newFixture(t)
	u := &app.User{Username: "liu", DisplayName: "刘六", DepartmentID: app.RootDepartmentID, Role: app.RoleOperator, MustChangePassword: true}
	if err := f.db.CreateUser(context.Background(), nil, u, "Initial2026"); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(f.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("username")))
	title := read(t, ctx, chromedp.Title())
	do(t, ctx, chromedp.SendKeys(chromedp.ID("username"), "liu"),
		chromedp.SendKeys(chromedp.ID("password"), "wrong-pass-1"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("error")))
	errText := read(t, ctx, chromedp.Text(chromedp.ID("error")))
	// The page came back with the username kept and the password empty.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("password"), "Initial2026"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("new")),
		chromedp.SendKeys(chromedp.ID("old"), "Initial2026"),
		chromedp.SendKeys(chromedp.ID("new"), "Browser2026"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("who")))
	welcome := read(t, ctx, chromedp.Text(chromedp.ID("who")))
	// Clicked from script: the dashboard refreshes parts of itself, and a
	// node chromedp found may be replaced before its click lands.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('logout').click(), true`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("username")))
	if !strings.Contains(title, "登录") || !strings.Contains(errText, "用户名或密码错误") || !strings.Contains(welcome, "刘六") {
		t.Fatalf("title %q, error %q, welcome %q", title, errText, welcome)
	}
}

// TestBrowserSend sends from the console in Chromium: the live counters,
// the confirmation, the batch page, and its progress when the message is
// delivered (recorded straight in the store: this package has no engine).
func TestBrowserSend(t *testing.T) {
	ctx := chrome(t)
	f := newFixture(t)
	u := &app.User{Username: "wang", DisplayName: "王五", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}
	if err := f.db.CreateUser(context.Background(), nil, u, "Console2026"); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, signIn(f.srv.URL+"/send", "wang"),
		chromedp.WaitVisible(chromedp.ID("menu-send")),
		chromedp.Click(chromedp.ID("menu-send")),
		chromedp.WaitVisible(chromedp.ID("numbers")),
		chromedp.SendKeys(chromedp.ID("numbers"), "13800138000\n13800138000\n12345"),
		chromedp.SendKeys(chromedp.ID("content"), "【示例单位】明天上午九点开会"))
	counts := read(t, ctx, chromedp.Text(chromedp.ID("number-count")))
	chars := read(t, ctx, chromedp.Text(chromedp.ID("char-count")))
	if !strings.Contains(counts, "有效 1") || !strings.Contains(counts, "重复 1") || !strings.Contains(counts, "无效 1") {
		t.Errorf("number counter: %q", counts)
	}
	if !strings.Contains(chars, "14 个字") || !strings.Contains(chars, "每条 1") {
		t.Errorf("character counter: %q", chars)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("clean")), chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("confirm-send")))
	total := read(t, ctx, chromedp.Text(chromedp.ID("confirm-total")))
	do(t, ctx, chromedp.Click(chromedp.ID("confirm-send")), chromedp.WaitVisible(chromedp.ID("sent")))
	status := read(t, ctx, chromedp.Text(chromedp.CSS("#messages tbody td:nth-child(2)")))
	if total != "1" || status != "排队中" {
		t.Fatalf("confirmation total %q, status after sending %q", total, status)
	}

	// The engine's part, straight in the store: claimed, submitted, delivered.
	ctxb := context.Background()
	jobs, err := f.db.Claim(ctxb, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	m := jobs[0].Messages[0]
	now := time.Now()
	if err := f.db.Record(ctxb, []app.Outcome{{MessageID: m.ID, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"b1"}, At: now}}, []string{jobs[0].ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.ApplyReceipts(ctxb, []app.Receipt{{ChannelID: 1, SMSCID: "b1", Stat: "DELIVRD", Err: "000", At: now}}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#messages td.status-delivered"))) // the page refreshes itself
	if p := read(t, ctx, chromedp.Text(chromedp.CSS("#progress .progress"))); !strings.Contains(p, "已送达 1") {
		t.Errorf("progress after delivery: %q", p)
	}
}

// TestBrowserUpload uploads an XLSX of 1,000 numbers with some invalid ones
// on the send page: the good ones fill the box, the bad rows are listed by
// line, and the send goes through to one batch of 990.
func TestBrowserUpload(t *testing.T) {
	ctx := chrome(t)
	f := newFixture(t)
	consoleUser(t, f, "zhao", app.RoleOperator)
	file := filepath.Join(t.TempDir(), "名单.xlsx")
	if err := os.WriteFile(file, xlsxOf(t, thousandNumbers()), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, signIn(f.srv.URL+"/send", "zhao"),
		chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		chromedp.WaitVisible(chromedp.ID("bad-rows")))
	state, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("upload-state")))
	if err != nil {
		t.Fatal(err)
	}
	counts, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("number-count")))
	if !strings.Contains(state, "已读入 990 个号码") || !strings.Contains(counts, "有效 990") {
		t.Fatalf("after the upload: %q, %q", state, counts)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("content"), "【示例单位】年度体检通知"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("confirm-send")),
		chromedp.Click(chromedp.ID("confirm-send")),
		chromedp.WaitVisible(chromedp.ID("sent")))
	progress, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#progress .progress")))
	if !strings.Contains(progress, "排队 990") {
		t.Errorf("batch progress after sending: %q; want 990 queued", progress)
	}
}

// TestBrowserTabletAndRoles opens the console at tablet width as an
// operator: no page is wider than the screen, and the menu has no channel
// page, whose address answers with the 403 page.
func TestBrowserTabletAndRoles(t *testing.T) {
	ctx := chrome(t)
	f := newFixture(t)
	consoleUser(t, f, "tablet", app.RoleOperator)
	do(t, ctx, chromedp.EmulateViewport(800, 1100),
		signIn(f.srv.URL+"/", "tablet"),
		chromedp.WaitVisible(chromedp.ID("menu")))
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#hour-chart canvas"))) // ECharts drew today's chart
	menu := read(t, ctx, chromedp.Text(chromedp.ID("menu")))
	if strings.Contains(menu, "通道管理") || !strings.Contains(menu, "发送短信") {
		t.Errorf("an operator's menu: %q", menu)
	}
	for _, path := range []string{"/", "/send", "/records", "/replies"} {
		do(t, ctx, chromedp.Navigate(f.srv.URL+path), chromedp.WaitVisible(chromedp.ID("title")))
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
		if err != nil {
			t.Fatal(err)
		}
		if width > 800 {
			t.Errorf("%s is %d px wide on an 800 px screen", path, width)
		}
	}
	do(t, ctx, chromedp.Navigate(f.srv.URL+"/channels"), chromedp.WaitVisible(chromedp.ID("forbidden")))
}

// TestBrowserFailedResendAndSchedule goes through the rest of the daily
// work in Chromium: export the failed numbers, resend them, then schedule a
// batch and cancel it.
func TestBrowserFailedResendAndSchedule(t *testing.T) {
	ctx := chrome(t)
	f := newFixture(t)
	consoleUser(t, f, "chen", app.RoleOperator)
	login := []chromedp.Action[chromedp.Void]{chromedp.Navigate(f.srv.URL + "/send"), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "chen"), chromedp.SendKeys(chromedp.ID("password"), "Console2026"),
		chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("numbers"))}
	do(t, ctx, login...)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("numbers"), "13800138000\n13800138001\n13800138002"),
		chromedp.SendKeys(chromedp.ID("content"), "【示例单位】请回复确认"),
		chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("confirm-send")),
		chromedp.Click(chromedp.ID("confirm-send")), chromedp.WaitVisible(chromedp.ID("sent")))

	// Two of the three fail (the engine's part, straight in the store).
	bg := context.Background()
	jobs, err := f.db.Claim(bg, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	ms, now := jobs[0].Messages, time.Now()
	if err := f.db.Record(bg, []app.Outcome{
		{MessageID: ms[0].ID, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"ok"}, At: now},
		{MessageID: ms[1].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: now},
		{MessageID: ms[2].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: now}}, []string{jobs[0].ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.ApplyReceipts(bg, []app.Receipt{{ChannelID: 1, SMSCID: "ok", Stat: "DELIVRD", Err: "000", At: now}}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("export-csv"))) // the page refreshes itself until the batch is done
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.getElementById('export-csv').href).then(r => r.text())`,
		func(p *runtime.EvaluateParams) { await := true; p.AwaitPromise = &await }))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(csv, "SMPP_0x0B") != 2 || strings.Contains(csv, ms[0].To) {
		t.Errorf("exported failed numbers:\n%s", csv)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("resend")), chromedp.WaitVisible(chromedp.ID("resend-confirm")),
		chromedp.Click(chromedp.ID("resend-confirm")), chromedp.WaitVisible(chromedp.ID("resend-of")))
	if p := read(t, ctx, chromedp.Text(chromedp.CSS("#progress .progress"))); !strings.Contains(p, "排队 2") {
		t.Errorf("the resend batch: %q; want 2 queued", p)
	}

	// Schedule one for tomorrow, then cancel it.
	tomorrow := time.Now().Add(24 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04")
	do(t, ctx, chromedp.Navigate(f.srv.URL+"/send"), chromedp.WaitVisible(chromedp.ID("numbers")),
		chromedp.SendKeys(chromedp.ID("numbers"), "13800138009"),
		chromedp.SendKeys(chromedp.ID("content"), "【示例单位】明天的通知"),
		chromedp.Click(chromedp.ID("mode-scheduled")), chromedp.WaitVisible(chromedp.ID("send_at")))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = document.getElementById('send_at'); e.value = '`+tomorrow+`'; e.dispatchEvent(new Event('input')); return true })()`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("confirm-send")),
		chromedp.Click(chromedp.ID("confirm-send")), chromedp.WaitVisible(chromedp.ID("cancel-batch")),
		chromedp.Click(chromedp.ID("cancel-batch")), chromedp.WaitNotPresent(chromedp.ID("cancel-batch")))
	if p := read(t, ctx, chromedp.Text(chromedp.CSS("#progress .progress"))); !strings.Contains(p, "已取消 1") {
		t.Errorf("after cancelling: %q", p)
	}
}

// TestBrowserLargeSend sends 12,000 numbers: the page submits them as two
// batches of at most 10,000 with a progress bar, then shows the records.
func TestBrowserLargeSend(t *testing.T) {
	ctx := chrome(t)
	f := newFixture(t)
	consoleUser(t, f, "bulk", app.RoleOperator)
	do(t, ctx, signIn(f.srv.URL+"/send", "bulk"), chromedp.WaitVisible(chromedp.ID("numbers")))
	fill := `(() => { const a = []; for (let i = 0; i < 12000; i++) a.push('137' + String(i).padStart(8, '0'));
		const e = document.getElementById('numbers'); e.value = a.join('\n'); e.dispatchEvent(new Event('input')); return true })()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fill)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("content"), "【示例单位】全员通知"),
		chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("confirm-send")))
	if n := read(t, ctx, chromedp.Text(chromedp.ID("confirm-numbers"))); n != "12000" {
		t.Fatalf("confirmation shows %s numbers", n)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("confirm-send")), chromedp.WaitVisible(chromedp.ID("batches")))
	rows := read(t, ctx, chromedp.Text(chromedp.CSS("#batches tbody")))
	if !strings.Contains(rows, "10000") || !strings.Contains(rows, "2000") {
		t.Errorf("records after the large send: %q; want batches of 10000 and 2000", rows)
	}
}
