package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// setLang switches the console between Chinese and English.
func (s *Server) setLang(c echo.Context) error {
	sess := s.console.session(c)
	if err := checkCSRF(c, sess); err != nil {
		return err
	}
	lang, _ := sess.Values["lang"].(string)
	switch want := c.FormValue("lang"); {
	case want == "en" || want == "" && lang != "en": // no choice given: the top bar's toggle
		sess.Values["lang"] = "en"
	default:
		delete(sess.Values, "lang")
	}
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	back := c.FormValue("back")
	if !localPath(back) {
		back = "/"
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// settingsPage is 个人设置: the account, the password, the language.
func (s *Server) settingsPage(c echo.Context) error {
	return s.console.render(c, http.StatusOK, "settings.html", s.page(c, "个人设置", nil))
}
