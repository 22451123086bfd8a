package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"smsgw/app"
)

// browser is an HTTP client with a cookie jar that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(path string) (int, string, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// csrf reads the token from the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, _, body := b.get(path)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s: %s", path, body)
	}
	return m[1]
}

func (b *browser) login(user, password string) (int, string, string) {
	return b.post("/login", url.Values{"csrf": {b.csrf("/login")}, "username": {user}, "password": {password}})
}

func TestConsoleLogin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := &app.User{Username: "zhang", DisplayName: "张三", DepartmentID: app.RootDepartmentID, Role: app.RoleOperator, MustChangePassword: true}
	if err := f.db.CreateUser(ctx, nil, u, "Initial2026"); err != nil {
		t.Fatal(err)
	}

	t.Run("PagesNeedALogin", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		if status, loc, _ := b.get("/"); status != http.StatusSeeOther || loc != "/login" {
			t.Fatalf("GET / without a session: %d %s", status, loc)
		}
	})

	t.Run("WrongPasswordUnknownUserAndMissingTokenAreRefused", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		s1, _, p1 := b.login("zhang", "wrong-1234")
		s2, _, p2 := b.login("nobody", "wrong-1234")
		if s1 != 401 || s2 != 401 || !strings.Contains(p1, "用户名或密码错误") || !strings.Contains(p2, "用户名或密码错误") {
			t.Fatalf("wrong password %d, unknown user %d: want the same 401 answer", s1, s2)
		}
		if status, _, _ := b.post("/login", url.Values{"username": {"zhang"}, "password": {"Initial2026"}}); status != 403 {
			t.Fatalf("a login without the CSRF token: %d, want 403", status)
		}
		// Reset the failure count for the next subtests.
		if _, err := f.db.UpdateUser(ctx, nil, u.ID, &app.UserUpdate{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("FirstLoginMustChangeThePassword", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		if status, loc, _ := b.login("zhang", "Initial2026"); status != 303 || loc != "/password" {
			t.Fatalf("first login: %d %s, want to /password", status, loc)
		}
		if _, loc, _ := b.get("/"); loc != "/password" {
			t.Fatalf("home before changing the password: to %q", loc)
		}
		form := url.Values{"csrf": {b.csrf("/password")}, "old_password": {"Initial2026"}, "password": {"weak"}}
		if status, _, body := b.post("/password", form); status != 400 || !strings.Contains(body, "至少8位") {
			t.Fatalf("a weak new password: %d", status)
		}
		form.Set("password", "Changed2026")
		if status, loc, _ := b.post("/password", form); status != 303 || loc != "/" {
			t.Fatalf("changing the password: %d %s", status, loc)
		}
		if status, _, body := b.get("/"); status != 200 || !strings.Contains(body, "张三（zhang）") {
			t.Fatalf("home: %d %s", status, body)
		}
	})

	t.Run("LogoutAndDisableEndSessions", func(t *testing.T) {
		b1, b2 := newBrowser(t, f.srv.URL), newBrowser(t, f.srv.URL)
		b1.login("zhang", "Changed2026")
		b2.login("zhang", "Changed2026")
		if status, _, _ := b1.post("/logout", url.Values{"csrf": {b1.csrf("/")}}); status != 303 {
			t.Fatalf("logout: %d", status)
		}
		if _, loc, _ := b2.get("/"); loc != "/login" {
			t.Fatal("another session of the user survived a logout")
		}
		b2.login("zhang", "Changed2026")
		off := false
		if _, err := f.db.UpdateUser(ctx, nil, u.ID, &app.UserUpdate{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		if _, loc, _ := b2.get("/"); loc != "/login" {
			t.Fatal("a disabled user's session survived")
		}
		if status, _, body := b2.login("zhang", "Changed2026"); status != 401 || !strings.Contains(body, "用户名或密码错误") {
			t.Fatalf("a disabled user logs in: %d", status)
		}
		on := true
		f.db.UpdateUser(ctx, nil, u.ID, &app.UserUpdate{Enabled: &on})
	})

	t.Run("FiveFailuresLockTheAccount", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		for i := 0; i < app.MaxFailedLogins; i++ {
			b.login("zhang", "not-it-123")
		}
		// The same answer as a wrong password: the caller must not learn
		// that the name exists (issue 14, item 13).
		if status, _, body := b.login("zhang", "Changed2026"); status != 401 || !strings.Contains(loginError(body), "用户名或密码错误") {
			t.Fatalf("the right password on a locked account: %d %s", status, body)
		}
	})

	t.Run("CookieIsHttpOnlyAndSameSite", func(t *testing.T) {
		resp, err := http.Get(f.srv.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		c := resp.Header.Get("Set-Cookie")
		if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
			t.Fatalf("session cookie %q", c)
		}
	})

	t.Run("LoginsAreAudited", func(t *testing.T) {
		list, _, err := f.db.FindAudit(ctx, &app.Principal{Role: app.RoleSysadmin}, app.AuditFilter{Action: "login"})
		if err != nil || len(list) < 3 {
			t.Fatalf("%d login entries, %v", len(list), err)
		}
		var ok, failed bool
		for _, e := range list {
			ok = ok || e.Result == "ok"
			failed = failed || e.Result == app.EUNAUTHORIZED
		}
		if !ok || !failed {
			t.Errorf("want successful and failed logins in the audit log: %+v", list)
		}
	})
}

var loginErrorRE = regexp.MustCompile(`id="error">([^<]*)<`)

// loginError is the error the login page shows, "" for none.
func loginError(body string) string {
	if m := loginErrorRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// TestConsoleLoginLockout (issue 14, items 7 and 13): thirty concurrent
// wrong guesses over HTTP reach the password check at most MaxFailedLogins
// times (the audit log records each verdict: EUNAUTHORIZED for a wrong
// password, EFORBIDDEN for a refusal of a locked name) and then the right
// password is refused; every answer, for a real name or an unknown one,
// locked or not, is the same.
func TestConsoleLoginLockout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	consoleUser(t, f, "zhang", app.RoleOperator)

	guess := func(name string, n int) map[string]int {
		t.Helper()
		browsers, forms := make([]*browser, n), make([]url.Values, n)
		for i := range browsers {
			browsers[i] = newBrowser(t, f.srv.URL)
			forms[i] = url.Values{"csrf": {browsers[i].csrf("/login")}, "username": {name}, "password": {"wrong-1234"}}
		}
		answers := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range browsers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := browsers[i].c.PostForm(f.srv.URL+"/login", forms[i])
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				mu.Lock()
				answers[strconv.Itoa(resp.StatusCode)+" "+loginError(string(body))]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return answers
	}
	refusals := func(name string) map[string]int {
		t.Helper()
		if err := f.db.FlushAudit(ctx); err != nil { // refused calls are counted a minute at a time
			t.Fatal(err)
		}
		list, _, err := f.db.FindAudit(ctx, &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID},
			app.AuditFilter{Action: "login", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, e := range list {
			if e.Target == "user:"+name {
				out[e.Result] += max(e.Count, 1) // an entry for many calls carries their count
			}
		}
		return out
	}

	known := guess("zhang", 30)
	if len(known) != 1 {
		t.Fatalf("answers to 30 wrong guesses differ: %v", known)
	}
	if got := refusals("zhang"); got[app.EUNAUTHORIZED] > app.MaxFailedLogins {
		t.Fatalf("%d guesses reached the password check (audit %v), want at most %d", got[app.EUNAUTHORIZED], got, app.MaxFailedLogins)
	}
	b := newBrowser(t, f.srv.URL)
	status, _, body := b.login("zhang", "Console2026")
	if status != 401 {
		t.Fatalf("the right password on a locked name: %d", status)
	}
	unknown := guess("nobody", 8)
	want := map[string]int{"401 " + loginError(body): 8}
	if !reflect.DeepEqual(unknown, want) || !reflect.DeepEqual(known, map[string]int{"401 " + loginError(body): 30}) {
		t.Fatalf("answers: a real name %v, an unknown name %v, the right password when locked %q; want all alike", known, unknown, loginError(body))
	}
	if got := refusals("nobody"); got[app.EUNAUTHORIZED] != app.MaxFailedLogins {
		t.Fatalf("an unknown name's attempts: %v, want it locked after %d like a real one", got, app.MaxFailedLogins)
	}
}
