package ui_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsgw/app"
)

var tokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

// newBrowserAs creates an operator and logs it in.
func newBrowserAs(t *testing.T, f *fixture, username string) *browser {
	t.Helper()
	consoleUser(t, f, username, app.RoleOperator)
	b := newBrowser(t, f.srv.URL)
	b.login(username, "Console2026")
	return b
}

// consoleUser creates a user who need not change the password.
func consoleUser(t *testing.T, f *fixture, username string, role app.Role) {
	t.Helper()
	u := &app.User{Username: username, DisplayName: username, DepartmentID: app.RootDepartmentID, Role: role}
	if err := f.db.CreateUser(context.Background(), nil, u, "Console2026"); err != nil {
		t.Fatal(err)
	}
}

func TestConsolePages(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "admin1", app.RoleSysadmin)
	consoleUser(t, f, "op1", app.RoleOperator)
	consoleUser(t, f, "audit1", app.RoleAuditor)

	t.Run("UnauthenticatedGoesToALoginPageInChinese", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		if status, loc, _ := b.get("/send"); status != 303 || loc != "/login" {
			t.Fatalf("/send without a session: %d %s", status, loc)
		}
		if _, _, body := b.get("/login"); !strings.Contains(body, "登录") {
			t.Fatalf("login page: %s", body)
		}
	})

	t.Run("PagesAndTheirTitles", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		b.login("admin1", "Console2026")
		for path, title := range map[string]string{"/": "首页", "/send": "发送短信", "/records": "发送记录", "/channels": "通道管理"} {
			status, _, body := b.get(path)
			if status != 200 || !strings.Contains(body, `<h1 id="title">`+title+`</h1>`) {
				t.Errorf("%s: %d, want 200 with the title %s", path, status, title)
			}
		}
	})

	t.Run("MenusFollowTheRole", func(t *testing.T) {
		op := newBrowser(t, f.srv.URL)
		op.login("op1", "Console2026")
		if _, _, body := op.get("/"); strings.Contains(body, `id="menu-channels"`) || !strings.Contains(body, `id="menu-send"`) {
			t.Errorf("an operator's menu: channels shown or send missing")
		}
		if status, _, body := op.get("/channels"); status != 403 || !strings.Contains(body, "不能使用此页面") {
			t.Errorf("an operator on /channels: %d", status)
		}
		au := newBrowser(t, f.srv.URL)
		au.login("audit1", "Console2026")
		if _, _, body := au.get("/"); strings.Contains(body, `id="menu-send"`) {
			t.Errorf("an auditor's menu offers sending")
		}
		if status, _, _ := au.get("/send"); status != 403 {
			t.Errorf("an auditor on /send: %d, want 403", status)
		}
	})

	t.Run("SendOnceThoughSubmittedTwice", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		b.login("op1", "Console2026")
		_, _, page := b.get("/send")
		m := tokenRE.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no form token on /send")
		}
		form := url.Values{"csrf": {b.csrf("/send")}, "token": {m[1]}, "numbers": {"13800138000，13800138001\n123"},
			"content": {"【示例单位】明天上午九点开会"}, "mode": {"now"}}
		status, loc, _ := b.post("/send", form)
		if status != 303 || !strings.HasPrefix(loc, "/records/") {
			t.Fatalf("send: %d %s", status, loc)
		}
		if status, again, _ := b.post("/send", form); status != 303 || again != loc {
			t.Errorf("the same form again: %d %s; want the first batch %s", status, again, loc)
		}
		_, _, body := b.get(strings.TrimSuffix(loc, "?sent=1"))
		if strings.Count(body, `<tr id="msg-`) != 2 || !strings.Contains(body, "123") {
			t.Errorf("batch page: want 2 messages and the rejected number 123:\n%s", body)
		}
		link := regexp.MustCompile(`href="(/messages/[0-9]+)"`).FindStringSubmatch(body)
		if link == nil {
			t.Fatal("the batch page links no message")
		}
		if status, _, detail := b.get(link[1]); status != 200 || !strings.Contains(detail, "排队中") || !strings.Contains(detail, "明天上午九点开会") {
			t.Errorf("message detail: %d", status)
		}
		if status, _, _ := newBrowserAs(t, f, "op3").get(link[1]); status != 404 {
			t.Errorf("another operator's message: %d, want 404", status)
		}
		_, _, list := b.get("/records")
		if strings.Count(list, `<tr id="batch-`) != 1 {
			t.Errorf("records: want one batch")
		}
	})

	t.Run("BadInputNamesTheProblem", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		b.login("op1", "Console2026")
		form := url.Values{"csrf": {b.csrf("/send")}, "numbers": {"13800138000"}, "content": {"没有签名"}, "mode": {"now"}}
		if status, _, body := b.post("/send", form); status != 400 || !strings.Contains(body, "签名") || !strings.Contains(body, "没有签名") {
			t.Errorf("content without a signature: %d; want 400 naming the signature, the text kept", status)
		}
		form.Set("content", "【示例单位】定时")
		form.Set("mode", "scheduled")
		form.Set("send_at", "2020-01-01T09:00")
		if status, _, body := b.post("/send", form); status != 400 || !strings.Contains(body, "晚于现在") {
			t.Errorf("a schedule in the past: %d", status)
		}
		form.Set("content", `【示例单位】<script>alert(1)</script>`)
		form.Set("mode", "now")
		status, loc, _ := b.post("/send", form)
		if status != 303 {
			t.Fatalf("send: %d", status)
		}
		_, _, body := b.get(strings.TrimSuffix(loc, "?sent=1"))
		if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "&lt;script&gt;alert(1)") {
			t.Errorf("the batch page does not escape the stored content")
		}
	})

	t.Run("EnglishSwitch", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		b.login("admin1", "Console2026")
		b.post("/lang", url.Values{"csrf": {b.csrf("/")}, "back": {"/records"}})
		if _, _, body := b.get("/records"); !strings.Contains(body, `<h1 id="title">Records</h1>`) {
			t.Errorf("after switching to English the records title is not English")
		}
		b.post("/lang", url.Values{"csrf": {b.csrf("/settings")}, "lang": {"zh"}, "back": {"/settings"}})
		if _, _, body := b.get("/settings"); !strings.Contains(body, `<h1 id="title">个人设置</h1>`) {
			t.Errorf("choosing Chinese in the settings did not switch back")
		}
	})

	t.Run("StaticFilesCarryTheirHash", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		b.login("admin1", "Console2026")
		_, _, body := b.get("/")
		m := regexp.MustCompile(`src="(/static/[0-9a-f]+/vendor/htmx-2.0.11.min.js)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no hashed htmx address on the page")
		}
		if status, _, js := b.get(m[1]); status != 200 || !strings.Contains(js, "htmx") {
			t.Errorf("%s: %d", m[1], status)
		}
		if status, _, _ := b.get("/static/000000000000/vendor/htmx-2.0.11.min.js"); status != 404 {
			t.Errorf("a stale hash: %d, want 404", status)
		}
	})
}

func TestConsoleFailedExportResendAndCancel(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "op2", app.RoleOperator)
	ctx := context.Background()

	t.Run("BackToThePageAfterLogin", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		if status, loc, _ := b.get("/records?content=%E4%BC%9A"); status != 303 || loc != "/login" {
			t.Fatalf("without a session: %d %s", status, loc)
		}
		if status, loc, _ := b.login("op2", "Console2026"); status != 303 || loc != "/records?content=%E4%BC%9A" {
			t.Errorf("after login: %d %q; want back to the records page", status, loc)
		}
	})

	b := newBrowser(t, f.srv.URL)
	b.login("op2", "Console2026")
	send := func(form url.Values) string {
		t.Helper()
		form.Set("csrf", b.csrf("/send"))
		status, loc, body := b.post("/send", form)
		if status != 303 {
			t.Fatalf("send: %d %s", status, body)
		}
		return strings.TrimSuffix(loc, "?sent=1")
	}
	page := send(url.Values{"numbers": {"13800138000\n13800138001\n13800138002"}, "content": {"【示例单位】会议通知"}, "mode": {"now"}})
	jobs, err := f.db.Claim(ctx, 10)
	if err != nil || len(jobs) != 1 || len(jobs[0].Messages) != 3 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	ms := jobs[0].Messages
	at := time.Now()
	outcomes := []app.Outcome{
		{MessageID: ms[0].ID, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"x0"}, At: at},
		{MessageID: ms[1].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: at},
		{MessageID: ms[2].ID, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"x2"}, At: at},
	}
	if err := f.db.Record(ctx, outcomes, []string{jobs[0].ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.ApplyReceipts(ctx, []app.Receipt{{ChannelID: 1, SMSCID: "x0", Stat: "DELIVRD", Err: "000", At: at},
		{ChannelID: 1, SMSCID: "x2", Stat: "UNDELIV", Err: "001", At: at}}); err != nil {
		t.Fatal(err)
	}

	status, _, csv := b.get(page + "/failed.csv")
	if status != 200 || strings.Contains(csv, ms[0].To) || !strings.Contains(csv, ms[1].To) || !strings.Contains(csv, ms[2].To) || !strings.Contains(csv, "UNDELIV:001") {
		t.Errorf("failed.csv: %d\n%s", status, csv)
	}
	if status, _, xlsx := b.get(page + "/failed.xlsx"); status != 200 || !strings.HasPrefix(xlsx, "PK") {
		t.Errorf("failed.xlsx: %d", status)
	}
	_, _, body := b.get(page)
	if !strings.Contains(body, "失败重发（2 个号码）") {
		t.Errorf("the batch page offers no resend of 2 numbers")
	}
	status, loc, _ := b.post(page+"/resend", url.Values{"csrf": {b.csrf(page)}})
	if status != 303 || !strings.HasPrefix(loc, "/records/") {
		t.Fatalf("resend: %d %s", status, loc)
	}
	_, _, resent := b.get(strings.TrimSuffix(loc, "?sent=1"))
	if strings.Count(resent, `<tr id="msg-`) != 2 || !strings.Contains(resent, `id="resend-of"`) {
		t.Errorf("the resend batch: want 2 messages and a link to the original")
	}

	later := send(url.Values{"numbers": {"13800138009"}, "content": {"【示例单位】定时通知"}, "mode": {"scheduled"},
		"send_at": {time.Now().Add(2 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04")}})
	if _, _, body := b.get(later); !strings.Contains(body, `id="cancel-batch"`) {
		t.Fatal("a scheduled batch offers no cancel")
	}
	if status, _, _ := b.post(later+"/cancel", url.Values{"csrf": {b.csrf(later)}}); status != 303 {
		t.Fatalf("cancel: %d", status)
	}
	if _, _, body := b.get(later); !strings.Contains(body, "已取消 1") || strings.Contains(body, `id="cancel-batch"`) {
		t.Errorf("after cancelling: want 已取消 1 and no cancel button")
	}
}

func TestConsoleReplies(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "rep1", app.RoleSysadmin)
	b := newBrowser(t, f.srv.URL)
	b.login("rep1", "Console2026")
	if err := f.db.SaveReplies(context.Background(), []*app.Reply{{ChannelID: 1, From: "13800138000", To: "10690001",
		Content: "收到<b>谢谢</b>", ReceivedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	status, _, body := b.get("/replies")
	if status != 200 || !strings.Contains(body, `<h1 id="title">上行回复</h1>`) || !strings.Contains(body, "收到&lt;b&gt;谢谢&lt;/b&gt;") || !strings.Contains(body, "13800138000") {
		t.Errorf("replies page: %d\n%s", status, body)
	}
}

func TestConsoleChannelForms(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "chadmin", app.RoleSysadmin)
	consoleUser(t, f, "chop", app.RoleOperator)
	b := newBrowser(t, f.srv.URL)
	b.login("chadmin", "Console2026")
	form := url.Values{"csrf": {b.csrf("/channels/new")}, "name": {"移动一号"}, "host": {"127.0.0.1"}, "port": {"0"},
		"system_id": {"sp01"}, "password": {"pw"}, "source_addr": {"10690099"}, "tps": {"200"}, "window": {"32"}, "weight": {"1"},
		"enabled": {"1"}, "carriers": {"cmcc"}}
	if status, _, body := b.post("/channels/new", form); status != 400 || !strings.Contains(body, "端口") || !strings.Contains(body, "移动一号") {
		t.Fatalf("port 0: %d; want 400 naming the port, the form kept", status)
	}
	form.Set("port", "2775")
	form.Set("dest_npi", "19")
	if status, _, body := b.post("/channels/new", form); status != 400 || !strings.Contains(body, "目标地址 NPI") {
		t.Fatalf("dest_npi 19: %d; want 400 naming 目标地址 NPI", status)
	}
	form.Set("source_ton", "5")
	form.Set("dest_npi", "1")
	form.Set("on_crash", "hold")
	if status, loc, body := b.post("/channels/new", form); status != 303 || loc != "/channels" {
		t.Fatalf("create: %d %s %s", status, loc, body)
	}
	list, err := f.db.FindChannels(context.Background())
	if err != nil || len(list) != 1 || list[0].Password != "pw" || len(list[0].Carriers) != 1 {
		t.Fatalf("stored channels: %+v %v", list, err)
	}
	if c := list[0]; c.SourceTON != 5 || c.SourceNPI != 0 || c.DestTON != 0 || c.DestNPI != 1 || c.OnCrash != app.OnCrashHold {
		t.Errorf("stored TON/NPI %d/%d %d/%d, on_crash %q: want 5/0 0/1, hold", c.SourceTON, c.SourceNPI, c.DestTON, c.DestNPI, c.OnCrash)
	}
	id := formatInt(list[0].ID)
	form.Set("name", "移动主通道")
	form.Set("password", "") // keeps the stored one
	form.Set("csrf", b.csrf("/channels/"+id))
	if status, _, _ := b.post("/channels/"+id, form); status != 303 {
		t.Fatalf("update: %d", status)
	}
	if ch, _ := f.db.FindChannelByID(context.Background(), list[0].ID); ch.Name != "移动主通道" || ch.Password != "pw" {
		t.Errorf("after the update: %q %q; want the new name and the old password", ch.Name, ch.Password)
	}
	b.post("/channels/"+id+"/disable", url.Values{"csrf": {b.csrf("/channels")}})
	if _, _, body := b.get("/channels"); !strings.Contains(body, "已停用") {
		t.Error("a disabled channel is not shown as 已停用")
	}
	op := newBrowser(t, f.srv.URL)
	op.login("chop", "Console2026")
	if status, _, _ := op.post("/channels/"+id+"/remove", url.Values{"csrf": {op.csrf("/")}}); status != 403 {
		t.Errorf("an operator removing a channel: %d, want 403", status)
	}
	b.post("/channels/"+id+"/remove", url.Values{"csrf": {b.csrf("/channels")}})
	if list, _ := f.db.FindChannels(context.Background()); len(list) != 0 {
		t.Errorf("after removing: %d channels", len(list))
	}
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }

func TestConsoleAudit(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "aud", app.RoleAuditor)
	consoleUser(t, f, "aop", app.RoleOperator)
	b := newBrowser(t, f.srv.URL)
	b.login("aud", "Console2026")
	status, _, body := b.get("/audit")
	if status != 200 || !strings.Contains(body, `<h1 id="title">审计日志</h1>`) || !strings.Contains(body, "login") {
		t.Errorf("audit page: %d; want the title and the login entries", status)
	}
	if status, _, csv := b.get("/audit/export?format=csv&action=login"); status != 200 || !strings.Contains(csv, "login") {
		t.Errorf("audit export: %d", status)
	}
	if _, _, body := b.get("/audit?since=yesterday"); !strings.Contains(body, "开始日期格式") {
		t.Error("a bad date is not named")
	}
	op := newBrowser(t, f.srv.URL)
	op.login("aop", "Console2026")
	if status, _, _ := op.get("/audit"); status != 403 {
		t.Errorf("an operator on /audit: %d", status)
	}
	if status, _, _ := op.get("/audit/export?format=csv"); status != 403 {
		t.Errorf("an operator exporting the audit log: %d", status)
	}
}

func TestConsoleRecordFilters(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "fa", app.RoleSysadmin)
	consoleUser(t, f, "fb", app.RoleSysadmin)
	a, bb := newBrowser(t, f.srv.URL), newBrowser(t, f.srv.URL)
	a.login("fa", "Console2026")
	bb.login("fb", "Console2026")
	for _, s := range []struct {
		b       *browser
		numbers string
	}{{a, "13800138000"}, {bb, "13900139000"}} {
		form := url.Values{"csrf": {s.b.csrf("/send")}, "numbers": {s.numbers}, "content": {"【示例单位】筛选"}, "mode": {"now"}}
		if status, _, _ := s.b.post("/send", form); status != 303 {
			t.Fatal("send failed")
		}
	}
	count := func(b *browser, q string) int {
		_, _, body := b.get("/records?" + q)
		return strings.Count(body, `<tr id="batch-`)
	}
	if n := count(a, ""); n != 2 {
		t.Errorf("all: %d, want 2", n)
	}
	if n := count(a, "to=13900139000"); n != 1 {
		t.Errorf("by number: %d, want 1", n)
	}
	if n := count(a, "mine=1"); n != 1 {
		t.Errorf("mine: %d, want 1", n)
	}
	if n := count(a, "operator=fb"); n != 1 {
		t.Errorf("by operator: %d, want 1", n)
	}
	if n := count(a, "status=pending"); n != 2 {
		t.Errorf("pending: %d, want 2", n)
	}
	if n := count(a, "status=failed"); n != 0 {
		t.Errorf("failed: %d, want 0", n)
	}
	if n := count(a, "operator=nobody"); n != 0 {
		t.Errorf("an unknown operator: %d, want none", n)
	}
	if _, _, body := a.get("/records?to=abc"); !strings.Contains(body, "号码格式不正确") {
		t.Error("a bad number filter is not named")
	}
}

func TestConsoleOrg(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "orgadm", app.RoleSysadmin)
	consoleUser(t, f, "orgop", app.RoleOperator)
	b := newBrowser(t, f.srv.URL)
	b.login("orgadm", "Console2026")
	if status, _, body := b.get("/org"); status != 200 || !strings.Contains(body, `<h1 id="title">组织与用户</h1>`) {
		t.Fatalf("org page: %d", status)
	}
	if status, loc, body := b.post("/org/department", url.Values{"csrf": {b.csrf("/org")}, "name": {"办公室"}, "parent_id": {"1"}}); status != 303 || loc != "/org" {
		t.Fatalf("add department: %d %s", status, body)
	}
	depts, _ := f.db.FindDepartments(context.Background(), &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID})
	var office int64
	for _, d := range depts {
		if d.Name == "办公室" {
			office = d.ID
		}
	}
	if office == 0 {
		t.Fatal("the department was not stored")
	}
	form := url.Values{"csrf": {b.csrf("/org")}, "username": {"xiaoli"}, "display_name": {"小李"}, "department_id": {formatInt(office)},
		"role": {"operator"}, "password": {"short"}}
	if status, _, body := b.post("/org/user", form); status != 400 || !strings.Contains(body, "至少8位") || !strings.Contains(body, `value="xiaoli"`) {
		t.Errorf("a weak password: %d; want 400 naming the policy, the form kept", status)
	}
	form.Set("password", "Xiaoli2026")
	if status, _, _ := b.post("/org/user", form); status != 303 {
		t.Fatalf("add user: %d", status)
	}
	nu, err := f.db.FindUserByUsername(context.Background(), "xiaoli")
	if err != nil || !nu.MustChangePassword || nu.DepartmentID != office {
		t.Fatalf("stored user %+v %v", nu, err)
	}
	b.post("/org/disable", url.Values{"csrf": {b.csrf("/org")}, "user_id": {formatInt(nu.ID)}})
	if u, _ := f.db.FindUserByUsername(context.Background(), "xiaoli"); u.Enabled {
		t.Error("the user is still enabled")
	}
	op := newBrowser(t, f.srv.URL)
	op.login("orgop", "Console2026")
	if status, _, _ := op.get("/org"); status != 403 {
		t.Errorf("an operator on /org: %d", status)
	}
}

func TestConsoleApps(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "appadm", app.RoleSysadmin)
	b := newBrowser(t, f.srv.URL)
	b.login("appadm", "Console2026")
	status, _, body := b.post("/apps/create", url.Values{"csrf": {b.csrf("/apps")}, "name": {"OA系统"}, "department_id": {"1"}, "rate_limit": {"50"}, "free_text": {"1"}})
	m := regexp.MustCompile(`<code id="secret">([0-9a-f]+)</code>`).FindStringSubmatch(body)
	if status != 200 || m == nil {
		t.Fatalf("create app: %d; want the secret shown once", status)
	}
	if _, err := f.db.Authenticate(context.Background(), m[1]); err != nil {
		t.Fatalf("the shown secret does not authenticate: %v", err)
	}
	if _, _, list := b.get("/apps"); strings.Contains(list, m[1]) || !strings.Contains(list, "OA系统") {
		t.Error("the apps list shows the secret, or not the app")
	}
	apps, _ := f.db.FindApps(context.Background(), &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID})
	var id int64
	for _, k := range apps {
		if k.Name == "OA系统" {
			id = k.ID
		}
	}
	_, _, body = b.post("/apps/rotate", url.Values{"csrf": {b.csrf("/apps")}, "app_id": {formatInt(id)}})
	if n := regexp.MustCompile(`<code id="secret">([0-9a-f]+)</code>`).FindStringSubmatch(body); n == nil || n[1] == m[1] {
		t.Fatal("rotating shows no new secret")
	}
	if _, err := f.db.Authenticate(context.Background(), m[1]); err == nil {
		t.Error("the old secret still works after rotating")
	}
}

