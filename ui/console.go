package ui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/gob"
	"encoding/hex"
	"html/template"
	"net/http"
	"strings"

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

// menuItem is one entry of the console's side menu.
type menuItem struct {
	ID, Path, Label string
	On              bool
}

// menu lists the pages a role may use; pages it may not use are absent, and
// their addresses answer 403.
func menu(p *app.Principal, current string) []menuItem {
	items := []menuItem{{ID: "home", Path: "/", Label: "首页"}}
	if mayConsoleSend(p) {
		items = append(items, menuItem{ID: "send", Path: "/send", Label: "发送短信"})
	}
	items = append(items, menuItem{ID: "records", Path: "/records", Label: "发送记录"},
		menuItem{ID: "replies", Path: "/replies", Label: "上行回复"},
		menuItem{ID: "templates", Path: "/templates", Label: "模板与签名"},
		menuItem{ID: "contacts", Path: "/contacts", Label: "通讯录"},
		menuItem{ID: "stats", Path: "/stats", Label: "统计报表"},
		menuItem{ID: "account", Path: "/account", Label: "账户与消费"})
	if mayKeepBlacklist(p) {
		items = append(items, menuItem{ID: "blacklist", Path: "/blacklist", Label: "黑名单"})
	}
	if p.CanManageChannels() {
		items = append(items, menuItem{ID: "channels", Path: "/channels", Label: "通道管理"},
			menuItem{ID: "words", Path: "/words", Label: "敏感词"})
	}
	if p.CanManageOrg() {
		items = append(items, menuItem{ID: "org", Path: "/org", Label: "组织与用户"},
			menuItem{ID: "apps", Path: "/apps", Label: "应用接入"})
	}
	if p.Role != app.RoleOperator {
		items = append(items, menuItem{ID: "audit", Path: "/audit", Label: "审计日志"})
	}
	items = append(items, menuItem{ID: "settings", Path: "/settings", Label: "个人设置"})
	for i := range items {
		items[i].On = items[i].Path == current || current != "/" && items[i].Path != "/" && strings.HasPrefix(current, items[i].Path)
	}
	return items
}

func mayConsoleSend(p *app.Principal) bool { return p.Role != app.RoleAuditor }

// page is the data every console page gets: the shell's and the page's own.
func (s *Server) page(c echo.Context, title string, data map[string]any) map[string]any {
	u := c.Get(userKey).(*app.User)
	p := c.Get(principalKey).(*app.Principal)
	sess := s.console.session(c)
	lang, _ := sess.Values["lang"].(string)
	if data == nil {
		data = map[string]any{}
	}
	data["Title"], data["User"], data["Role"], data["CSRF"] = title, u, roleLabel(u.Role), sess.Values["csrf"]
	data["Lang"], data["Path"], data["Menu"] = lang, c.Request().URL.Path, menu(p, c.Request().URL.Path)
	return data
}

// formAllowed admits a console form: the role may use it (else the answer
// is the 403 page) and it carries the session's CSRF token. When it reports
// false, the caller returns the error it gives.
func (s *Server) formAllowed(c echo.Context, allowed bool) (bool, error) {
	if !allowed {
		return false, s.forbidden(c)
	}
	if err := checkCSRF(c, s.console.session(c)); err != nil {
		return false, err
	}
	return true, nil
}

// systemFault reports whether a form's error is the platform's (shown as
// the error page) rather than the user's to correct on the form.
func systemFault(err error) bool {
	code := app.ErrorCode(err)
	return code == app.EINTERNAL || code == app.EUNAVAILABLE
}

// forbidden is the page for a menu entry the role does not have.
func (s *Server) forbidden(c echo.Context) error {
	return s.console.render(c, http.StatusForbidden, "forbidden.html", s.page(c, "没有权限", nil))
}

// auditConsole records a console action of u (nil: not logged in).
func (s *Server) auditConsole(c echo.Context, u *app.User, action, target string, err error) {
	e := &app.AuditEntry{Actor: "console", Action: action, Target: target, Result: "ok", IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	if err != nil {
		e.Result = app.ErrorCode(err)
	}
	if u != nil {
		e.UserID, e.Role, e.DepartmentID = u.ID, u.Role, u.DepartmentID
	}
	write := s.opts.Audit.Audit
	if u == nil {
		// A failed login: counted, not stored one by one (issue 14, item 4).
		write = s.opts.Audit.AuditRefused
	}
	// Not the request's context: a client that hangs up must not cancel
	// the entry of what it did (issue 14, item 1).
	if aerr := write(context.WithoutCancel(c.Request().Context()), e); aerr != nil {
		s.log.Error("writing the audit log failed", "action", action, "error", aerr)
	}
}

// roleLabel is a role's Chinese name.
func roleLabel(r app.Role) string {
	switch r {
	case app.RoleSysadmin:
		return "系统管理员"
	case app.RoleDeptAdmin:
		return "部门管理员"
	case app.RoleOperator:
		return "操作员"
	case app.RoleAuditor:
		return "审计员"
	}
	return string(r)
}
