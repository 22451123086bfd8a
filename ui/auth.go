package ui

import (
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

const principalKey = "principal"

// authenticate requires a Bearer API secret and puts its principal in the
// request context.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get("Authorization")
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(secret) == "" {
			return app.Errorf(app.EUNAUTHORIZED, "缺少 API 密钥：请使用 Authorization: Bearer <api_key>")
		}
		p, err := s.opts.Keys.Authenticate(c.Request().Context(), strings.TrimSpace(secret))
		if err != nil {
			return err
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func principal(c echo.Context) *app.Principal {
	p, _ := c.Get(principalKey).(*app.Principal)
	return p
}
