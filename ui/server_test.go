package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/dispatch"
	"smsgw/store"
	"smsgw/ui"
)

// fixture is a real database with an approved signature, a free-text
// sysadmin key and a template-only key, behind the real HTTP server.
type fixture struct {
	db     *store.DB
	srv    *httptest.Server
	admin  string
	noFree string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateSignature(ctx, &app.Signature{DepartmentID: app.RootDepartmentID, Name: "示例单位", Approved: true}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db}
	if f.admin, err = db.CreateAPIKey(ctx, &app.APIKey{Name: "admin", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin, AllowFreeText: true}); err != nil {
		t.Fatal(err)
	}
	if f.noFree, err = db.CreateAPIKey(ctx, &app.APIKey{Name: "templates only", DepartmentID: app.RootDepartmentID, Role: app.RoleOperator}); err != nil {
		t.Fatal(err)
	}
	f.serve(t)
	return f
}

// serve puts the real HTTP server in front of f's database.
func (f *fixture) serve(t *testing.T) {
	t.Helper()
	s, err := ui.New(options(f.db))
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(s.Handler())
	t.Cleanup(f.srv.Close)
}

// clone is a fresh copy of f's database, keys included, behind a server of
// its own: each scenario of a table runs on one, so none sees what another
// scenario wrote and each can run alone.
func (f *fixture) clone(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := f.db.Backup(ctx, dir); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "smsgw.db"), Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := *f
	c.db = db
	c.serve(t)
	return &c
}

// options gives the server every service it needs, as main does: the
// database, and an engine (not running) for the channels' live state.
func options(db *store.DB) ui.Options {
	authKey, encKey := db.SessionKeys()
	return ui.Options{Messages: db, Batches: db, Templates: db, Blacklist: db, Words: db, Contacts: db, Imports: db, Accounts: db, Stats: db, Replies: db, Keys: db, Departments: db, Users: db, Audit: db, Channels: db,
		Monitor: dispatch.New(dispatch.Options{Outbox: db, Channels: db}), Logins: db, SessionAuthKey: authKey, SessionEncKey: encKey}
}

