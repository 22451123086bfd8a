package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"smsgw/app"
)

// TestConsoleAccount (issue 16): 账户与消费 tops up (system administrators
// only), the dashboard shows the balance, a send beyond it keeps the form
// with the Chinese EQUOTA message, and a department administrator does
// not see a sibling's account.
func TestConsoleAccount(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	consoleUser(t, f, "admin1", app.RoleSysadmin)
	consoleUser(t, f, "op1", app.RoleOperator)
	root := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	a, b := &app.Department{ParentID: app.RootDepartmentID, Name: "甲处"}, &app.Department{ParentID: app.RootDepartmentID, Name: "乙处"}
	for _, d := range []*app.Department{a, b} {
		if err := f.db.CreateDepartment(ctx, root, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.db.CreateUser(ctx, nil, &app.User{Username: "boss-a", DisplayName: "甲处长", DepartmentID: a.ID, Role: app.RoleDeptAdmin}, "Console2026"); err != nil {
		t.Fatal(err)
	}

	admin := newBrowser(t, f.srv.URL)
	admin.login("admin1", "Console2026")
	if _, _, body := admin.get("/"); !strings.Contains(body, `id="stat-balance">不限额<`) {
		t.Errorf("dashboard of an unmetered platform: want 不限额")
	}
	form := url.Values{"csrf": {admin.csrf("/account")}, "department_id": {"1"}, "segments": {"2"}, "note": {"首次充值"}}
	if status, _, body := admin.post("/account/topup", form); status != 200 || !strings.Contains(body, `id="acct-balance">2<`) || !strings.Contains(body, "首次充值") {
		t.Fatalf("top-up: %d %s", status, body)
	}
	form.Set("note", "")
	if status, _, body := admin.post("/account/topup", form); status != 400 || !strings.Contains(body, "请填写充值或冲正的原因") {
		t.Errorf("top-up without a note: %d", status)
	}

	op := newBrowser(t, f.srv.URL)
	op.login("op1", "Console2026")
	opForm := url.Values{"csrf": {op.csrf("/account")}, "department_id": {"1"}, "segments": {"100"}, "note": {"自己充"}}
	if status, _, _ := op.post("/account/topup", opForm); status != 403 {
		t.Errorf("an operator topping up: %d, want 403", status)
	}
	_, _, page := op.get("/send")
	send := url.Values{"csrf": {op.csrf("/send")}, "token": {tokenRE.FindStringSubmatch(page)[1]},
		"numbers": {"13800138000,13800138001,13800138002"}, "content": {"【示例单位】三条"}, "mode": {"now"}}
	if status, _, body := op.post("/send", send); status != 400 || !strings.Contains(body, "余额不足：剩余 2 条，本次发送需 3 条，未发送") ||
		!strings.Contains(body, "13800138002") {
		t.Errorf("an overdraw from the send page: %d; want 400 with the EQUOTA message and the numbers kept", status)
	}
	send.Set("numbers", "13800138000")
	if status, _, _ := op.post("/send", send); status != 303 {
		t.Fatalf("a send within the balance: %d", status)
	}
	if _, _, body := op.get("/"); !strings.Contains(body, `id="stat-balance">1<`) || !strings.Contains(body, `id="stat-month-used">1<`) {
		t.Errorf("the operator's dashboard: want balance 1, month used 1")
	}
	if status, _, body := op.get("/account/balance"); status != 200 || !strings.Contains(body, `"balance":1`) {
		t.Errorf("/account/balance: %d %s", status, body)
	}
	if _, _, body := op.get("/account"); !strings.Contains(body, `class="kind">发送扣费<`) || strings.Contains(body, `id="topup-form"`) {
		t.Errorf("the operator's 账户与消费: want its debit and no top-up form")
	}
	if status, _, body := admin.get("/account/ledger/export?format=csv&department_id=1"); status != 200 || !strings.Contains(body, "首次充值") || !strings.Contains(body, "发送扣费") {
		t.Errorf("ledger export: %d %s", status, body)
	}

	boss := newBrowser(t, f.srv.URL)
	boss.login("boss-a", "Console2026")
	if status, _, _ := boss.get("/account?department_id=" + formatInt(b.ID)); status != 404 {
		t.Errorf("a department administrator on a sibling's account: %d, want 404", status)
	}
	if status, _, body := boss.get("/account?department_id=" + formatInt(a.ID)); status != 200 || !strings.Contains(body, `id="acct-balance">1<`) {
		t.Errorf("a department administrator on its own: %d", status)
	}
}

// TestConsoleAccountLinksKeepFilters: the export links and 下一页 the
// account page renders keep its department, kind and dates (they were
// escaped into one parameter's name, so export ignored them and the next
// page fell back to the viewer's own department).
func TestConsoleAccountLinksKeepFilters(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	consoleUser(t, f, "admin1", app.RoleSysadmin)
	root := &app.Principal{UserID: 1, Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	d := &app.Department{ParentID: app.RootDepartmentID, Name: "甲处"}
	if err := f.db.CreateDepartment(ctx, root, d); err != nil {
		t.Fatal(err)
	}
	for i := range 51 {
		if _, err := f.db.TopUp(ctx, root, d.ID, 1, "甲处充值"+formatInt(int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.db.TopUp(ctx, root, app.RootDepartmentID, 5, "根部门充值"); err != nil {
		t.Fatal(err)
	}
	admin := newBrowser(t, f.srv.URL)
	admin.login("admin1", "Console2026")
	_, _, body := admin.get("/account?department_id=" + formatInt(d.ID) + "&kind=topup&since=2020-01-01")
	href := func(id string) string {
		m := regexp.MustCompile(`id="` + id + `" href="([^"]*)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no link %s on the page", id)
		}
		return html.UnescapeString(m[1])
	}
	export := href("export-ledger-csv")
	u, err := url.Parse(export)
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("department_id") != formatInt(d.ID) || q.Get("kind") != "topup" || q.Get("since") == "" || q.Get("format") != "csv" {
		t.Errorf("export link %s: filters lost", export)
	}
	status, _, csv := admin.get(export)
	if status != 200 || strings.Count(csv, "甲处充值") != 51 || strings.Contains(csv, "根部门充值") {
		t.Errorf("export from the page's link: %d, %d of 甲处's 51 top-ups, the root's in it: %v", status, strings.Count(csv, "甲处充值"), strings.Contains(csv, "根部门充值"))
	}
	next := href("ledger-next")
	status, _, page2 := admin.get(next)
	if status != 200 || !strings.Contains(page2, "甲处充值0<") || strings.Contains(page2, "根部门充值") {
		t.Errorf("下一页 (%s): %d; want 甲处's oldest top-up and not the root's", next, status)
	}
	if !strings.Contains(page2, `value="2020-01-01"`) || !strings.Contains(page2, `<option value="topup" selected>`) {
		t.Errorf("下一页 (%s) lost its date or kind filter", next)
	}
}

// TestConsoleSendInPartsChargedWhole: a console send of more numbers than
// one request carries goes as batches of 10,000; a balance that covers
// the first but not the whole sends none and says what the whole needs
// (the first batch was charged and queued before the second's EQUOTA).
func TestConsoleSendInPartsChargedWhole(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	consoleUser(t, f, "op1", app.RoleOperator)
	root := &app.Principal{UserID: 1, Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	if _, err := f.db.TopUp(ctx, root, app.RootDepartmentID, 10000, "一万条"); err != nil {
		t.Fatal(err)
	}
	op := newBrowser(t, f.srv.URL)
	op.login("op1", "Console2026")
	nums := make([]string, 10001)
	for i := range nums {
		nums[i] = fmt.Sprintf("137%08d", i)
	}
	_, _, page := op.get("/send")
	send := url.Values{"csrf": {op.csrf("/send")}, "token": {tokenRE.FindStringSubmatch(page)[1]},
		"numbers": {strings.Join(nums, "\n")}, "content": {"【示例单位】全员通知"}, "mode": {"now"}}
	status, _, body := op.post("/send", send)
	if status != 400 || !strings.Contains(body, "余额不足：剩余 10000 条，本次发送分 2 批共需 10001 条，未发送") {
		t.Errorf("10,001 numbers against 10,000 segments: %d; want 400 with the whole's EQUOTA message", status)
	}
	if a, err := f.db.Account(ctx, root, app.RootDepartmentID); err != nil || a.Balance != 10000 {
		t.Errorf("balance after the refused send: %+v %v; want 10000 (nothing charged)", a, err)
	}
	if _, _, list := op.get("/records"); strings.Contains(list, `<tr id="batch-`) {
		t.Errorf("a batch stored by the refused send")
	}
	send.Set("numbers", strings.Join(nums[:10000], "\n"))
	if status, _, _ := op.post("/send", send); status != 303 {
		t.Errorf("10,000 numbers against 10,000 segments: %d, want 303", status)
	}
}

// TestConsoleAccountAuditSummaries: the audit entries of 账户与消费's
// forms say what was asked: segments and note, the threshold, the setting.
func TestConsoleAccountAuditSummaries(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	consoleUser(t, f, "admin1", app.RoleSysadmin)
	root := &app.Principal{UserID: 1, Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	d := &app.Department{ParentID: app.RootDepartmentID, Name: "甲处"}
	if err := f.db.CreateDepartment(ctx, root, d); err != nil {
		t.Fatal(err)
	}
	admin := newBrowser(t, f.srv.URL)
	admin.login("admin1", "Console2026")
	csrf := admin.csrf("/account")
	for _, post := range []struct {
		path string
		form url.Values
	}{
		{"/account/topup", url.Values{"department_id": {"1"}, "segments": {"20"}, "note": {"首次充值"}}},
		{"/account/allocate", url.Values{"department_id": {"1"}, "to_department_id": {formatInt(d.ID)}, "segments": {"7"}, "note": {"给甲处"}}},
		{"/account/threshold", url.Values{"department_id": {formatInt(d.ID)}, "threshold": {"3"}}},
		{"/account/refund", url.Values{"refund_failed": {"on"}}},
		{"/account/topup", url.Values{"department_id": {"1"}, "segments": {"-99"}, "note": {"冲正"}}},
	} {
		post.form.Set("csrf", csrf)
		admin.post(post.path, post.form)
	}
	list, _, err := f.db.FindAudit(ctx, root, app.AuditFilter{Action: "account.", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Action+" "+e.Result+" "+e.Summary)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"account.topup ok 充值 20 条：首次充值", "account.allocate ok 划拨 7 条：给甲处",
		"account.threshold ok 低余额提醒阈值 3 条", "account.refund ok 失败退还：开启", "account.topup EINVALID 充值 -99 条：冲正"} {
		if !strings.Contains(all, want) {
			t.Errorf("audit entries:\n%s\nwant %q", all, want)
		}
	}
}
