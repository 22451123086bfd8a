package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// 黑名单: the global list and the departments' lists, for administrators:
// add, remove, import and export. Unsubscribe replies land here by
// themselves (来源：退订).

var sourceLabels = map[app.BlacklistSource]string{app.SourceManual: "手工添加", app.SourceImport: "导入",
	app.SourceUnsubscribe: "回复退订", app.SourceComplaint: "运营商投诉"}

func mayKeepBlacklist(p *app.Principal) bool {
	return p.Role == app.RoleSysadmin || p.Role == app.RoleDeptAdmin
}

func (s *Server) blacklistPage(c echo.Context) error {
	return s.renderBlacklist(c, http.StatusOK, map[string]any{})
}

func (s *Server) renderBlacklist(c echo.Context, status int, data map[string]any) error {
	p := c.Get(principalKey).(*app.Principal)
	if !mayKeepBlacklist(p) {
		return s.forbidden(c)
	}
	f := app.BlacklistFilter{Phone: strings.TrimSpace(c.QueryParam("phone")), Cursor: c.QueryParam("cursor"), Limit: 100}
	list, next, err := s.opts.Blacklist.FindBlacklist(c.Request().Context(), p, f)
	if err != nil && app.ErrorCode(err) != app.EINVALID {
		return err
	} else if err != nil {
		data["Error"] = app.ErrorMessage(err)
	}
	depts, names, err := s.departments(c, p)
	if err != nil {
		return err
	}
	type row struct{ Phone, Dept, DeptID, Reason, Source, At string }
	rows := make([]row, 0, len(list))
	for _, e := range list {
		dept := "全局"
		if e.DepartmentID != app.GlobalBlacklist {
			if dept = names[e.DepartmentID]; dept == "" {
				dept = "上级部门"
			}
		}
		rows = append(rows, row{Phone: e.Phone, Dept: dept, DeptID: formatID(e.DepartmentID), Reason: e.Reason,
			Source: sourceLabels[e.Source], At: s.consoleTime(e.CreatedAt)})
	}
	data["Entries"], data["Next"], data["Phone"], data["Departments"], data["Global"] = rows, next, f.Phone, depts, p.SeesAll()
	return s.console.render(c, status, "blacklist.html", s.page(c, "黑名单", data))
}

// blacklistAction adds numbers (typed, one per line), removes one, or
// imports a file.
func (s *Server) blacklistAction(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if ok, err := s.formAllowed(c, mayKeepBlacklist(p)); !ok {
		return err
	}
	ctx := c.Request().Context()
	u := c.Get(userKey).(*app.User)
	dept, _ := strconv.ParseInt(c.FormValue("department_id"), 10, 64)
	var err error
	var note string
	switch c.Param("action") {
	case "add":
		var entries []*app.BlacklistEntry
		for _, n := range splitNumbers(c.FormValue("phones")) {
			entries = append(entries, &app.BlacklistEntry{DepartmentID: dept, Phone: n, Reason: strings.TrimSpace(c.FormValue("reason")), Source: app.SourceManual})
		}
		if len(entries) == 0 {
			err = app.FieldError("phones", "请填写号码")
			break
		}
		var added int
		added, err = s.opts.Blacklist.AddToBlacklist(ctx, p, entries)
		note = "已加入" + strconv.Itoa(added) + "个号码"
	case "remove":
		err = s.opts.Blacklist.RemoveFromBlacklist(ctx, p, dept, c.FormValue("phone"))
		note = "已移除"
	default:
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.auditConsole(c, u, "blacklist."+c.Param("action"), "blacklist:"+formatID(dept), err)
	if err != nil {
		if systemFault(err) {
			return err
		}
		return s.renderBlacklist(c, http.StatusBadRequest, map[string]any{"Error": app.ErrorMessage(err)})
	}
	return s.renderBlacklist(c, http.StatusOK, map[string]any{"Note": note})
}

// consoleImportBlacklist is the import form: the API's import, then the page.
func (s *Server) consoleImportBlacklist(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if ok, err := s.formAllowed(c, mayKeepBlacklist(p)); !ok {
		return err
	}
	added, listed, err := s.importBlacklistFile(c, p)
	s.auditConsole(c, c.Get(userKey).(*app.User), "blacklist.import", "blacklist:"+c.FormValue("department_id"), err)
	if err != nil {
		if systemFault(err) {
			return err
		}
		return s.renderBlacklist(c, http.StatusBadRequest, map[string]any{"Error": app.ErrorMessage(err)})
	}
	return s.renderBlacklist(c, http.StatusOK, map[string]any{"Note": "导入完成：新加入" + strconv.Itoa(added) + "个号码，已在名单中" + strconv.Itoa(listed) + "个"})
}