func TestConsoleDepartmentEdit(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "deptadm", app.RoleSysadmin)
	b := newBrowser(t, f.srv.URL)
	b.login("deptadm", "Console2026")
	b.post("/org/department", url.Values{"csrf": {b.csrf("/org")}, "name": {"财务处"}, "parent_id": {"1"}})
	sa := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	depts, _ := f.db.FindDepartments(context.Background(), sa)
	id := formatInt(depts[len(depts)-1].ID)
	if status, _, body := b.post("/org/department-edit", url.Values{"csrf": {b.csrf("/org")}, "department_id": {id}, "name": {"计划财务处"}, "ext": {"77"}, "parent_id": {"1"}}); status != 303 {
		t.Fatalf("rename: %d %s", status, body)
	}
	if status, _, _ := b.post("/org/department-disable", url.Values{"csrf": {b.csrf("/org")}, "department_id": {id}}); status != 303 {
		t.Fatalf("disable: %d", status)
	}
	depts, _ = f.db.FindDepartments(context.Background(), sa)
	d := depts[len(depts)-1]
	if d.Name != "计划财务处" || d.Ext != "77" || d.Enabled {
		t.Errorf("after editing: %+v", d)
	}
	if status, _, body := b.post("/org/department-edit", url.Values{"csrf": {b.csrf("/org")}, "department_id": {id}, "name": {""}, "parent_id": {"1"}}); status != 400 || !strings.Contains(body, `id="error"`) {
		t.Errorf("an empty name: %d; want 400 with the reason", status)
	}
}