// TestNewNamesMissingServices: a server missing a service is not built
// (it would lack that service's pages), and the error names what is missing.
func TestNewNamesMissingServices(t *testing.T) {
	f := newFixture(t)
	opts := options(f.db)
	opts.Templates, opts.Monitor, opts.SessionEncKey = nil, nil, nil
	s, err := ui.New(opts)
	if s != nil || err == nil || !strings.Contains(err.Error(), "Monitor, Templates, SessionEncKey") {
		t.Fatalf("server %v, error %v", s, err)
	}
	if _, err := ui.New(options(f.db)); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) call(t *testing.T, method, path, key, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// count returns how many messages the admin key sees.
func (f *fixture) count(t *testing.T) int {
	var page struct{ Items []json.RawMessage }
	_, body := f.call(t, "GET", "/api/v1/messages?limit=1000", f.admin, "")
	if err := json.Unmarshal([]byte(body), &page); err != nil {
		t.Fatal(err)
	}
	return len(page.Items)
}

func numbersJSON(n int) string {
	nums := make([]string, n)
	for i := range nums {
		nums[i] = `"13800138000"`
	}
	return "[" + strings.Join(nums, ",") + "]"
}

func TestAPI(t *testing.T) {
	f := newFixture(t)
	const sig = "【示例单位】"
	scenarios := []struct {
		name    string
		method  string
		path    string
		key     string // "admin", "nofree", "bad" or "" (none)
		body    string
		status  int
		want    []string // substrings of the answer
		created int      // messages this call must create
	}{
		{name: "HealthIsPublic", method: "GET", path: "/healthz", status: 200, want: []string{`"status":"ok"`}},
		{name: "NoKeyIsUnauthorized", method: "GET", path: "/api/v1/messages", status: 401, want: []string{`"code":"EUNAUTHORIZED"`}},
		{name: "UnknownKeyIsUnauthorized", method: "POST", path: "/api/v1/messages", key: "bad",
			body: `{"to":["13800138000"],"content":"` + sig + `x"}`, status: 401, want: []string{`"code":"EUNAUTHORIZED"`}},
		{name: "SendAcceptsValidAndRejectsInvalidOneByOne", method: "POST", path: "/api/v1/messages", key: "admin",
			body:   `{"to":["13800138000","12345","+8613900139000","13800138000"],"content":"` + sig + `您好"}`,
			status: 202, created: 2,
			want: []string{`"accepted":2`, `"status":"queued"`, `"to":"12345","code":"EINVALID_NUMBER"`, `"code":"EDUPLICATE"`, `"segments":1`}},
		{name: "NoValidNumberIs400WithReasons", method: "POST", path: "/api/v1/messages", key: "admin",
			body: `{"to":["123","abc"],"content":"` + sig + `您好"}`, status: 400,
			want: []string{`"code":"EINVALID"`, `"field":"to"`, `"rejected"`, `"to":"abc"`}},
		{name: "EmptyContentIs400", method: "POST", path: "/api/v1/messages", key: "admin",
			body: `{"to":["13800138000"],"content":""}`, status: 400, want: []string{`"field":"content"`}},
		{name: "ContentOver500CharactersIs400", method: "POST", path: "/api/v1/messages", key: "admin",
			body: `{"to":["13800138000"],"content":"` + sig + strings.Repeat("长", 495) + `"}`, status: 400, want: []string{`"field":"content"`, "501"}},
		{name: "MoreThan10000NumbersIs400", method: "POST", path: "/api/v1/messages", key: "admin",
			body: `{"to":` + numbersJSON(10001) + `,"content":"` + sig + `x"}`, status: 400, want: []string{`"field":"to"`, "10000"}},
		{name: "MalformedJSONIs400", method: "POST", path: "/api/v1/messages", key: "admin",
			body: `{"to":["13800138000"],`, status: 400, want: []string{`"code":"EINVALID"`}},
		{name: "UnknownFieldIsNamed", method: "POST", path: "/api/v1/messages", key: "admin",
			body: `{"to":["13800138000"],"contnet":"x"}`, status: 400, want: []string{`"field":"contnet"`}},
		{name: "WrongTypeIsNamed", method: "POST", path: "/api/v1/messages", key: "admin",
			body: `{"to":"13800138000","content":"x"}`, status: 400, want: []string{`"field":"to"`}},
		{name: "BadSendAtIs400", method: "POST", path: "/api/v1/messages", key: "admin",
			body: `{"to":["13800138000"],"content":"` + sig + `x","send_at":"tomorrow"}`, status: 400, want: []string{`"field":"send_at"`}},
		{name: "MissingSignatureIs400", method: "POST", path: "/api/v1/messages", key: "admin",
			body: `{"to":["13800138000"],"content":"没有签名"}`, status: 400, want: []string{`"field":"content"`}},
		{name: "UnapprovedSignatureIs400", method: "POST", path: "/api/v1/messages", key: "admin",
			body: `{"to":["13800138000"],"content":"【别的单位】你好"}`, status: 400, want: []string{`"field":"content"`, "别的单位"}},
		{name: "FreeTextNeedsPermission", method: "POST", path: "/api/v1/messages", key: "nofree",
			body: `{"to":["13800138000"],"content":"` + sig + `x"}`, status: 403, want: []string{`"code":"EFORBIDDEN"`}},
		{name: "ScheduledBatchIsAccepted", method: "POST", path: "/api/v1/messages", key: "admin",
			body:   `{"to":["13700137000"],"content":"` + sig + `明天见","send_at":"` + time.Now().Add(time.Hour).Format(time.RFC3339) + `"}`,
			status: 202, created: 1, want: []string{`"status":"accepted"`}},
		{name: "UnknownMessageIs404", method: "GET", path: "/api/v1/messages/999999", key: "admin", status: 404, want: []string{`"code":"ENOTFOUND"`}},
		{name: "BadMessageIDIs404", method: "GET", path: "/api/v1/messages/abc", key: "admin", status: 404, want: []string{`"code":"ENOTFOUND"`}},
		{name: "LimitOutOfRangeIs400", method: "GET", path: "/api/v1/messages?limit=2000", key: "admin", status: 400, want: []string{`"field":"limit"`}},
		{name: "UnknownStatusIs400", method: "GET", path: "/api/v1/messages?status=lost", key: "admin", status: 400, want: []string{`"field":"status"`}},
		{name: "BadSinceIs400", method: "GET", path: "/api/v1/replies?since=yesterday", key: "admin", status: 400, want: []string{`"field":"since"`}},
		{name: "RepliesListIsEmptyAtFirst", method: "GET", path: "/api/v1/replies", key: "admin", status: 200, want: []string{`"items":[]`, `"next_cursor":""`}},
		{name: "UnknownRouteIs404JSON", method: "GET", path: "/api/v1/nothing", key: "admin", status: 404, want: []string{`"code":"ENOTFOUND"`}},
	}
	keys := map[string]string{"admin": f.admin, "nofree": f.noFree, "bad": "0000"}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := f.clone(t)
			before := f.count(t)
			status, body := f.call(t, sc.method, sc.path, keys[sc.key], sc.body)
			if status != sc.status {
				t.Fatalf("status %d, want %d; body %s", status, sc.status, body)
			}
			for _, w := range sc.want {
				if !strings.Contains(body, w) {
					t.Errorf("answer lacks %s: %s", w, body)
				}
			}
			if got := f.count(t) - before; got != sc.created {
				t.Errorf("created %d messages, want %d", got, sc.created)
			}
		})
	}
}

