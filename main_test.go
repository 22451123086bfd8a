package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/app/apptest"
	"smsgw/dispatch/smscsim"
	"smsgw/store"
)

// client calls the API of a running platform.
type client struct {
	t    *testing.T
	base string
	key  string
}

func (c *client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			c.t.Fatalf("%s %s: decoding answer: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type sendAnswer struct {
	BatchID  string `json:"batch_id"`
	Messages []struct {
		ID       string `json:"id"`
		Segments int    `json:"segments"`
		Status   string `json:"status"`
	} `json:"messages"`
}

type messageAnswer struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Segments int    `json:"segments"`
}

// send posts one message and returns its id.
func (c *client) send(to, content string) sendAnswer {
	c.t.Helper()
	var a sendAnswer
	if code := c.do("POST", "/api/v1/messages", map[string]any{"to": []string{to}, "content": content}, &a); code != http.StatusAccepted || len(a.Messages) != 1 {
		c.t.Fatalf("send: status %d, answer %+v", code, a)
	}
	return a
}

// waitStatus polls a message until it has status want.
func (c *client) waitStatus(id, want string, within time.Duration) messageAnswer {
	c.t.Helper()
	var m messageAnswer
	apptest.Eventually(c.t, within, func() error {
		c.do("GET", "/api/v1/messages/"+id, nil, &m)
		if m.Status != want {
			return fmt.Errorf("message %s is %q, want %q", id, m.Status, want)
		}
		return nil
	})
	return m
}

func readDemo(t *testing.T, dir string) *demoInfo {
	t.Helper()
	info, err := loadDemo(dir)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// TestEndToEnd boots the platform as main does, in demo mode on a temp
// folder, and sends a short and a 500-character message through the API.
func TestEndToEnd(t *testing.T) {
	p, _, info := startDemo(t)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}

	short := c.send("13800138000", "【示例单位】您好，会议改在周五下午三点。")
	long := string([]rune("【示例单位】" + strings.Repeat("请各部门于本周五前报送年度工作总结。", 30))[:500])
	longAns := c.send("+8613900139000", long)
	if longAns.Messages[0].Segments != 8 {
		t.Errorf("500-character message counts %d segments, want 8", longAns.Messages[0].Segments)
	}
	c.waitStatus(short.Messages[0].ID, "delivered", 15*time.Second)
	if m := c.waitStatus(longAns.Messages[0].ID, "delivered", 15*time.Second); m.Segments != 8 {
		t.Errorf("delivered long message reports %d segments", m.Segments)
	}

	// The long message reached a simulator as 8 parts with one UDH reference.
	var parts []string
	ref := -1
	for _, sim := range p.sims {
		for _, s := range sim.Submitted() {
			if s.Dest != "13900139000" {
				continue
			}
			if s.UDH == nil || s.UDH.Total != 8 || s.UDH.Seq != len(parts)+1 || (ref >= 0 && s.UDH.Ref != ref) {
				t.Fatalf("part %d has UDH %+v", len(parts)+1, s.UDH)
			}
			ref = s.UDH.Ref
			parts = append(parts, s.Text)
		}
	}
	if len(parts) != 8 || strings.Join(parts, "") != long {
		t.Fatalf("simulators got %d parts joining to the text: %v", len(parts), strings.Join(parts, "") == long)
	}

	// A reply to source+ext comes back, linked to the message it answers.
	sim := info.Simulators[0]
	resp, err := http.Post(sim.Control+"/mo?"+url.Values{"from": {"13800138000"}, "to": {sim.SourceAddr}, "text": {"收到"}}.Encode(), "", nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("injecting a reply: %v %v", err, resp)
	}
	resp.Body.Close()
	var replies struct {
		Items []struct {
			Content   string `json:"content"`
			MessageID string `json:"message_id"`
		} `json:"items"`
	}
	apptest.Eventually(t, 10*time.Second, func() error {
		c.do("GET", "/api/v1/replies", nil, &replies)
		if len(replies.Items) != 1 {
			return fmt.Errorf("%d replies listed, want 1", len(replies.Items))
		}
		return nil
	})
	if replies.Items[0].Content != "收到" || replies.Items[0].MessageID != short.Messages[0].ID {
		t.Errorf("reply %+v, want 收到 linked to message %s", replies.Items[0], short.Messages[0].ID)
	}
}

