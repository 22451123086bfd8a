package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"smsgw/app"
	"smsgw/app/apptest"
)

// reportViolations runs in every page before its own scripts (it is the
// browser's, not the page's, so the CSP does not apply to it) and turns each
// Content-Security-Policy violation into a console error the test sees.
const reportViolations = `document.addEventListener('securitypolicyviolation', (e) =>
	console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber + ' ' + e.sample));`

// pageProblems collects what a page reports: console errors and warnings
// (Alpine reports its expression errors there), uncaught exceptions, and the
// browser's own log entries other than failed network loads (a 404 favicon).
type pageProblems struct {
	mu   sync.Mutex
	list []string
}

func (p *pageProblems) add(s string) {
	p.mu.Lock()
	p.list = append(p.list, s)
	p.mu.Unlock()
}

// take returns what was collected and starts afresh.
func (p *pageProblems) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.list
	p.list = nil
	return out
}

func watchPage(t *testing.T, ctx context.Context) *pageProblems {
	t.Helper()
	p := &pageProblems{}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			switch ev.Type {
			case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeWarning, runtime.ConsoleAPICalledTypeAssert:
				var parts []string
				for _, a := range ev.Args {
					if len(a.Value) > 0 {
						parts = append(parts, string(a.Value))
					} else {
						parts = append(parts, a.Description)
					}
				}
				p.add("console " + string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			msg := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
			p.add("exception: " + msg)
		case *cdplog.EventEntryAdded:
			e := ev.Entry
			if e.Source != cdplog.EntrySourceNetwork && (e.Level == cdplog.EntryLevelError || e.Level == cdplog.EntryLevelWarning) {
				p.add("log " + string(e.Source) + ": " + e.Text + " " + e.URL)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: reportViolations}); err != nil {
		t.Fatal(err)
	}
	return p
}

// settled waits until the page's scripts have run: loaded, and Alpine started.
func settled() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.WaitVisible(chromedp.ID("title")),
		chromedp.Poll[chromedp.Void](`document.readyState === 'complete' && !!window.Alpine`, chromedp.WithPollingInterval(20*time.Millisecond)))
}

