package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

func (s *Server) passwordPage(c echo.Context) error {
	u := c.Get(userKey).(*app.User)
	sess := s.console.session(c)
	return s.console.render(c, http.StatusOK, "password.html", map[string]any{"Title": "修改密码",
		"Forced": u.MustChangePassword, "CSRF": sess.Values["csrf"]})
}

// changePassword sets a new password; the user's other sessions end, this
// one goes on.
func (s *Server) changePassword(c echo.Context) error {
	u := c.Get(userKey).(*app.User)
	sess := s.console.session(c)
	err := checkCSRF(c, sess)
	if err == nil {
		err = s.opts.Logins.ChangePassword(c.Request().Context(), u.ID, c.FormValue("old_password"), c.FormValue("password"))
	}
	s.auditConsole(c, u, "password.change", "user:"+u.Username, err)
	if err != nil {
		if app.ErrorCode(err) == app.EINTERNAL {
			return err
		}
		return s.console.render(c, http.StatusBadRequest, "password.html", map[string]any{"Title": "修改密码",
			"Forced": u.MustChangePassword, "CSRF": sess.Values["csrf"], "Error": app.ErrorMessage(err)})
	}
	sess.Values["ver"] = u.SessionVersion + 1
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}
