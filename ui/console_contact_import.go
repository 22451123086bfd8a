package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// 导入 and 导入结果: the import form (a preview maps the columns, in
// contacts.js), the searchable list of results, and one result, which
// refreshes itself while its import runs.

func (s *Server) contactImportPage(c echo.Context) error {
	return s.renderContactImport(c, http.StatusOK, map[string]any{})
}

func (s *Server) renderContactImport(c echo.Context, status int, data map[string]any) error {
	p := c.Get(principalKey).(*app.Principal)
	if p.MayChange() != nil {
		return s.forbidden(c)
	}
	depts, _, err := s.departments(c, p)
	if err != nil {
		return err
	}
	groups, err := s.opts.Contacts.FindGroups(c.Request().Context(), p, app.GroupFilter{})
	if err != nil {
		return err
	}
	book := app.Book(c.QueryParam("book"))
	if !book.Valid() {
		book = app.Book(c.FormValue("book"))
	}
	if !book.Valid() || book == app.BookOrg && p.Role == app.RoleOperator {
		book = app.BookCustomer // what an operator may import into
	}
	data["Books"], data["Book"], data["Departments"], data["Groups"] = bookOrder, book, depts, groups
	return s.console.render(c, status, "contact_import.html", s.page(c, "导入通讯录", data))
}

// consoleStartImport is the import form: the API's import, then its result page.
func (s *Server) consoleStartImport(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if ok, err := s.formAllowed(c, p.MayChange() == nil); !ok {
		return err
	}
	imp, rows, err := s.importForm(c)
	if err == nil {
		err = s.opts.Imports.StartImport(c.Request().Context(), p, imp, rows)
	}
	target := "import:"
	if imp != nil {
		target += formatID(imp.ID)
	}
	s.auditConsole(c, c.Get(userKey).(*app.User), "contacts.import", target, err)
	if err != nil {
		if systemFault(err) {
			return err
		}
		return s.renderContactImport(c, http.StatusBadRequest, map[string]any{"Error": app.ErrorMessage(err)})
	}
	return c.Redirect(http.StatusSeeOther, "/contacts/imports/"+formatID(imp.ID))
}

// importRow is an import result as the console lists it.
type importRow struct {
	*app.ContactImport
	BookLabel, At, DoneAt, StatusLabel string
	Progress                           int // rows done
}

var importStatusLabels = map[app.ImportStatus]string{app.ImportRunning: "导入中", app.ImportDone: "已完成", app.ImportInterrupted: "已中断（服务重启）", app.ImportStopped: "出错中止"}

func (s *Server) importRow(i *app.ContactImport) importRow {
	r := importRow{ContactImport: i, BookLabel: i.Book.Label(), At: s.consoleTime(i.CreatedAt), StatusLabel: importStatusLabels[i.Status], Progress: i.Done()}
	if !i.DoneAt.IsZero() {
		r.DoneAt = s.consoleTime(i.DoneAt)
	}
	return r
}

// contactImportsPage is 导入结果: by operator and by import time (R2.4).
func (s *Server) contactImportsPage(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	f := app.ImportFilter{Operator: c.QueryParam("operator"), Cursor: c.QueryParam("cursor"), Limit: 50}
	data := map[string]any{"Operator": f.Operator, "Since": c.QueryParam("since"), "Until": c.QueryParam("until")}
	var err error
	if f.Since, err = s.consoleDate(c.QueryParam("since"), 0); err != nil {
		err = app.FieldError("since", "开始日期应为 2026-01-31 这样的日期")
	} else if f.Until, err = s.consoleDate(c.QueryParam("until"), 24*time.Hour); err != nil {
		err = app.FieldError("until", "结束日期应为 2026-01-31 这样的日期")
	}
	var list []*app.ContactImport
	var next string
	if err == nil {
		list, next, err = s.opts.Imports.FindImports(c.Request().Context(), p, f)
	}
	if err != nil && app.ErrorCode(err) != app.EINVALID {
		return err
	} else if err != nil {
		data["Error"] = app.ErrorMessage(err)
	}
	rows := make([]importRow, len(list))
	for i, imp := range list {
		rows[i] = s.importRow(imp)
	}
	data["Imports"], data["Next"] = rows, next
	return s.console.render(c, http.StatusOK, "contact_imports.html", s.page(c, "导入结果", data))
}

// contactImportResult is one import's result; while it runs the page
// refreshes itself every second.
func (s *Server) contactImportResult(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	imp, err := s.opts.Imports.ContactImport(c.Request().Context(), p, id)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	data := map[string]any{"Import": s.importRow(imp), "Running": imp.Status == app.ImportRunning}
	return s.console.render(c, http.StatusOK, "contact_import_result.html", s.page(c, "导入结果", data))
}

// consolePreviewImport is the import form's preview (fetched with the
// session's CSRF token).
func (s *Server) consolePreviewImport(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if p.MayChange() != nil {
		return app.Errorf(app.EFORBIDDEN, "审计员只能查看，不能导入")
	}
	if err := checkCSRF(c, s.console.session(c)); err != nil {
		return err
	}
	return s.previewImport(c)
}