func TestAPI_ClientRefReturnsTheFirstAnswer(t *testing.T) {
	f := newFixture(t)
	body := `{"to":["13800138000","13900139000"],"content":"【示例单位】一次","client_ref":"order-123"}`
	s1, a1 := f.call(t, "POST", "/api/v1/messages", f.admin, body)
	s2, a2 := f.call(t, "POST", "/api/v1/messages", f.admin, body)
	if s1 != 202 || s2 != 202 || a1 != a2 {
		t.Fatalf("first %d %s\nrepeat %d %s\nwant the same 202 answer", s1, a1, s2, a2)
	}
	if n := f.count(t); n != 2 {
		t.Errorf("%d messages stored, want 2", n)
	}
}

func TestAPI_MessageShape(t *testing.T) {
	f := newFixture(t)
	_, a := f.call(t, "POST", "/api/v1/messages", f.admin, `{"to":["13800138000"],"content":"【示例单位】形状"}`)
	var sent struct {
		BatchID  string                `json:"batch_id"`
		Messages []struct{ ID string } `json:"messages"`
	}
	if err := json.Unmarshal([]byte(a), &sent); err != nil || len(sent.Messages) != 1 {
		t.Fatalf("answer %s: %v", a, err)
	}
	status, body := f.call(t, "GET", "/api/v1/messages/"+sent.Messages[0].ID, f.admin, "")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "batch_id", "to", "content", "segments", "status", "error_code", "channel", "created_at", "submitted_at", "done_at"} {
		if _, ok := m[k]; !ok {
			t.Errorf("message lacks %q: %s", k, body)
		}
	}
	if m["batch_id"] != sent.BatchID || m["status"] != "queued" || !strings.HasSuffix(m["created_at"].(string), "+08:00") {
		t.Errorf("message %s: want batch %s, queued, a +08:00 time", body, sent.BatchID)
	}
}

func TestAPI_RateLimitAnswers429WithRetryAfter(t *testing.T) {
	f := newFixture(t)
	key, err := f.db.CreateAPIKey(context.Background(), &app.APIKey{Name: "slow", DepartmentID: app.RootDepartmentID,
		Role: app.RoleOperator, RateLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	var limited *http.Response
	for i := 0; i < 20 && limited == nil; i++ {
		req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/replies", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited = resp
		} else if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if limited == nil {
		t.Fatal("20 quick requests on a 3/s key were never limited")
	}
	if ra := limited.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("429 without a useful Retry-After: %q", ra)
	}
	// Another key is not affected.
	if status, _ := f.call(t, "GET", "/api/v1/replies", f.admin, ""); status != http.StatusOK {
		t.Errorf("another key got %d", status)
	}
}

// mustAdmin returns the secret of a sysadmin key with the admin scope.
func (f *fixture) mustAdmin(t *testing.T) string {
	t.Helper()
	secret, err := f.db.CreateAPIKey(context.Background(), &app.APIKey{Name: "root", DepartmentID: app.RootDepartmentID,
		Role: app.RoleSysadmin, AllowFreeText: true, Scopes: []string{app.ScopeAdmin, app.ScopeSend, app.ScopeQuery}})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// TestWaitReportsFailedListener: when the listener fails under a running
// server, Wait returns the failure (main then stops the program instead of
// running on without HTTP); after Close it returns nil.
func TestWaitReportsFailedListener(t *testing.T) {
	f := newFixture(t)
	for _, fail := range []bool{true, false} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		opts := options(f.db)
		opts.Listener = ln
		s, err := ui.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Open(); err != nil {
			t.Fatal(err)
		}
		if fail {
			ln.Close()
		} else if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- s.Wait() }()
		select {
		case err := <-done:
			if fail != (err != nil) {
				t.Errorf("listener failed: %v; Wait: %v", fail, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Wait still blocks 10 s after the server stopped (listener failed: %v)", fail)
		}
	}
}
