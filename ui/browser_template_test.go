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

// approvedTemplate stores tpl in the root department, approved.
func approvedTemplate(t *testing.T, f *fixture, tpl *app.Template) {
	t.Helper()
	ctx := context.Background()
	admin := &app.Principal{UserID: 1, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}
	if err := f.db.CreateTemplate(ctx, admin, tpl); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ReviewTemplate(ctx, admin, tpl.ID, &app.Review{Decision: "approve"}); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserTemplateSend sends from the console as a user of a department
// that must use templates: the page offers no free text, fills the
// template's variables into the preview, and the message is the filled text.
func TestBrowserTemplateSend(t *testing.T) {
	ctx := chrome(t)
	f := newFixture(t)
	bg := context.Background()
	admin := &app.Principal{UserID: 1, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}
	d := &app.Department{Name: "窗口科", TemplatesOnly: true}
	if err := f.db.CreateDepartment(bg, admin, d); err != nil {
		t.Fatal(err)
	}
	tpl := &app.Template{Name: "取件通知", Kind: app.KindNotice, Content: "您的材料已办结，请凭取件码${code}到${place}领取",
		Vars: map[string]app.VarRule{"code": {Type: app.VarDigits, MaxLen: 6}}}
	approvedTemplate(t, f, tpl)
	u := &app.User{Username: "chen", DisplayName: "陈七", DepartmentID: d.ID, Role: app.RoleOperator}
	if err := f.db.CreateUser(bg, nil, u, "Console2026"); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, signIn(f.srv.URL+"/send", "chen"),
		chromedp.WaitVisible(chromedp.ID("template-box")),
		chromedp.SendKeys(chromedp.ID("numbers"), "13800138000"),
		chromedp.WaitVisible(chromedp.ID("param_code")),
		chromedp.SendKeys(chromedp.ID("param_code"), "123456"),
		chromedp.SendKeys(chromedp.ID("param_place"), "三号窗口"))
	freeShown := read(t, ctx, chromedp.Evaluate[string](`String(document.getElementById('content').offsetParent !== null)`)) == "true"
	preview := read(t, ctx, chromedp.Text(chromedp.ID("preview")))
	if freeShown || preview != "【示例单位】您的材料已办结，请凭取件码123456到三号窗口领取" {
		t.Fatalf("free text shown %v; preview %q", freeShown, preview)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("confirm-send")),
		chromedp.Click(chromedp.ID("confirm-send")), chromedp.WaitVisible(chromedp.ID("sent")))
	list, _, err := f.db.FindMessages(bg, admin, app.MessageFilter{})
	if err != nil || len(list) != 1 || list[0].Content != preview {
		t.Fatalf("sent: %v, %v", list, err)
	}
	if !strings.HasPrefix(list[0].Content, "【示例单位】") {
		t.Fatal("no signature")
	}
}

// TestBrowserPersonalisedSend uploads a table of numbers and their own
// values on the send page (个性化群发): bad rows are listed, the preview is
// the first number's text, and each number is sent its own.
func TestBrowserPersonalisedSend(t *testing.T) {
	ctx := chrome(t)
	f := newFixture(t)
	bg := context.Background()
	admin := &app.Principal{UserID: 1, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}
	tpl := &app.Template{Name: "缴费提醒", Kind: app.KindNotice, Content: "${name}您好，本月水费${amount}元",
		Vars: map[string]app.VarRule{"amount": {Type: app.VarNumber, MaxLen: 8}}}
	approvedTemplate(t, f, tpl)
	consoleUser(t, f, "sun", app.RoleOperator)
	file := filepath.Join(t.TempDir(), "水费.csv")
	table := "手机号码,name,amount\n13800138001,张三,12.5\n138001380,李四,3\n13800138002,王五,300\n13800138001,张三,12.5\n"
	if err := os.WriteFile(file, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, signIn(f.srv.URL+"/send", "sun"),
		chromedp.WaitVisible(chromedp.ID("kind-template")),
		chromedp.Click(chromedp.ID("kind-template")),
		chromedp.WaitVisible(chromedp.ID("param-file")),
		chromedp.SetUploadFiles(chromedp.ID("param-file"), []string{file}),
		chromedp.WaitVisible(chromedp.ID("per-state")))
	state := read(t, ctx, chromedp.Text(chromedp.ID("upload-state")))
	preview := read(t, ctx, chromedp.Text(chromedp.ID("preview")))
	if !strings.Contains(state, "已读入 2 个号码") || !strings.Contains(state, "去除重复 1") || !strings.Contains(state, "无效 1") ||
		preview != "【示例单位】张三您好，本月水费12.5元" {
		t.Fatalf("after the upload: %q; preview %q", state, preview)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("confirm-send")),
		chromedp.Click(chromedp.ID("confirm-send")), chromedp.WaitVisible(chromedp.ID("sent")))
	list, _, err := f.db.FindMessages(bg, admin, app.MessageFilter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("sent %d, %v", len(list), err)
	}
	got := map[string]string{list[0].To: list[0].Content, list[1].To: list[1].Content}
	if got["13800138001"] != "【示例单位】张三您好，本月水费12.5元" || got["13800138002"] != "【示例单位】王五您好，本月水费300元" {
		t.Fatalf("sent texts %v", got)
	}
}
