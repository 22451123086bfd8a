package ui_test

import (
	"net/url"
	"strings"
	"testing"

	"smsgw/app"
)

// TestHardenHeaders: every answer forbids sniffing and framing; pages and
// API answers are not cached, static files are (issue 14, item 19).
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
