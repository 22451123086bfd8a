package ui

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// auditPage is 审计日志: who did what, newest first, for the roles that may
// read it (FindAudit decides), with a CSV or XLSX export of the same filter.
func (s *Server) auditPage(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if p.Role == app.RoleOperator {
		return s.forbidden(c)
	}
	f := app.AuditFilter{Action: strings.TrimSpace(c.QueryParam("action")), Cursor: c.QueryParam("cursor"), Limit: 50}
	var err error
	msg := ""
	if f.Since, err = s.consoleDate(c.QueryParam("since"), 0); err != nil {
		msg = "开始日期格式应为 2006-01-02"
	} else if f.Until, err = s.consoleDate(c.QueryParam("until"), 24*time.Hour); err != nil {
		msg = "结束日期格式应为 2006-01-02"
	}
	var list []*app.AuditEntry
	next := ""
	if msg == "" {
		if list, next, err = s.opts.Audit.FindAudit(c.Request().Context(), p, f); err != nil {
			return err
		}
	}
	type row struct{ ID, At, Actor, Action, Target, Summary, Result, IP string }
	rows := make([]row, 0, len(list))
	for _, e := range list {
		rows = append(rows, row{formatID(e.ID), s.consoleTime(e.At), e.Actor, e.Action, e.Target, e.Summary, e.Result, e.IP})
	}
	export := url.Values{"action": {f.Action}}
	if !f.Since.IsZero() {
		export.Set("since", f.Since.Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		export.Set("until", f.Until.Format(time.RFC3339))
	}
	return s.console.render(c, http.StatusOK, "audit.html", s.page(c, "审计日志", map[string]any{"Entries": rows, "Next": next,
		"Error": msg, "Action": f.Action, "Since": c.QueryParam("since"), "Until": c.QueryParam("until"), "Export": export.Encode()}))
}
