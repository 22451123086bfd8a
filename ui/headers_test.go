package ui_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"smsgw/app"
)

// TestHardenHeaders: every answer forbids sniffing and framing and runs only
// the site's script files (no inline script, no eval); pages and API
// answers are not cached, static files are (issue 14, item 19).
func TestHardenHeaders(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "admin1", app.RoleSysadmin)
	b := newBrowser(t, f.srv.URL)
	b.login("admin1", "Console2026")
	check := func(path string, noStore bool) {
		t.Helper()
		resp, err := b.c.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
		csp := h.Get("Content-Security-Policy")
		script := ""
		for _, d := range strings.Split(csp, ";") {
			if d = strings.TrimSpace(d); strings.HasPrefix(d, "script-src ") {
				script = d
			}
		}
		if script != "script-src 'self'" || strings.Contains(csp, "unsafe-eval") || !strings.Contains(csp, "default-src 'self'") ||
			!strings.Contains(csp, "object-src 'none'") || !strings.Contains(csp, "base-uri 'self'") || !strings.Contains(csp, "form-action 'self'") ||
			!strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "img-src 'self' data:") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if got := h.Get("Cache-Control") == "no-store"; got != noStore {
			t.Errorf("%s: Cache-Control %q", path, h.Get("Cache-Control"))
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
	}
	check("/", true)
	check("/records", true)
	check("/api/v1/messages", true)
	_, _, page := b.get("/")
	if i := strings.Index(page, "/static/"); i >= 0 {
		check(page[i:i+strings.IndexAny(page[i:], `"' `)], false)
	}
}

// TestLangBackStaysOnSite: /lang goes back only to a path of this site.
func TestLangBackStaysOnSite(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "admin1", app.RoleSysadmin)
	b := newBrowser(t, f.srv.URL)
	b.login("admin1", "Console2026")
	for back, want := range map[string]string{
		"/records?page=2": "/records?page=2", `/\evil.example`: "/", "//evil.example": "/",
		"https://evil.example": "/", "javascript:alert(1)": "/", "/\t/evil.example": "/", "": "/",
	} {
		_, loc, _ := b.post("/lang", url.Values{"csrf": {b.csrf("/settings")}, "lang": {"zh"}, "back": {back}})
		if loc != want {
			t.Errorf("back %q: to %q; want %q", back, loc, want)
		}
	}
}

var (
	scriptTagRE    = regexp.MustCompile(`(?i)<script[^>]*>`)
	inlineHandleRE = regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+\s*=`)
)

// TestPagesRunNoInlineScript: no console page carries what the CSP would
// refuse: an inline <script> (only files, or JSON data blocks), an on…=
// handler attribute or a javascript: URL (issue 14, item 19).
func TestPagesRunNoInlineScript(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "admin1", app.RoleSysadmin)
	admin := f.mustAdmin(t)
	f.call(t, "POST", "/api/v1/apps", admin, `{"name":"OA"}`)
	f.call(t, "POST", "/api/v1/templates", admin, `{"name":"通知","kind":"notice","content":"你好"}`)
	f.call(t, "POST", "/api/v1/blacklist", admin, `{"phones":["13800138000"]}`)
	pages := map[string]string{}
	_, _, pages["/login"] = newBrowser(t, f.srv.URL).get("/login") // signed out
	b := newBrowser(t, f.srv.URL)
	b.login("admin1", "Console2026")
	for _, path := range []string{"/", "/send", "/records", "/records/999", "/replies", "/templates", "/channels", "/channels/new",
		"/words", "/blacklist", "/org", "/apps", "/audit", "/settings", "/password"} {
		_, _, pages[path] = b.get(path)
	}
	for path, page := range pages {
		for _, tag := range scriptTagRE.FindAllString(page, -1) {
			if !strings.Contains(tag, " src=") && !strings.Contains(tag, `type="application/json"`) {
				t.Errorf("%s: inline script %s", path, tag)
			}
		}
		if m := inlineHandleRE.FindString(page); m != "" {
			t.Errorf("%s: inline handler in %s", path, m)
		}
		if strings.Contains(strings.ToLower(page), "javascript:") {
			t.Errorf("%s: a javascript: URL", path)
		}
	}
}
