package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// 组织与用户: the departments and users an administrator manages. The
// services decide what each role may see and change.

func (s *Server) orgPage(c echo.Context) error {
	return s.renderOrg(c, http.StatusOK, "", "", map[string]any{})
}

func (s *Server) renderOrg(c echo.Context, status int, field, msg string, form map[string]any) error {
	p := c.Get(principalKey).(*app.Principal)
	if !p.CanManageOrg() {
		return s.forbidden(c)
	}
	depts, names, err := s.departments(c, p)
	if err != nil {
		return err
	}
	users, err := s.opts.Users.FindUsers(c.Request().Context(), p)
	if err != nil {
		return err
	}
	depth := map[int64]int{}
	type deptRow struct {
		ID, ParentID, Name, Ext, Indent string
		Enabled, TemplatesOnly          bool
	}
	var drows []deptRow
	for _, d := range depts { // parents first
		depth[d.ID] = depth[d.ParentID] + 1
		drows = append(drows, deptRow{ID: formatID(d.ID), ParentID: formatID(d.ParentID), Name: d.Name, Ext: d.Ext, Enabled: d.Enabled, TemplatesOnly: d.TemplatesOnly,
			Indent: strings.Repeat("　", depth[d.ID]-1)})
	}
	type userRow struct {
		ID, Username, Name, Dept, Role string
		Enabled, MustChange            bool
	}
	var urows []userRow
	for _, u := range users {
		urows = append(urows, userRow{ID: formatID(u.ID), Username: u.Username, Name: u.DisplayName, Dept: names[u.DepartmentID],
			Role: roleLabel(u.Role), Enabled: u.Enabled, MustChange: u.MustChangePassword})
	}
	form["Departments"], form["Users"], form["Error"], form["Field"] = drows, urows, msg, field
	form["Roles"] = []struct{ Value, Label string }{{string(app.RoleOperator), "操作员"}, {string(app.RoleDeptAdmin), "部门管理员"},
		{string(app.RoleAuditor), "审计员"}, {string(app.RoleSysadmin), "系统管理员"}}
	return s.console.render(c, status, "org.html", s.page(c, "组织与用户", form))
}

// orgAction handles the page's forms: add a department, add a user,
// enable or disable a user, reset a password.
func (s *Server) orgAction(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if ok, err := s.formAllowed(c, p.CanManageOrg()); !ok {
		return err
	}
	ctx := c.Request().Context()
	u := c.Get(userKey).(*app.User)
	id := func(name string) int64 { n, _ := strconv.ParseInt(c.FormValue(name), 10, 64); return n }
	var err error
	var action, target string
	form := map[string]any{}
	switch c.Param("action") {
	case "department":
		d := &app.Department{Name: strings.TrimSpace(c.FormValue("name")), ParentID: id("parent_id"), Ext: strings.TrimSpace(c.FormValue("ext"))}
		err = s.opts.Departments.CreateDepartment(ctx, p, d)
		action, target = "department.create", "department:"+formatID(d.ID)
		form["DeptName"] = d.Name
	case "user":
		nu := &app.User{Username: strings.TrimSpace(c.FormValue("username")), DisplayName: strings.TrimSpace(c.FormValue("display_name")),
			DepartmentID: id("department_id"), Role: app.Role(c.FormValue("role")), MustChangePassword: true}
		err = s.opts.Users.CreateUser(ctx, p, nu, c.FormValue("password"))
		action, target = "user.create", "user:"+nu.Username
		form["Username"], form["DisplayName"] = nu.Username, nu.DisplayName
	case "department-edit":
		name, ext, parent := strings.TrimSpace(c.FormValue("name")), strings.TrimSpace(c.FormValue("ext")), id("parent_id")
		only := c.FormValue("templates_only") != ""
		upd := &app.DepartmentUpdate{Name: &name, Ext: &ext, TemplatesOnly: &only}
		if parent != 0 {
			upd.ParentID = &parent
		}
		_, err = s.opts.Departments.UpdateDepartment(ctx, p, id("department_id"), upd)
		action, target = "department.update", "department:"+c.FormValue("department_id")
	case "department-enable", "department-disable":
		on := c.Param("action") == "department-enable"
		_, err = s.opts.Departments.UpdateDepartment(ctx, p, id("department_id"), &app.DepartmentUpdate{Enabled: &on})
		action, target = "department."+strings.TrimPrefix(c.Param("action"), "department-"), "department:"+c.FormValue("department_id")
	case "enable", "disable":
		on := c.Param("action") == "enable"
		_, err = s.opts.Users.UpdateUser(ctx, p, id("user_id"), &app.UserUpdate{Enabled: &on})
		action, target = "user."+c.Param("action"), "user:"+c.FormValue("user_id")
	case "reset":
		pw := c.FormValue("password")
		_, err = s.opts.Users.UpdateUser(ctx, p, id("user_id"), &app.UserUpdate{Password: &pw})
		action, target = "user.reset_password", "user:"+c.FormValue("user_id")
	default:
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.auditConsole(c, u, action, target, err)
	if err != nil {
		switch app.ErrorCode(err) {
		case app.EINVALID, app.ECONFLICT, app.EFORBIDDEN, app.ENOTFOUND:
			field, _ := errorField(err)
			return s.renderOrg(c, http.StatusBadRequest, field, app.ErrorMessage(err), form)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/org")
}
