package ui_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"smsgw/app"
	"smsgw/ui"
)

// refusedCallbackURLs are callback URLs registration refuses by default
// (issue 14, item 14): loopback, private, link-local, a name for this host,
// IPv4-mapped IPv6, and other schemes.
var refusedCallbackURLs = []string{
	"http://127.0.0.1:8080/cb", "http://10.0.0.5/cb", "http://169.254.169.254/latest/meta-data/",
	"http://[::1]/cb", "http://[::ffff:127.0.0.1]/cb", "http://localhost/cb", "ftp://oa.example.com/cb",
}

// TestCallbackURLRegistration: the API (create and patch) and the console
// refuse a callback URL on a refused target with a callback_url field error;
// the operator's option lets private ones through.
func TestCallbackURLRegistration(t *testing.T) {
	f := newFixture(t)
	admin := f.mustAdmin(t)
	status, body := f.call(t, "POST", "/api/v1/apps", admin, `{"name":"OA","callback_url":"https://oa.example.com/cb"}`)
	if status != 201 {
		t.Fatalf("create with a public URL: %d %s", status, body)
	}
	var oa struct{ ID string }
	json.Unmarshal([]byte(body), &oa)
	consoleUser(t, f, "admin1", app.RoleSysadmin)
	b := newBrowser(t, f.srv.URL)
	b.login("admin1", "Console2026")
	for _, u := range refusedCallbackURLs {
		cb, _ := json.Marshal(u)
		if status, body := f.call(t, "POST", "/api/v1/apps", admin, `{"name":"坏回调","callback_url":`+string(cb)+`}`); status != 400 || !strings.Contains(body, `"field":"callback_url"`) {
			t.Errorf("create with %s: %d %s", u, status, body)
		}
		if status, body := f.call(t, "PATCH", "/api/v1/apps/"+oa.ID, admin, `{"callback_url":`+string(cb)+`}`); status != 400 || !strings.Contains(body, `"field":"callback_url"`) {
			t.Errorf("patch to %s: %d %s", u, status, body)
		}
		status, _, page := b.post("/apps/create", url.Values{"csrf": {b.csrf("/apps")}, "name": {"坏回调"}, "department_id": {"1"}, "callback_url": {u}})
		if status != 400 || !strings.Contains(page, "回调地址") {
			t.Errorf("console create with %s: %d", u, status)
		}
		status, _, _ = b.post("/apps/edit", url.Values{"csrf": {b.csrf("/apps")}, "app_id": {oa.ID}, "callback_url": {u}})
		if status != 400 {
			t.Errorf("console edit to %s: %d", u, status)
		}
	}
	if _, body := f.call(t, "GET", "/api/v1/apps", admin, ""); strings.Contains(body, "坏回调") || !strings.Contains(body, "https://oa.example.com/cb") {
		t.Fatalf("a refused app was made or the callback changed: %s", body)
	}

	// An intranet deployment allows private targets (not link-local).
	opts := options(f.db)
	opts.CallbackAllowPrivate = true
	s, err := ui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	intranet := httptest.NewServer(s.Handler())
	defer intranet.Close()
	g := &fixture{db: f.db, srv: intranet}
	if status, body := g.call(t, "PATCH", "/api/v1/apps/"+oa.ID, admin, `{"callback_url":"http://10.0.0.5:8080/cb"}`); status != 200 {
		t.Fatalf("intranet patch to 10.0.0.5: %d %s", status, body)
	}
	if status, _ := g.call(t, "PATCH", "/api/v1/apps/"+oa.ID, admin, `{"callback_url":"http://169.254.169.254/"}`); status != 400 {
		t.Fatalf("intranet patch to cloud metadata: %d", status)
	}
}
