package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/gob"
	"encoding/hex"
	"html/template"
	"net/http"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"smsgw/app"
)

//go:embed templates/*.html
var templateFS embed.FS

// console is the web console's session handling: a signed, encrypted
// cookie holding the user id, its session version and a CSRF token.
type console struct {
	store  *sessions.CookieStore
	pages  *template.Template
	assets *assets
}

func init() {
	// Session values are gob-encoded: the forms sent, by token.
	gob.Register(map[string]int64{})
}

const sessionName = "smsgw_session"

func newConsole(authKey, encKey []byte, secure bool) *console {
	st := sessions.NewCookieStore(authKey, encKey)
	st.Options = &sessions.Options{Path: "/", MaxAge: 8 * 3600, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
	a := newAssets()
	funcs := template.FuncMap{"t": translate, "asset": a.url}
	pages := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))
	return &console{store: st, pages: pages, assets: a}
}

// session returns the request's session, a fresh one if it has none or a
// forged one, with a CSRF token in it.
func (cs *console) session(c echo.Context) *sessions.Session {
	s, err := cs.store.Get(c.Request(), sessionName)
	if err != nil {
		s, _ = cs.store.New(c.Request(), sessionName)
	}
	if _, ok := s.Values["csrf"].(string); !ok {
		b := make([]byte, 16)
		rand.Read(b)
		s.Values["csrf"] = hex.EncodeToString(b)
	}
	return s
}

// checkCSRF answers EFORBIDDEN unless the form (or, for script calls, the
// X-CSRF-Token header) carries the session's token.
func checkCSRF(c echo.Context, s *sessions.Session) error {
	want, _ := s.Values["csrf"].(string)
	got := c.Request().Header.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("csrf")
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return app.Errorf(app.EFORBIDDEN, "页面已过期，请刷新后重试 (CSRF token missing or wrong)")
	}
	return nil
}

// render writes a page.
func (cs *console) render(c echo.Context, status int, name string, data map[string]any) error {
	c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
	c.Response().Header().Set("X-Frame-Options", "DENY")
	c.Response().WriteHeader(status)
	return cs.pages.ExecuteTemplate(c.Response(), name, data)
}