// TestBinary builds smsgw and drives it as a user would: demo on an empty
// folder, send, a second server refused, SIGTERM, restart reusing everything.
func TestBinary(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)

	first := serveProcess(t, bin, dir, addr)
	info := readDemo(t, dir)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}
	a := c.send("13800138000", "【示例单位】您好")
	c.waitStatus(a.Messages[0].ID, "delivered", 15*time.Second)

	second := exec.Command(bin, "serve", "--demo", "--data", dir, "--listen", freeAddr(t))
	out, err := second.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another smsgw process") {
		t.Errorf("a second server on the same folder: err %v, output %q; want a refusal naming the other process", err, out)
	}

	if err := first.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- first.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM the server exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not exit within 10 s of SIGTERM")
	}

	serveProcess(t, bin, dir, addr)
	again := readDemo(t, dir)
	if again.APIKey != info.APIKey || again.AdminPassword != info.AdminPassword {
		t.Error("a second start created new credentials instead of reusing them")
	}
	b := c.send("13800138001", "【示例单位】重启后")
	c.waitStatus(b.Messages[0].ID, "delivered", 15*time.Second)
	if a.Messages[0].ID == b.Messages[0].ID {
		t.Error("message ids repeat after a restart")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestAPIKeyCreate(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI("apikey", "create", "--data", dir, "--name", "业务系统", "--free-text", "--role", "sysadmin")
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _ := strings.Cut(out, "secret: ")
	secret, _, _ = strings.Cut(secret, "\n")
	if len(secret) != 64 {
		t.Fatalf("output %q has no 64-character secret", out)
	}
	db, err := store.Open(context.Background(), store.Options{Path: filepath.Join(dir, "smsgw.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := db.Authenticate(context.Background(), secret)
	if err != nil || !p.AllowFreeText || p.Role != app.RoleSysadmin {
		t.Fatalf("principal %+v, err %v: want a free-text sysadmin", p, err)
	}
	if _, err := runCLI("apikey", "create", "--data", dir, "--name", "x", "--role", "king"); err == nil || !strings.Contains(err.Error(), "EINVALID") {
		t.Errorf("unknown role: err %v, want EINVALID", err)
	}
}

// TestChannelHotPlugThroughAPI is issue 3's acceptance: a simulator started
// beside the demo is added through the API, carries traffic, and stops
// carrying it once disabled, while sending goes on.
func TestChannelHotPlugThroughAPI(t *testing.T) {
	_, dir, info := startDemo(t)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}

	sim := smscsim.New(smscsim.Options{SystemID: "extra", Password: "pw"})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	host, port, _ := net.SplitHostPort(sim.Addr())
	var ch struct {
		ID    string `json:"id"`
		State struct {
			Bound     bool  `json:"bound"`
			Submitted int64 `json:"submitted"`
		} `json:"state"`
	}
	body := map[string]any{"name": "新增通道", "host": host, "port": mustAtoi(t, port), "system_id": "extra", "password": "pw",
		"source_addr": "10690009", "tps": 3000}
	if code := c.do("POST", "/api/v1/channels", body, &ch); code != http.StatusCreated {
		t.Fatalf("adding a channel: %d", code)
	}
	sendMany := func(from int) {
		var ids []string
		for i := 0; i < 3; i++ {
			var a sendAnswer
			to := make([]string, 100)
			for j := range to {
				to[j] = fmt.Sprintf("137%08d", from+i*100+j)
			}
			if code := c.do("POST", "/api/v1/messages", map[string]any{"to": to, "content": "【示例单位】通道热插拔"}, &a); code != http.StatusAccepted {
				t.Fatalf("send: %d", code)
			}
			for _, m := range a.Messages {
				ids = append(ids, m.ID)
			}
		}
		for _, id := range ids {
			c.waitStatus(id, "delivered", 30*time.Second)
		}
	}
	waitChannel := func(cond func() bool) {
		t.Helper()
		apptest.Eventually(t, 15*time.Second, func() error {
			if c.do("GET", "/api/v1/channels/"+ch.ID, nil, &ch); !cond() {
				return fmt.Errorf("channel state %+v", ch.State)
			}
			return nil
		})
	}
	waitChannel(func() bool { return ch.State.Bound })
	sendMany(0)
	waitChannel(func() bool { return ch.State.Submitted > 0 })

	if code := c.do("PATCH", "/api/v1/channels/"+ch.ID, map[string]any{"enabled": false}, &ch); code != http.StatusOK {
		t.Fatalf("disabling: %d", code)
	}
	waitChannel(func() bool { return !ch.State.Bound })
	before := ch.State.Submitted
	sendMany(1000)
	c.do("GET", "/api/v1/channels/"+ch.ID, nil, &ch)
	if ch.State.Submitted != before {
		t.Errorf("the disabled channel's submitted count went from %d to %d", before, ch.State.Submitted)
	}

	// The CLI, another "process" on the same data folder, enables it again.
	cmd := newRootCmd()
	cmd.SetOut(io.Discard)
	cmd.SetArgs([]string{"channel", "enable", ch.ID, "--data", dir})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	waitChannel(func() bool { return ch.State.Bound })
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAuditVerifyCLI(t *testing.T) {
	dir := t.TempDir()
	// A folder without a database is an error, and stays without one.
	if out, err := runCLI("audit", "verify", "--data", filepath.Join(dir, "nothing")); err == nil || !strings.Contains(out+err.Error(), "没有找到数据库") {
		t.Fatalf("verify of an empty folder: %q %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nothing")); err == nil {
		t.Fatal("verify made the folder it was given")
	}
	if _, err := runCLI("channel", "add", "--data", dir, "--name", "审计", "--host", "127.0.0.1", "--system-id", "s", "--source", "1069", "--password", "pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI("channel", "disable", "1", "--data", dir); err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI("audit", "verify", "--data", dir); err != nil || !strings.Contains(out, "2 entries") {
		t.Fatalf("verify: %q %v", out, err)
	}
	db, err := store.Open(context.Background(), store.Options{Path: dbPath(dir)})
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := db.FindAudit(context.Background(), &app.Principal{Role: app.RoleSysadmin}, app.AuditFilter{})
	db.Close()
	if err != nil || len(list) != 2 || list[0].Action != "channel.disable" || strings.Contains(list[1].Summary, "pw") {
		t.Fatalf("entries %+v %v", list, err)
	}
	raw, err := sql.Open("sqlite", "file:"+dbPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`update audit_log set actor = 'someone else' where id = 1`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if _, err := runCLI("audit", "verify", "--data", dir); err == nil || !strings.Contains(err.Error(), "entry 1") {
		t.Fatalf("a tampered log verified: %v", err)
	}
}

// TestOrganisationOnTheDemo is issue 4's acceptance on the demo: departments
// A and B with an app each; A's message is A's alone; a signed request
// works and a wrong signature does not; the audit log verifies.
func TestOrganisationOnTheDemo(t *testing.T) {
	_, dir, info := startDemo(t)
	admin := &client{t: t, base: info.BaseURL, key: info.APIKey}
	var a, b struct{ ID string }
	if code := admin.do("POST", "/api/v1/departments", map[string]any{"name": "A处"}, &a); code != http.StatusCreated {
		t.Fatalf("department A: %d", code)
	}
	if code := admin.do("POST", "/api/v1/departments", map[string]any{"name": "B处"}, &b); code != http.StatusCreated {
		t.Fatalf("department B: %d", code)
	}
	var appA, appB struct{ ID, Key, Secret string }
	for _, x := range []struct {
		dept string
		out  any
	}{{a.ID, &appA}, {b.ID, &appB}} {
		if code := admin.do("POST", "/api/v1/apps", map[string]any{"name": "系统", "department_id": x.dept,
			"scopes": []string{"send", "query"}, "allow_free_text": true}, x.out); code != http.StatusCreated {
			t.Fatalf("app: %d", code)
		}
	}
	ca := &client{t: t, base: info.BaseURL, key: appA.Secret}
	cb := &client{t: t, base: info.BaseURL, key: appB.Secret}
	sent := ca.send("13800138000", "【示例单位】A处通知")
	var m messageAnswer
	if code := ca.do("GET", "/api/v1/messages/"+sent.Messages[0].ID, nil, &m); code != http.StatusOK {
		t.Errorf("A reads its message: %d", code)
	}
	var e map[string]any
	if code := cb.do("GET", "/api/v1/messages/"+sent.Messages[0].ID, nil, &e); code != http.StatusNotFound {
		t.Errorf("B reads A's message: %d, want 404", code)
	}

	signed := func(secret string) int {
		body := []byte(`{"to":["13800138001"],"content":"【示例单位】签名发送"}`)
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		nonce := fmt.Sprintf("nonce-%d", time.Now().UnixNano())
		req, _ := http.NewRequest("POST", info.BaseURL+"/api/v1/messages", bytes.NewReader(body))
		req.Header.Set("X-Smsgw-Key", appA.Key)
		req.Header.Set("X-Smsgw-Timestamp", ts)
		req.Header.Set("X-Smsgw-Nonce", nonce)
		req.Header.Set("X-Smsgw-Signature", app.Sign(secret, app.SignatureBase("POST", "/api/v1/messages", ts, nonce, body)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := signed(appA.Secret); code != http.StatusAccepted {
		t.Errorf("signed send with A's secret: %d", code)
	}
	if code := signed("not-the-secret"); code != http.StatusUnauthorized {
		t.Errorf("a wrong signature: %d, want 401", code)
	}

	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"audit", "verify", "--data", dir})
	if err := cmd.Execute(); err != nil || !strings.Contains(out.String(), "intact") {
		t.Fatalf("audit verify beside the running server: %q %v", out.String(), err)
	}
}

// startDemo boots the platform as main does, in demo mode on a temp folder,
// and stops it when the test ends, failing the test if the stop fails.
func startDemo(t *testing.T) (*program, string, *demoInfo) {
	t.Helper()
	dir := t.TempDir()
	p, err := start(context.Background(), config{Data: dir, Listen: "127.0.0.1:0", Demo: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.stop(); err != nil {
			t.Error(err)
		}
	})
	return p, dir, readDemo(t, dir)
}

// runCLI runs smsgw with args and returns what it printed.
func runCLI(args ...string) (string, error) {
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// A full disk answers 507 with ESTORAGE; the server goes on answering.
func TestFullStorageAnswers507(t *testing.T) {
	dir := t.TempDir()
	p, err := start(context.Background(), config{Data: dir, Listen: "127.0.0.1:0", Demo: true, MaxDBMB: 2,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop() })
	info := readDemo(t, dir)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}
	for i := range 100 {
		to := make([]string, 1000)
		for j := range to {
			to[j] = fmt.Sprintf("139%08d", i*1000+j)
		}
		var answer struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		}
		code := c.do("POST", "/api/v1/messages", map[string]any{"to": to, "content": "【示例单位】磁盘将满"}, &answer)
		if code == http.StatusAccepted {
			continue
		}
		if code != http.StatusInsufficientStorage || answer.Code != "ESTORAGE" || !strings.Contains(answer.Message, "存储空间已满") {
			t.Fatalf("call %d: HTTP %d %+v; want 507 ESTORAGE", i, code, answer)
		}
		if code := c.do("GET", "/healthz", nil, nil); code != http.StatusOK {
			t.Errorf("health on a full disk: HTTP %d", code)
		}
		return
	}
	t.Fatal("100,000 messages fit in 2 MB: the cap did not apply")
}
