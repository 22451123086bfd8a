package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// 应用接入: the apps (API keys) of the departments an administrator
// manages. A new or rotated secret is shown once, on the page that made it.

func (s *Server) appsPage(c echo.Context) error {
	return s.renderApps(c, http.StatusOK, map[string]any{})
}

func (s *Server) renderApps(c echo.Context, status int, data map[string]any) error {
	p := c.Get(principalKey).(*app.Principal)
	if !p.CanManageOrg() {
		return s.forbidden(c)
	}
	ctx := c.Request().Context()
	apps, err := s.opts.Keys.FindApps(ctx, p)
	if err != nil {
		return err
	}
	depts, names, err := s.departments(c, p)
	if err != nil {
		return err
	}
	type appRow struct {
		ID, Name, Key, Dept, Role, Scopes, Ext, IPs, Callback string
		RateLimit                                             int
		Enabled, FreeText                                     bool
	}
	rows := make([]appRow, 0, len(apps))
	for _, k := range apps {
		rows = append(rows, appRow{ID: formatID(k.ID), Name: k.Name, Key: k.Key, Dept: names[k.DepartmentID], Role: roleLabel(k.Role),
			Scopes: strings.Join(k.Scopes, ","), Ext: k.Ext, IPs: strings.Join(k.IPAllowlist, ","), Callback: k.CallbackURL, RateLimit: k.RateLimit,
			Enabled: k.Enabled, FreeText: k.AllowFreeText})
	}
	data["Apps"], data["Departments"] = rows, depts
	return s.console.render(c, status, "apps.html", s.page(c, "应用接入", data))
}

// appAction creates an app, rotates its secret, or enables or disables it.
func (s *Server) appAction(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if ok, err := s.formAllowed(c, p.CanManageOrg()); !ok {
		return err
	}
	ctx := c.Request().Context()
	u := c.Get(userKey).(*app.User)
	id, _ := strconv.ParseInt(c.FormValue("app_id"), 10, 64)
	var err error
	var secret, action, target string
	switch c.Param("action") {
	case "create":
		dept, _ := strconv.ParseInt(c.FormValue("department_id"), 10, 64)
		rate, _ := strconv.Atoi(c.FormValue("rate_limit"))
		k := &app.APIKey{Name: strings.TrimSpace(c.FormValue("name")), DepartmentID: dept, Role: app.RoleOperator,
			Scopes: []string{app.ScopeSend, app.ScopeQuery}, AllowFreeText: c.FormValue("free_text") != "",
			Ext: strings.TrimSpace(c.FormValue("ext")), RateLimit: rate, IPAllowlist: splitNumbers(c.FormValue("ips")),
			CallbackURL: strings.TrimSpace(c.FormValue("callback_url"))}
		if err = app.CheckCallbackURL(k.CallbackURL, s.opts.CallbackAllowPrivate); err == nil {
			secret, err = s.opts.Keys.CreateApp(ctx, p, k)
		}
		action, target = "app.create", "app:"+formatID(k.ID)
	case "rotate":
		secret, err = s.opts.Keys.RotateSecret(ctx, p, id)
		action, target = "app.rotate_secret", "app:"+formatID(id)
	case "edit":
		rate, _ := strconv.Atoi(c.FormValue("rate_limit"))
		ext, ips, free := strings.TrimSpace(c.FormValue("ext")), splitNumbers(c.FormValue("ips")), c.FormValue("free_text") != ""
		if ips == nil {
			ips = []string{}
		}
		cb := strings.TrimSpace(c.FormValue("callback_url"))
		if err = app.CheckCallbackURL(cb, s.opts.CallbackAllowPrivate); err == nil {
			_, err = s.opts.Keys.UpdateApp(ctx, p, id, &app.AppUpdate{RateLimit: &rate, Ext: &ext, IPAllowlist: &ips, AllowFreeText: &free, CallbackURL: &cb})
		}
		action, target = "app.update", "app:"+formatID(id)
	case "enable", "disable":
		on := c.Param("action") == "enable"
		_, err = s.opts.Keys.UpdateApp(ctx, p, id, &app.AppUpdate{Enabled: &on})
		action, target = "app."+c.Param("action"), "app:"+formatID(id)
	default:
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.auditConsole(c, u, action, target, err)
	if err != nil {
		switch app.ErrorCode(err) {
		case app.EINVALID, app.ECONFLICT, app.EFORBIDDEN, app.ENOTFOUND:
			return s.renderApps(c, http.StatusBadRequest, map[string]any{"Error": app.ErrorMessage(err)})
		}
		return err
	}
	if secret == "" {
		return c.Redirect(http.StatusSeeOther, "/apps")
	}
	c.Response().Header().Set("Cache-Control", "no-store") // the secret must not stay in a cache
	return s.renderApps(c, http.StatusOK, map[string]any{"Secret": secret})
}

// departments lists the departments p reaches, parents first, and their
// names by id.
func (s *Server) departments(c echo.Context, p *app.Principal) ([]*app.Department, map[int64]string, error) {
	depts, err := s.opts.Departments.FindDepartments(c.Request().Context(), p)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(depts))
	for _, d := range depts {
		names[d.ID] = d.Name
	}
	return depts, names, nil
}