// TestBrowserCSP loads every console page as a system administrator with the
// strict Content-Security-Policy on (script-src 'self', no eval; issue 14,
// item 19) and fails on any violation or script error, while using the
// parts that run script: the send page's live counts and confirmation, the
// dashboard's chart, the toggles, confirmations and the resend dialog.
func TestBrowserCSP(t *testing.T) {
	ctx := chrome(t)
	f := newFixture(t)
	bg := context.Background()
	consoleUser(t, f, "csp", app.RoleSysadmin)
	admin := f.mustAdmin(t)
	for _, c := range []struct{ path, body string }{
		{"/api/v1/channels", `{"name":"移动主通道","host":"127.0.0.1","port":2775,"system_id":"sms01","password":"s3cret","source_addr":"1069000","tps":1000,"carriers":["cmcc","ctcc"]}`},
		{"/api/v1/apps", `{"name":"OA","callback_url":"https://oa.example.com/cb"}`},
		{"/api/v1/departments", `{"name":"办公室"}`},
	} {
		if status, body := f.call(t, "POST", c.path, admin, c.body); status != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", c.path, status, body)
		}
	}
	approvedTemplate(t, f, &app.Template{Name: "会议通知", Kind: app.KindNotice, Content: "请于${time}到会"})
	// A batch with a failed number, for the batch page's resend dialog.
	b := newBrowser(t, f.srv.URL)
	b.login("csp", "Console2026")
	status, loc, _ := b.post("/send", map[string][]string{"csrf": {b.csrf("/send")}, "numbers": {"13800138000"}, "content": {"【示例单位】会议通知"}, "mode": {"now"}})
	if status != http.StatusSeeOther {
		t.Fatalf("send: %d", status)
	}
	batchPage := strings.TrimSuffix(loc, "?sent=1")
	jobs, err := f.db.Claim(bg, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %v %v", jobs, err)
	}
	m := jobs[0].Messages[0]
	if err := f.db.Record(bg, []app.Outcome{{MessageID: m.ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: time.Now()}}, []string{jobs[0].ID}); err != nil {
		t.Fatal(err)
	}

	problems := watchPage(t, ctx)
	check := func(what string) {
		t.Helper()
		// A last round trip, so events the page sent are in.
		read(t, ctx, chromedp.Evaluate[string](`document.title`))
		if got := problems.take(); len(got) > 0 {
			t.Errorf("%s:\n  %s", what, strings.Join(got, "\n  "))
		}
	}

	do(t, ctx, signIn(f.srv.URL+"/", "csp"), settled())
	check("login page and dashboard")

	// The detector works: an inline script injected into a page is refused
	// and reported.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.createElement('script'); s.textContent = 'window.ranInline = true'; document.body.appendChild(s); return true })()`)); err != nil {
		t.Fatal(err)
	}
	// The browser logs it, and the page's listener reports it (both are
	// awaited, so that neither arrives during the next page).
	var caught []string
	apptest.Eventually(t, 10*time.Second, func() error {
		caught = append(caught, problems.take()...)
		if all := strings.Join(caught, "\n"); !strings.Contains(all, "CSP violation:") || !strings.Contains(all, "Content Security Policy") {
			return fmt.Errorf("reports so far: %q", caught)
		}
		return nil
	})
	if ran := read(t, ctx, chromedp.Evaluate[string](`String(!!window.ranInline)`)); ran != "false" {
		t.Fatal("an injected inline script ran")
	}

	// The dashboard draws its chart.
	do(t, ctx, chromedp.Navigate(f.srv.URL+"/"), settled(), chromedp.WaitVisible(chromedp.CSS("#hour-chart canvas")))
	check("dashboard")

	// The send page: live counts, preview, the confirmation and its cancel.
	do(t, ctx, chromedp.Navigate(f.srv.URL+"/send"), settled(),
		chromedp.SendKeys(chromedp.ID("numbers"), "13800138000\n13800138000\n12345"),
		chromedp.SendKeys(chromedp.ID("content"), "【示例单位】明天上午九点开会"))
	counts := read(t, ctx, chromedp.Text(chromedp.ID("number-count")))
	chars := read(t, ctx, chromedp.Text(chromedp.ID("char-count")))
	preview := read(t, ctx, chromedp.Text(chromedp.ID("preview")))
	if !strings.Contains(counts, "有效 1") || !strings.Contains(counts, "重复 1") || !strings.Contains(counts, "无效 1") ||
		!strings.Contains(chars, "14 个字") || preview != "【示例单位】明天上午九点开会" {
		t.Errorf("send page: counts %q, chars %q, preview %q", counts, chars, preview)
	}
	// Clicked from script, not at the buttons' coordinates: on a loaded
	// machine a mouse click twice landed beside the button and the walk
	// waited for a dialog that never opened. A dialog still closed after
	// 20 s fails with the form's state.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('clean').click()`),
		chromedp.WaitEnabled(chromedp.ID("submit")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById('submit').click()`))
	if err := chromedp.Do(waitAtMost(ctx, 20*time.Second), chromedp.WaitVisible(chromedp.ID("confirm-send"))); err != nil {
		state := read(t, ctx, chromedp.Evaluate[string](`JSON.stringify({numbers: document.getElementById('numbers').value,
			counts: document.getElementById('number-count').textContent, submitDisabled: document.getElementById('submit').disabled,
			confirm: getComputedStyle(document.getElementById('confirm')).display})`))
		t.Fatalf("the confirmation did not open: %v; form %s", err, state)
	}
	if total := read(t, ctx, chromedp.Text(chromedp.ID("confirm-total"))); total != "1" {
		t.Errorf("confirmation total %q", total)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#confirm button.plain")), chromedp.WaitNotVisible(chromedp.ID("confirm-send")))
	// The template side: its variables become inputs that fill the preview.
	do(t, ctx, chromedp.Click(chromedp.ID("kind-template")), chromedp.WaitVisible(chromedp.ID("param_time")),
		chromedp.SendKeys(chromedp.ID("param_time"), "九点"))
	if p := read(t, ctx, chromedp.Text(chromedp.ID("preview"))); p != "【示例单位】请于九点到会" {
		t.Errorf("template preview %q", p)
	}
	check("send page")

	// The batch page's resend dialog opens and closes.
	do(t, ctx, chromedp.Navigate(f.srv.URL+batchPage), settled(), chromedp.WaitVisible(chromedp.ID("resend")),
		chromedp.Click(chromedp.ID("resend")), chromedp.WaitVisible(chromedp.ID("resend-confirm")),
		chromedp.Click(chromedp.CSS("#batch-actions .modal button.plain")), chromedp.WaitNotVisible(chromedp.ID("resend-confirm")))
	check("batch page")

	// An app's edit form opens; a confirmation asked before rotating a
	// secret keeps the page when declined.
	do(t, ctx, chromedp.Navigate(f.srv.URL+"/apps"), settled(),
		chromedp.Click(chromedp.CSS(`span[x-data="toggle"] button.linkbtn`)), chromedp.WaitVisible(chromedp.CSS(`form[action="/apps/edit"]`)))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.asked = ''; window.confirm = (q) => { window.asked = q; return false; }; true`)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS(`button[id^="rotate-"]`)))
	if asked := read(t, ctx, chromedp.Evaluate[string](`window.asked`)); !strings.Contains(asked, "旧密钥立即失效") {
		t.Errorf("rotating a secret asked %q", asked)
	}
	check("apps page")

	// Every other page loads clean.
	for _, path := range []string{"/records", "/records/" + "99999999", "/messages/" + fmt.Sprint(m.ID), "/replies", "/templates", "/channels",
		"/channels/new", "/channels/1", "/words", "/blacklist", "/org", "/audit", "/settings", "/contacts", "/contacts/import", "/contacts/imports",
		"/stats", "/stats?group_by=day"} {
		do(t, ctx, chromedp.Navigate(f.srv.URL+path), settled())
		check(path)
	}
	// The password page stands alone, like the login page: no Alpine there.
	do(t, ctx, chromedp.Navigate(f.srv.URL+"/password"), chromedp.WaitVisible(chromedp.ID("new")),
		chromedp.Poll[chromedp.Void](`document.readyState === 'complete'`))
	check("/password")
}
