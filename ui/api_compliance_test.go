package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"smsgw/app"
)

// reviewerKey adds a sysadmin app with the templates and contacts scopes:
// it reviews templates and keeps blacklists.
func reviewerKey(t *testing.T, f *fixture) string {
	t.Helper()
	key, err := f.db.CreateAPIKey(context.Background(), &app.APIKey{Name: "reviewer", DepartmentID: app.RootDepartmentID,
		Role: app.RoleSysadmin, Scopes: []string{app.ScopeSend, app.ScopeQuery, app.ScopeTemplates, app.ScopeContacts, app.ScopeAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// send makes a request with a body of the given type, as key.
func (f *fixture) send(t *testing.T, method, path, ctype, key string, body io.Reader) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	return v
}

func wantStatus(t *testing.T, what string, got int, body string, want int, parts ...string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d: %s", what, got, want, body)
	}
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Fatalf("%s: answer lacks %s: %s", what, p, body)
		}
	}
}

// TestTemplateAPI walks the "done when" through HTTP: a template is
// pending, refused for sending, approved, then sent with its params filled
// in; an unsubscribe reply makes the next send to that number rejected.
func TestTemplateAPI(t *testing.T) {
	f := newFixture(t)
	rev := reviewerKey(t, f)

	code, body := f.call(t, "POST", "/api/v1/templates", rev,
		`{"name":"会议通知","kind":"notice","content":"您的会议${time}在${room}召开","vars":{"room":{"type":"alnum","max_len":6}}}`)
	wantStatus(t, "create", code, body, 201, `"status":"pending"`, `"version":1`, `"approved":null`)
	tpl := decode[struct{ ID string }](t, body)

	send := `{"to":["13800138000"],"template_id":"` + tpl.ID + `","params":{"time":"周五15:00","room":"A301"}}`
	code, body = f.call(t, "POST", "/api/v1/messages", rev, send)
	wantStatus(t, "send with a pending template", code, body, 400, `"code":"ETEMPLATE_NOT_APPROVED"`)

	code, body = f.call(t, "POST", "/api/v1/templates/"+tpl.ID+"/review", f.noFree, `{"decision":"approve"}`)
	wantStatus(t, "review by an operator", code, body, 403, `"code":"EFORBIDDEN"`)
	code, body = f.call(t, "POST", "/api/v1/templates/"+tpl.ID+"/review", rev, `{"decision":"approve"}`)
	wantStatus(t, "approve", code, body, 200, `"status":"approved"`, `"approved":{"version":1`)

	code, body = f.call(t, "POST", "/api/v1/messages", rev, send)
	wantStatus(t, "send with the approved template", code, body, 202, `"accepted":1`, `"status":"queued"`)
	id := decode[struct{ Messages []struct{ ID string } }](t, body).Messages[0].ID
	code, body = f.call(t, "GET", "/api/v1/messages/"+id, rev, "")
	wantStatus(t, "the message", code, body, 200, `"content":"【示例单位】您的会议周五15:00在A301召开"`)

	for _, tt := range []struct{ params, code, field string }{
		{`{"time":"x"}`, "EPARAM_MISSING", "params.room"},
		{`{"time":"x","room":"A1","who":"y"}`, "EPARAM_UNKNOWN", "params.who"},
		{`{"time":"x","room":"A3012345"}`, "EPARAM_INVALID", "params.room"},
		{`{"time":"x","room":"A-1"}`, "EPARAM_INVALID", "params.room"},
		{`{"time":"x","room":"A1","13800138000":{"time":"y"}}`, "EINVALID", "params"},
	} {
		code, body = f.call(t, "POST", "/api/v1/messages", rev, `{"to":["13800138000"],"template_id":"`+tpl.ID+`","params":`+tt.params+`}`)
		wantStatus(t, tt.params, code, body, 400, `"code":"`+tt.code+`"`, `"field":"`+tt.field+`"`)
	}

	// A personalised batch: values per number, numbers as JSON numbers too.
	code, body = f.call(t, "POST", "/api/v1/messages", rev, `{"to":["13900139001","13900139002"],"template_id":"`+tpl.ID+`",
		"params":{"13900139001":{"time":"9点","room":101},"13900139002":{"time":"10点","room":"B2"}}}`)
	wantStatus(t, "personalised", code, body, 202, `"accepted":2`)
	page := decode[struct {
		Items []struct{ To, Content string }
	}](t, func() string {
		_, b := f.call(t, "GET", "/api/v1/messages?batch_id="+decode[struct {
			BatchID string `json:"batch_id"`
		}](t, body).BatchID, rev, "")
		return b
	}())
	got := map[string]string{}
	for _, m := range page.Items {
		got[m.To] = m.Content
	}
	if got["13900139001"] != "【示例单位】您的会议9点在101召开" || got["13900139002"] != "【示例单位】您的会议10点在B2召开" {
		t.Fatalf("personalised texts = %v", got)
	}

	// An unsubscribe reply blacklists the number; the next send to it is
	// rejected, and says why.
	if err := f.db.SaveReplies(context.Background(), []*app.Reply{{From: "13800138000", To: "1069", Content: "TD"}}); err != nil {
		t.Fatal(err)
	}
	code, body = f.call(t, "POST", "/api/v1/messages", rev, send)
	wantStatus(t, "send after TD", code, body, 202, `"accepted":0`, `"status":"rejected"`, `"error_code":"EBLACKLIST"`, `"code":"EBLACKLIST"`)
	id = decode[struct{ Messages []struct{ ID string } }](t, body).Messages[0].ID
	code, body = f.call(t, "GET", "/api/v1/messages/"+id, rev, "")
	wantStatus(t, "the rejected message", code, body, 200, `"status":"rejected"`, `"error_code":"EBLACKLIST"`)

	code, body = f.call(t, "GET", "/api/v1/templates?status=approved", rev, "")
	wantStatus(t, "list approved", code, body, 200, `"name":"会议通知"`)
	code, body = f.call(t, "GET", "/api/v1/templates?status=odd", rev, "")
	wantStatus(t, "list with a bad status", code, body, 400, `"field":"status"`)
	code, body = f.call(t, "POST", "/api/v1/templates", rev, `{"name":"促销","kind":"marketing","content":"全场八折"}`)
	wantStatus(t, "marketing without unsubscribe hint", code, body, 400, `"code":"ETEMPLATE_CHECK"`, "拒收请回复R")
	code, body = f.call(t, "POST", "/api/v1/signatures", rev, `{"name":"新单位"}`)
	wantStatus(t, "submit a signature", code, body, 201, `"status":"pending"`)
	code, body = f.call(t, "POST", "/api/v1/messages", rev, `{"to":["13700137000"],"template_id":"`+tpl.ID+`","params":{"time":"x","room":"A1"},"signature":"新单位"}`)
	wantStatus(t, "a pending signature", code, body, 400, `"code":"ESIGNATURE_NOT_APPROVED"`)
}

