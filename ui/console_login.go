package ui

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

const userKey = "user"

// requireUser lets a request through with a current session, and sends it
// to the login page otherwise; a user who must change its password is sent
// there first.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := s.console.session(c)
		uid, _ := sess.Values["uid"].(int64)
		ver, _ := sess.Values["ver"].(int)
		u, p, err := s.opts.Logins.SessionPrincipal(c.Request().Context(), uid, ver)
		if uid == 0 || err != nil {
			// Back to this page after logging in (an expired session, say).
			if c.Request().Method == http.MethodGet {
				sess.Values["next"] = c.Request().URL.RequestURI()
				_ = sess.Save(c.Request(), c.Response())
			}
			return c.Redirect(http.StatusSeeOther, "/login")
		}
		if u.MustChangePassword && c.Path() != "/password" {
			return c.Redirect(http.StatusSeeOther, "/password")
		}
		c.Set(userKey, u)
		c.Set(principalKey, p)
		return next(c)
	}
}

func (s *Server) loginPage(c echo.Context) error {
	sess := s.console.session(c)
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return s.console.render(c, http.StatusOK, "login.html", map[string]any{"Title": "登录", "CSRF": sess.Values["csrf"]})
}

// loginRefused is the one answer to every refused login.
var loginRefused = fmt.Sprintf("用户名或密码错误（连续输错%d次将锁定%d分钟）", app.MaxFailedLogins, app.LockMinutes)

func (s *Server) login(c echo.Context) error {
	sess := s.console.session(c)
	username := c.FormValue("username")
	page := func(status int, msg string) error {
		if err := sess.Save(c.Request(), c.Response()); err != nil {
			return err
		}
		return s.console.render(c, status, "login.html", map[string]any{"Title": "登录", "CSRF": sess.Values["csrf"],
			"Error": msg, "Username": username})
	}
	if err := checkCSRF(c, sess); err != nil {
		return page(http.StatusForbidden, app.ErrorMessage(err))
	}
	u, err := s.opts.Logins.Login(c.Request().Context(), username, c.FormValue("password"))
	s.auditConsole(c, u, "login", "user:"+username, err)
	if err != nil {
		switch app.ErrorCode(err) {
		case app.EUNAUTHORIZED, app.EFORBIDDEN:
			// A wrong password, an unknown name, a disabled user and a
			// locked name (EFORBIDDEN, in the audit log) look alike to the
			// caller, who must not learn which names exist.
			return page(http.StatusUnauthorized, loginRefused)
		}
		return err
	}
	next, _ := sess.Values["next"].(string)
	if !localPath(next) || strings.HasPrefix(next, "/login") {
		next = "/"
	}
	// A fresh session and token after login: a token seen before it is void.
	sess.Values = map[any]any{"uid": u.ID, "ver": u.SessionVersion}
	sess = s.console.session(c) // the same session, given a new token
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	if u.MustChangePassword {
		return c.Redirect(http.StatusSeeOther, "/password")
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// logout ends every session of the user.
func (s *Server) logout(c echo.Context) error {
	u := c.Get(userKey).(*app.User)
	sess := s.console.session(c)
	if err := checkCSRF(c, sess); err != nil {
		return err
	}
	err := s.opts.Logins.Logout(c.Request().Context(), u.ID)
	s.auditConsole(c, u, "logout", "user:"+u.Username, err)
	if err != nil {
		return err
	}
	sess.Options.MaxAge = -1
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}
