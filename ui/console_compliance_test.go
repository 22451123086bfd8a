package ui_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"smsgw/app"
)

// postFile posts a multipart form with one file, as the console's forms do.
func (b *browser) postFile(path, page string, fields map[string]string, name, content string) (int, string) {
	b.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("csrf", b.csrf(page))
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", name)
	fw.Write([]byte(content))
	w.Close()
	req, _ := http.NewRequest("POST", b.base+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp.StatusCode, out.String()
}

func TestConsoleTemplates(t *testing.T) {
	f := newFixture(t)
	op := newBrowserAs(t, f, "tplop")
	consoleUser(t, f, "tpladm", app.RoleSysadmin)
	adm := newBrowser(t, f.srv.URL)
	adm.login("tpladm", "Console2026")

	status, _, _ := op.post("/templates/create", url.Values{"csrf": {op.csrf("/templates")}, "name": {"取件通知"}, "kind": {"notice"},
		"content": {"您的快递<b>已到</b>，取件码${code}，${place}"}, "vars": {"code:digits:6"}})
	if status != http.StatusSeeOther {
		t.Fatalf("operator submits a template: %d", status)
	}
	_, _, page := op.get("/templates")
	if !strings.Contains(page, "待审核") || !strings.Contains(page, "&lt;b&gt;已到") || strings.Contains(page, `id="approve-`) {
		t.Fatal("the operator's page: pending template not listed escaped, or it offers approval")
	}
	list, _, _ := f.db.FindTemplates(context.Background(), &app.Principal{Role: app.RoleSysadmin}, app.TemplateFilter{})
	id := formatInt(list[0].ID)
	if status, _, _ := op.post("/templates/review", url.Values{"csrf": {op.csrf("/templates")}, "id": {id}, "decision": {"approve"}}); status != http.StatusForbidden {
		t.Fatalf("an operator reviews: %d, want 403", status)
	}
	status, _, body := adm.post("/templates/review", url.Values{"csrf": {adm.csrf("/templates")}, "id": {id}, "decision": {"reject"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "驳回须写明原因") {
		t.Fatalf("reject without a reason: %d", status)
	}
	adm.post("/templates/review", url.Values{"csrf": {adm.csrf("/templates")}, "id": {id}, "decision": {"approve"}})
	if _, _, page = op.get("/templates?status=approved"); !strings.Contains(page, "已通过") {
		t.Fatal("approved template not listed as such")
	}
	status, _, body = op.post("/templates/create", url.Values{"csrf": {op.csrf("/templates")}, "name": {"促销"}, "kind": {"marketing"}, "content": {"年终大促"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "退订提示") {
		t.Fatalf("marketing without an unsubscribe hint: %d", status)
	}
	entries, _, _ := f.db.FindAudit(context.Background(), &app.Principal{Role: app.RoleSysadmin}, app.AuditFilter{Action: "template.review.approve"})
	if len(entries) != 1 || entries[0].Target != "template:"+id {
		t.Fatalf("review not audited: %+v", entries)
	}

	// A table for a personalised send must name the template's variables.
	for _, tt := range []struct{ table, want string }{
		{"号码,code\n13800138000,123456\n", "缺少变量“place”"},
		{"号码,code,place,room\n13800138000,1,A\n", "“room”不是模板的变量"},
		{"号码,code,place\n", "至少一行号码"},
	} {
		status, body := op.postFile("/send/upload-params", "/send", map[string]string{"template_id": id}, "t.csv", tt.table)
		if status != 400 || !strings.Contains(body, tt.want) {
			t.Fatalf("table %q: %d %s", tt.table, status, body)
		}
	}
	status, body = op.postFile("/send/upload-params", "/send", map[string]string{"template_id": id}, "t.csv", "号码,place,code\n13800138000,北门,123456\n")
	if status != 200 || !strings.Contains(body, `"13800138000":{"code":"123456","place":"北门"}`) {
		t.Fatalf("a good table: %d %s", status, body)
	}

	// Signatures: submitted, then approved by the reviewer.
	op.post("/templates/sig-create", url.Values{"csrf": {op.csrf("/templates")}, "name": {"快递驿站"}})
	sigs, _ := f.db.FindSignatures(context.Background(), &app.Principal{Role: app.RoleSysadmin}, app.SignatureFilter{Status: app.ReviewPending})
	if len(sigs) != 1 {
		t.Fatalf("pending signatures: %d", len(sigs))
	}
	adm.post("/templates/sig-review", url.Values{"csrf": {adm.csrf("/templates")}, "id": {formatInt(sigs[0].ID)}, "decision": {"approve"}})
	if sigs, _ = f.db.FindSignatures(context.Background(), &app.Principal{Role: app.RoleSysadmin}, app.SignatureFilter{Status: app.ReviewApproved}); len(sigs) != 2 {
		t.Fatalf("approved signatures: %d, want 2", len(sigs))
	}
}

func TestConsoleBlacklistAndWords(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "bladm", app.RoleSysadmin)
	b := newBrowser(t, f.srv.URL)
	b.login("bladm", "Console2026")
	status, _, body := b.post("/blacklist/add", url.Values{"csrf": {b.csrf("/blacklist")}, "department_id": {"0"}, "phones": {"13800138000\n13900139000"}, "reason": {"本人要求"}})
	if status != 200 || !strings.Contains(body, "已加入2个号码") || !strings.Contains(body, "本人要求") {
		t.Fatalf("add: %d", status)
	}
	status, body = b.postFile("/blacklist/import", "/blacklist", map[string]string{"department_id": "0"}, "list.csv", "号码\n13700137000\n137001370\n")
	if status != 400 || !strings.Contains(body, "第3行") {
		t.Fatalf("import with a bad row: %d", status)
	}
	status, body = b.postFile("/blacklist/import", "/blacklist", map[string]string{"department_id": "0", "source": "complaint"}, "list.csv", "号码\n13700137000\n13800138000\n")
	if status != 200 || !strings.Contains(body, "新加入1个号码，已在名单中1个") {
		t.Fatalf("import: %d", status)
	}
	if _, _, csv := b.get("/blacklist/export?format=csv"); !strings.Contains(csv, "13700137000,0,,complaint") {
		t.Fatalf("export lacks the imported number: %q", csv)
	}
	b.post("/blacklist/remove", url.Values{"csrf": {b.csrf("/blacklist")}, "department_id": {"0"}, "phone": {"13900139000"}})
	if _, _, page := b.get("/blacklist?phone=13900139000"); !strings.Contains(page, "黑名单为空") {
		t.Fatal("removed number still listed")
	}
	// A send to a listed number: rejected at once, and its batch is done.
	status, where, _ := b.post("/send", url.Values{"csrf": {b.csrf("/send")}, "numbers": {"13800138000"}, "content": {"【示例单位】通知"}})
	if status != http.StatusSeeOther {
		t.Fatalf("console send to a listed number: %d", status)
	}
	if _, _, page := b.get(strings.TrimSuffix(where, "?sent=1")); !strings.Contains(page, "黑名单未发 1") || strings.Contains(page, "every 2s") {
		t.Fatal("the batch page does not show the listed number as not sent, or keeps refreshing")
	}
	op := newBrowserAs(t, f, "blop")
	if status, _, _ := op.get("/blacklist"); status != 403 {
		t.Fatalf("an operator on /blacklist: %d", status)
	}
	if status, _, _ := op.get("/words"); status != 403 {
		t.Fatalf("an operator on /words: %d", status)
	}

	status, body = b.postFile("/words/save", "/words", map[string]string{"name": "违禁", "action": "block"}, "words.txt", "发票\n \n"+strings.Repeat("长", 60)+"\n")
	if status != 400 || !strings.Contains(body, "第3行") {
		t.Fatalf("word list with a bad line: %d", status)
	}
	status, body = b.postFile("/words/save", "/words", map[string]string{"name": "违禁", "action": "block"}, "words.txt", "# 违禁词\n发票\n赌博\n")
	if status != 200 || !strings.Contains(body, "共2个词") {
		t.Fatalf("word list: %d", status)
	}
	status, _, body = b.post("/send", url.Values{"csrf": {b.csrf("/send")}, "numbers": {"13600136000"}, "content": {"【示例单位】代开发　票"}})
	if status != 400 || !strings.Contains(body, "发票") {
		t.Fatalf("console send with a blocked word: %d", status)
	}
	// A list too long for the page's box keeps its words when only its
	// action changes.
	many := make([]string, 2001)
	for i := range many {
		many[i] = "词" + strings.Repeat("长", i%40) + formatInt(int64(i))
	}
	if err := f.db.SaveWordList(context.Background(), &app.Principal{Role: app.RoleSysadmin}, app.WordList{Name: "大词库", Action: app.WordBlock, Words: many}); err != nil {
		t.Fatal(err)
	}
	if _, _, page := b.get("/words"); !strings.Contains(page, "只显示前2000个词") {
		t.Fatal("a long list is not marked as cut")
	}
	if status, _, _ := b.post("/words/save", url.Values{"csrf": {b.csrf("/words")}, "name": {"大词库"}, "action": {"review"}}); status != 200 {
		t.Fatalf("changing the action of a long list: %d", status)
	}
	lists, _ := f.db.WordLists(context.Background(), &app.Principal{Role: app.RoleSysadmin})
	for _, l := range lists {
		if l.Name == "大词库" && (len(l.Words) != 2001 || l.Action != app.WordReview) {
			t.Fatalf("long list after saving its action: %d words, %s", len(l.Words), l.Action)
		}
	}
	b.post("/words/unsubscribe", url.Values{"csrf": {b.csrf("/words")}, "words": {"TD 退订 STOP"}})
	if words, _ := f.db.UnsubscribeWords(context.Background()); strings.Join(words, ",") != "TD,退订,STOP" {
		t.Fatalf("unsubscribe words = %v", words)
	}
}

func TestConsoleHeldBatch(t *testing.T) {
	f := newFixture(t)
	if err := f.db.SaveWordList(context.Background(), &app.Principal{Role: app.RoleSysadmin}, app.WordList{Name: "金融", Action: app.WordReview, Words: []string{"贷款"}}); err != nil {
		t.Fatal(err)
	}
	op := newBrowserAs(t, f, "heldop")
	status, where, _ := op.post("/send", url.Values{"csrf": {op.csrf("/send")}, "numbers": {"13800138000"}, "content": {"【示例单位】低息贷款"}})
	if status != http.StatusSeeOther {
		t.Fatalf("send: %d", status)
	}
	page := strings.TrimSuffix(where, "?sent=1")
	if _, _, body := op.get(page); !strings.Contains(body, `id="held"`) || !strings.Contains(body, "贷款") || strings.Contains(body, "approve-batch") || strings.Contains(body, "every 2s") {
		t.Fatal("the sender's page: not shown as held, offers approval, or keeps refreshing")
	}
	if _, _, body := op.get("/records?status=held"); !strings.Contains(body, "待审核") {
		t.Fatal("the records filter does not find the held batch")
	}
	consoleUser(t, f, "heldadm", app.RoleSysadmin)
	adm := newBrowser(t, f.srv.URL)
	adm.login("heldadm", "Console2026")
	if _, _, body := adm.get(page); !strings.Contains(body, "approve-batch") {
		t.Fatal("the reviewer is not offered approval")
	}
	if status, _, _ := op.post(page+"/review", url.Values{"csrf": {op.csrf(page)}, "decision": {"approve"}}); status != http.StatusForbidden {
		t.Fatalf("the sender approves its own batch: %d", status)
	}
	if status, _, _ := adm.post(page+"/review", url.Values{"csrf": {adm.csrf(page)}, "decision": {"approve"}}); status != http.StatusSeeOther {
		t.Fatalf("approve: %d", status)
	}
	if _, _, body := adm.get(page); strings.Contains(body, `id="held"`) || !strings.Contains(body, "已审核通过") {
		t.Fatal("after approval the batch is still shown as held")
	}
	entries, _, _ := f.db.FindAudit(context.Background(), &app.Principal{Role: app.RoleSysadmin}, app.AuditFilter{Action: "batch.review.approve"})
	if len(entries) != 1 {
		t.Fatalf("approval audited %d times", len(entries))
	}
}
