package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// appBody is POST /api/v1/apps.
type appBody struct {
	Name          string   `json:"name"`
	DepartmentID  string   `json:"department_id"`
	UserID        string   `json:"user_id"`
	Role          app.Role `json:"role"`
	Scopes        []string `json:"scopes"`
	IPAllowlist   []string `json:"ip_allowlist"`
	AllowFreeText bool     `json:"allow_free_text"`
	Ext           string   `json:"ext"`
	RateLimit     int      `json:"rate_limit"`
	CallbackURL   string   `json:"callback_url"`
}

// appOut is an app as the API shows it; Secret only in the creation answer.
type appOut struct {
	ID            string   `json:"id"`
	Key           string   `json:"key"`
	Secret        string   `json:"secret,omitempty"`
	Name          string   `json:"name"`
	DepartmentID  string   `json:"department_id"`
	Role          app.Role `json:"role"`
	Scopes        []string `json:"scopes"`
	IPAllowlist   []string `json:"ip_allowlist"`
	AllowFreeText bool     `json:"allow_free_text"`
	Ext           string   `json:"ext"`
	RateLimit     int      `json:"rate_limit"`
	CallbackURL   string   `json:"callback_url"`
	Enabled       bool     `json:"enabled"`
	CreatedAt     string   `json:"created_at"`
}

func (s *Server) toApp(k *app.APIKey) appOut {
	out := appOut{ID: formatID(k.ID), Key: k.Key, Name: k.Name, DepartmentID: formatID(k.DepartmentID), Role: k.Role,
		Scopes: k.Scopes, IPAllowlist: k.IPAllowlist, AllowFreeText: k.AllowFreeText, Ext: k.Ext, RateLimit: k.RateLimit,
		CallbackURL: k.CallbackURL, Enabled: k.Enabled, CreatedAt: s.formatTime(k.CreatedAt)}
	if out.IPAllowlist == nil {
		out.IPAllowlist = []string{}
	}
	return out
}

// createApp answers the new app with its secret, shown this once.
func (s *Server) createApp(c echo.Context) error {
	var body appBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	k := &app.APIKey{Name: body.Name, Role: body.Role, Scopes: body.Scopes, IPAllowlist: body.IPAllowlist,
		AllowFreeText: body.AllowFreeText, Ext: body.Ext, RateLimit: body.RateLimit, CallbackURL: body.CallbackURL}
	if err := app.CheckCallbackURL(body.CallbackURL, s.opts.CallbackAllowPrivate); err != nil {
		return err
	}
	var err error
	if body.DepartmentID != "" {
		if k.DepartmentID, err = parseID(body.DepartmentID); err != nil {
			return app.FieldError("department_id", "department_id 无效")
		}
	}
	if body.UserID != "" {
		if k.UserID, err = parseID(body.UserID); err != nil {
			return app.FieldError("user_id", "user_id 无效")
		}
	}
	secret, err := s.opts.Keys.CreateApp(c.Request().Context(), principal(c), k)
	if err != nil {
		return err
	}
	out := s.toApp(k)
	out.Secret = secret
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) listApps(c echo.Context) error {
	list, err := s.opts.Keys.FindApps(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	out := listing[appOut]{Items: make([]appOut, len(list))}
	for i, k := range list {
		out.Items[i] = s.toApp(k)
	}
	return c.JSON(http.StatusOK, out)
}

// updateApp enables, disables or retunes an app:
// {"enabled","rate_limit","ext","scopes","ip_allowlist","allow_free_text","callback_url"}.
func (s *Server) updateApp(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "应用不存在")
	}
	var body struct {
		Enabled       *bool     `json:"enabled"`
		RateLimit     *int      `json:"rate_limit"`
		Ext           *string   `json:"ext"`
		Scopes        *[]string `json:"scopes"`
		IPAllowlist   *[]string `json:"ip_allowlist"`
		AllowFreeText *bool     `json:"allow_free_text"`
		CallbackURL   *string   `json:"callback_url"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.CallbackURL != nil {
		if err := app.CheckCallbackURL(*body.CallbackURL, s.opts.CallbackAllowPrivate); err != nil {
			return err
		}
	}
	k, err := s.opts.Keys.UpdateApp(c.Request().Context(), principal(c), id, &app.AppUpdate{Enabled: body.Enabled,
		RateLimit: body.RateLimit, Ext: body.Ext, Scopes: body.Scopes, IPAllowlist: body.IPAllowlist, AllowFreeText: body.AllowFreeText,
		CallbackURL: body.CallbackURL})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toApp(k))
}

// rotateSecret answers a new secret, shown this once; the old one stops
// working at once.
func (s *Server) rotateSecret(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "应用不存在")
	}
	secret, err := s.opts.Keys.RotateSecret(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"id": formatID(id), "secret": secret})
}
