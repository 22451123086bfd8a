package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/app/apptest"
)

// TestTemplatesOnTheDemo is issue 7's "done when" on the demo: a template
// created through the API is pending and refused for sending; approved, it
// sends with its params filled in; an "TD" reply injected at a simulator
// makes the next send to that number come back rejected.
func TestTemplatesOnTheDemo(t *testing.T) {
	_, _, info := startDemo(t)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}
	var tpl struct{ ID, Status string }
	if code := c.do("POST", "/api/v1/templates", map[string]any{"name": "会议通知", "kind": "notice",
		"content": "您的会议${time}在${room}召开"}, &tpl); code != http.StatusCreated || tpl.Status != "pending" {
		t.Fatalf("create template: %d %+v", code, tpl)
	}
	send := map[string]any{"to": []string{"13800138000"}, "template_id": tpl.ID, "params": map[string]string{"time": "周五15:00", "room": "A301"}}
	var refused struct{ Code string }
	if code := c.do("POST", "/api/v1/messages", send, &refused); code != http.StatusBadRequest || refused.Code != "ETEMPLATE_NOT_APPROVED" {
		t.Fatalf("send with a pending template: %d %+v", code, refused)
	}
	if code := c.do("POST", "/api/v1/templates/"+tpl.ID+"/review", map[string]any{"decision": "approve"}, &tpl); code != http.StatusOK || tpl.Status != "approved" {
		t.Fatalf("approve: %d %+v", code, tpl)
	}
	var sent sendAnswer
	if code := c.do("POST", "/api/v1/messages", send, &sent); code != http.StatusAccepted || len(sent.Messages) != 1 {
		t.Fatalf("send with the approved template: %d %+v", code, sent)
	}
	c.waitStatus(sent.Messages[0].ID, "delivered", 15*time.Second)
	var m struct{ Content string }
	c.do("GET", "/api/v1/messages/"+sent.Messages[0].ID, nil, &m)
	if m.Content != "【示例单位】您的会议周五15:00在A301召开" {
		t.Fatalf("delivered text %q", m.Content)
	}

	sim := info.Simulators[0]
	resp, err := http.Post(sim.Control+"/mo?"+url.Values{"from": {"13800138000"}, "to": {sim.SourceAddr}, "text": {"TD"}}.Encode(), "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("injecting TD: %v %v", err, resp)
	}
	resp.Body.Close()
	apptest.Eventually(t, 10*time.Second, func() error {
		var list struct {
			Items []struct{ Phone, Source string }
		}
		c.do("GET", "/api/v1/blacklist?phone=13800138000", nil, &list)
		if len(list.Items) != 1 || list.Items[0].Source != "unsubscribe" {
			return fmt.Errorf("TD reply has not blacklisted its sender: %+v", list.Items)
		}
		return nil
	})
	if code := c.do("POST", "/api/v1/messages", send, &sent); code != http.StatusAccepted || sent.Messages[0].Status != "rejected" {
		t.Fatalf("send after TD: %d %+v", code, sent)
	}
}

// TestReviewCallback: an app with a callback URL is told, in a signed POST,
// that the template it submitted was approved.
func TestReviewCallback(t *testing.T) {
	got := make(chan *http.Request, 1)
	bodies := make(chan []byte, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer hook.Close()
	dir := t.TempDir()
	// The receiver is on 127.0.0.1: allowed only with --callback-allow-private.
	p, err := start(context.Background(), config{Data: dir, Listen: "127.0.0.1:0", Demo: true, CallbackAllowPrivate: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Error(err)
		}
	})
	info := readDemo(t, dir)
	admin := &client{t: t, base: info.BaseURL, key: info.APIKey}
	var oa struct{ ID, Secret string }
	if code := admin.do("POST", "/api/v1/apps", map[string]any{"name": "OA", "department_id": "1", "scopes": []string{"send", "templates"},
		"callback_url": hook.URL + "/smsgw"}, &oa); code != http.StatusCreated {
		t.Fatalf("create app: %d", code)
	}
	c := &client{t: t, base: info.BaseURL, key: oa.Secret}
	var tpl struct{ ID string }
	if code := c.do("POST", "/api/v1/templates", map[string]any{"name": "验证码", "kind": "code", "content": "验证码${code}"}, &tpl); code != http.StatusCreated {
		t.Fatalf("create template: %d", code)
	}
	if code := admin.do("POST", "/api/v1/templates/"+tpl.ID+"/review", map[string]any{"decision": "reject", "reason": "请写明用途"}, nil); code != http.StatusOK {
		t.Fatalf("review: %d", code)
	}
	select {
	case r := <-got:
		body := <-bodies
		if want := app.SignCallback(oa.Secret, r.Header.Get("X-Smsgw-Timestamp"), body); r.Header.Get("X-Smsgw-Signature") != want {
			t.Fatal("callback signature does not verify with the app's secret")
		}
		var n struct{ Event, ID, Status, Reason string }
		if err := json.Unmarshal(body, &n); err != nil || n.Event != "template.reviewed" || n.ID != tpl.ID || n.Status != "rejected" || n.Reason != "请写明用途" {
			t.Fatalf("callback body %s (%v)", body, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no callback within 10 s")
	}
}
