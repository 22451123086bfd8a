package ui

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

const principalKey = "principal"

// authenticate requires a Bearer API secret or a signed request (headers
// X-Smsgw-Key, -Timestamp, -Nonce, -Signature; see README) and puts the
// caller's principal in the request context.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		var p *app.Principal
		var err error
		if key := req.Header.Get("X-Smsgw-Key"); key != "" {
			p, err = s.authenticateSigned(c, key)
		} else {
			secret, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
			if !ok || strings.TrimSpace(secret) == "" {
				return app.Errorf(app.EUNAUTHORIZED, "缺少 API 密钥：请使用 Authorization: Bearer <api_key> 或签名请求")
			}
			p, err = s.opts.Keys.Authenticate(req.Context(), strings.TrimSpace(secret))
		}
		if err != nil {
			return err
		}
		if !p.AllowsIP(c.RealIP()) {
			return app.Errorf(app.EFORBIDDEN, "该应用不允许从 %s 调用 (IP not allowed)", c.RealIP())
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

// authenticateSigned checks a signed request. It reads the body to hash it
// and puts it back for the handler.
func (s *Server) authenticateSigned(c echo.Context, key string) (*app.Principal, error) {
	req := c.Request()
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, maxBody))
	if err != nil {
		return nil, app.Errorf(app.EINVALID, "请求体过大或无法读取")
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return s.opts.Keys.AuthenticateSigned(req.Context(), &app.SignedRequest{
		Key:       key,
		Timestamp: req.Header.Get("X-Smsgw-Timestamp"),
		Nonce:     req.Header.Get("X-Smsgw-Nonce"),
		Signature: strings.ToLower(req.Header.Get("X-Smsgw-Signature")),
		Method:    req.Method,
		PathQuery: req.URL.RequestURI(),
		Body:      body,
	})
}

func principal(c echo.Context) *app.Principal {
	p, _ := c.Get(principalKey).(*app.Principal)
	return p
}
