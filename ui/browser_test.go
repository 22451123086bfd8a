package ui_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

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
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
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
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	read := func(a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	do(chromedp.Navigate(f.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("username")))
	title := read(chromedp.Title())
	do(chromedp.SendKeys(chromedp.ID("username"), "liu"),
		chromedp.SendKeys(chromedp.ID("password"), "wrong-pass-1"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("error")))
	errText := read(chromedp.Text(chromedp.ID("error")))
	// The page came back with the username kept and the password empty.
	do(chromedp.SendKeys(chromedp.ID("password"), "Initial2026"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("new")),
		chromedp.SendKeys(chromedp.ID("old"), "Initial2026"),
		chromedp.SendKeys(chromedp.ID("new"), "Browser2026"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("welcome")))
	welcome := read(chromedp.Text(chromedp.ID("welcome")))
	do(chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("username")))
	if !strings.Contains(title, "登录") || !strings.Contains(errText, "用户名或密码错误") || !strings.Contains(welcome, "刘六") {
		t.Fatalf("title %q, error %q, welcome %q", title, errText, welcome)
	}
}
