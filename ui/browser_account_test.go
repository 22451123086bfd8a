package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"smsgw/app"
)

// TestBrowserQuota (issue 16): a system administrator tops up on 账户与消费,
// sends from 发送短信 (the confirmation shows the charge and the balance
// after it), and sees the balance fall on the dashboard and the account
// page.
func TestBrowserQuota(t *testing.T) {
	ctx := chrome(t)
	f := newFixture(t)
	consoleUser(t, f, "cashier", app.RoleSysadmin)
	do(t, ctx, signIn(f.srv.URL+"/account", "cashier"),
		chromedp.WaitVisible(chromedp.ID("topup-form")),
		chromedp.SendKeys(chromedp.ID("topup-segments"), "5"),
		chromedp.SendKeys(chromedp.ID("topup-note"), "浏览器充值"),
		chromedp.Click(chromedp.ID("topup-submit")),
		chromedp.WaitVisible(chromedp.ID("note")))
	if got := read(t, ctx, chromedp.Text(chromedp.ID("acct-balance"))); got != "5" {
		t.Fatalf("balance after topping up: %q, want 5", got)
	}
	do(t, ctx, chromedp.Navigate(f.srv.URL+"/send"),
		chromedp.WaitVisible(chromedp.ID("numbers")),
		chromedp.SendKeys(chromedp.ID("numbers"), "13800138000\n13800138001"),
		chromedp.SendKeys(chromedp.ID("content"), "【示例单位】余额测试"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("confirm-after")))
	if got := read(t, ctx, chromedp.Text(chromedp.ID("confirm-charge"))); got != "本次计费 2 条，发送后余额 3 条。" {
		t.Errorf("confirmation: %q", got)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("confirm-send")), chromedp.WaitVisible(chromedp.ID("sent")),
		chromedp.Navigate(f.srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("stat-balance")))
	if got := read(t, ctx, chromedp.Text(chromedp.ID("stat-balance"))); got != "3" {
		t.Errorf("dashboard balance after sending 2: %q, want 3", got)
	}
	do(t, ctx, chromedp.Navigate(f.srv.URL+"/account"), chromedp.WaitVisible(chromedp.ID("ledger")))
	if got := read(t, ctx, chromedp.Text(chromedp.ID("acct-balance"))); got != "3" {
		t.Errorf("account page balance: %q, want 3", got)
	}
	if got := read(t, ctx, chromedp.Text(chromedp.ID("ledger"))); !contains(got, "发送扣费", "-2", "浏览器充值", "+5") {
		t.Errorf("ledger: %q", got)
	}
}

// contains reports whether s holds every part.
func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