func TestConsoleResetPasswordAndEditApp(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "boss", app.RoleSysadmin)
	consoleUser(t, f, "staff", app.RoleOperator)
	b := newBrowser(t, f.srv.URL)
	b.login("boss", "Console2026")
	staff, _ := f.db.FindUserByUsername(context.Background(), "staff")
	if status, _, _ := b.post("/org/reset", url.Values{"csrf": {b.csrf("/org")}, "user_id": {formatInt(staff.ID)}, "password": {"Temp2026x"}}); status != 303 {
		t.Fatalf("reset: %d", status)
	}
	s := newBrowser(t, f.srv.URL)
	if status, loc, _ := s.login("staff", "Temp2026x"); status != 303 || loc != "/password" {
		t.Errorf("login with the reset password: %d %s; want the forced change", status, loc)
	}
	_, _, body := b.post("/apps/create", url.Values{"csrf": {b.csrf("/apps")}, "name": {"门户"}, "department_id": {"1"}, "rate_limit": {"100"}})
	if !strings.Contains(body, `id="secret"`) {
		t.Fatal("no app created")
	}
	apps, _ := f.db.FindApps(context.Background(), &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID})
	var id int64
	for _, k := range apps {
		if k.Name == "门户" {
			id = k.ID
		}
	}
	if status, _, body := b.post("/apps/edit", url.Values{"csrf": {b.csrf("/apps")}, "app_id": {formatInt(id)}, "rate_limit": {"20"}, "ips": {"10.0.0.0/8"}}); status != 303 {
		t.Fatalf("edit app: %d %s", status, body)
	}
	apps, _ = f.db.FindApps(context.Background(), &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID})
	for _, k := range apps {
		if k.ID == id && (k.RateLimit != 20 || len(k.IPAllowlist) != 1 || k.IPAllowlist[0] != "10.0.0.0/8") {
			t.Errorf("after editing: rate %d, ips %v", k.RateLimit, k.IPAllowlist)
		}
	}
}