// TestBlacklistAPI pins the blacklist's import, export and removal, and
// the word-list upload with its line numbers.
func TestBlacklistAPI(t *testing.T) {
	f := newFixture(t)
	rev := reviewerKey(t, f)
	upload := func(path, name, content string, fields map[string]string) (int, string) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for k, v := range fields {
			w.WriteField(k, v)
		}
		fw, _ := w.CreateFormFile("file", name)
		fw.Write([]byte(content))
		w.Close()
		return f.send(t, "POST", path, w.FormDataContentType(), rev, &buf)
	}
	code, body := upload("/api/v1/blacklist/import", "list.csv", "手机号码,原因\n13800138000,投诉\n1380013800x,\n", nil)
	wantStatus(t, "a file with a bad row", code, body, 400, `"line":3`)
	code, body = upload("/api/v1/blacklist/import", "list.csv", "手机号码,原因\n13800138000,投诉\n+86 139 0013 9000\n", map[string]string{"source": "complaint"})
	wantStatus(t, "import", code, body, 200, `"added":2`)
	code, body = f.call(t, "GET", "/api/v1/blacklist/export?format=csv", rev, "")
	wantStatus(t, "export", code, body, 200, "13800138000,0,投诉,complaint", "13900139000,0,,complaint")
	code, body = f.call(t, "POST", "/api/v1/messages", f.admin, `{"to":["13900139000","13700137000"],"content":"【示例单位】你好"}`)
	wantStatus(t, "send to a listed number", code, body, 202, `"accepted":1`, `"code":"EBLACKLIST"`)
	code, body = f.call(t, "DELETE", "/api/v1/blacklist/13900139000?department_id=0", rev, "")
	wantStatus(t, "remove", code, body, 204)
	code, body = f.call(t, "POST", "/api/v1/blacklist", f.noFree, `{"entries":[{"phone":"13800138001"}]}`)
	wantStatus(t, "an operator adds", code, body, 403)

	put := func(path, ctype, content string) (int, string) {
		return f.send(t, "PUT", path, ctype, rev, strings.NewReader(content))
	}
	code, body = put("/api/v1/word-lists/违禁?action=block", "text/plain", "# 违禁词\n发票\n\n"+strings.Repeat("长", 51)+"\n")
	wantStatus(t, "a word list with a bad line", code, body, 400, "第4行")
	code, body = put("/api/v1/word-lists/违禁?action=block", "text/plain", "# 违禁词\n发票\n赌博\n")
	wantStatus(t, "a word list", code, body, 200, `"count":2`)
	code, body = f.call(t, "POST", "/api/v1/messages", f.admin, `{"to":["13700137000"],"content":"【示例单位】代开 发-票"}`)
	wantStatus(t, "a blocked word, spaced out", code, body, 400, `"code":"ESENSITIVE_WORD"`, `"word":"发票"`)
}

// TestHeldBatchAPI: free text with a reviewable word is held (202 with
// "review": "pending"), listed for reviewers, and released through the API.
func TestHeldBatchAPI(t *testing.T) {
	f := newFixture(t)
	rev := reviewerKey(t, f)
	code, body := f.call(t, "PUT", "/api/v1/word-lists/金融", rev, `{"action":"review","words":["贷款"]}`)
	wantStatus(t, "word list", code, body, 200)
	code, body = f.call(t, "POST", "/api/v1/messages", f.admin, `{"to":["13800138000"],"content":"【示例单位】低息贷款"}`)
	wantStatus(t, "held send", code, body, 202, `"review":"pending"`, `"status":"accepted"`)
	id := decode[struct {
		BatchID string `json:"batch_id"`
	}](t, body).BatchID
	code, body = f.call(t, "GET", "/api/v1/batches?review=pending", rev, "")
	wantStatus(t, "held list", code, body, 200, `"id":"`+id+`"`, "贷款")
	code, body = f.call(t, "POST", "/api/v1/batches/"+id+"/review", f.noFree, `{"decision":"approve"}`)
	wantStatus(t, "review by an operator", code, body, 403)
	code, body = f.call(t, "POST", "/api/v1/batches/"+id+"/review", rev, `{"decision":"approve"}`)
	wantStatus(t, "approve", code, body, 200, `"review":"approved"`, `"queued":1`)
}
