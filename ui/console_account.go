package ui

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// 账户与消费: a department's balance (剩余条数) and threshold, top-ups
// (system administrators), allocation to a sub-department (system and
// department administrators), the refund setting (system administrators),
// the ledger (消费明细) with filters, paging and export, and monthly
// consumption (按月统计消费) by department and by sender. The store checks
// who sees which department: one out of reach answers as missing.

func (s *Server) accountPage(c echo.Context) error {
	return s.renderAccount(c, http.StatusOK, map[string]any{})
}

// accountRow is one account line of the page.
type accountRow struct {
	Balance, Threshold, MonthUsed int64
	Unmetered, Low, Own           bool
	PaidByName                    string
}

func (s *Server) renderAccount(c echo.Context, status int, data map[string]any) error {
	ctx := c.Request().Context()
	p := c.Get(principalKey).(*app.Principal)
	depts := []*app.Department{}
	if p.Role == app.RoleOperator {
		depts = append(depts, &app.Department{ID: p.DepartmentID})
	} else {
		var err error
		if depts, err = s.opts.Departments.FindDepartments(ctx, p); err != nil {
			return err
		}
	}
	names := make(map[int64]string, len(depts))
	for _, d := range depts {
		names[d.ID] = d.Name
	}
	dept := p.DepartmentID
	if v := c.QueryParam("department_id"); v != "" {
		id, err := parseID(v)
		if err != nil {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		dept = id
	}
	a, err := s.opts.Accounts.Account(ctx, p, dept)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	row := accountRow{Balance: a.Balance, Threshold: a.LowBalanceThreshold, MonthUsed: a.MonthUsed, Unmetered: a.Unmetered(),
		Low: a.Low(), Own: a.PaidBy == dept, PaidByName: names[a.PaidBy]}
	if row.PaidByName == "" && a.PaidBy != 0 {
		row.PaidByName = "上级部门"
	}

	// The ledger: of this department's own account, or, for an operator,
	// its own sends.
	f := app.LedgerFilter{Kind: app.LedgerKind(c.QueryParam("kind")), Cursor: c.QueryParam("cursor"), Limit: 50}
	if p.Role != app.RoleOperator {
		f.DepartmentID = dept
	}
	msg := ""
	if f.Since, err = s.consoleDate(c.QueryParam("since"), 0); err != nil {
		msg = "开始日期格式应为 2006-01-02"
	} else if f.Until, err = s.consoleDate(c.QueryParam("until"), 24*time.Hour); err != nil {
		msg = "结束日期格式应为 2006-01-02"
	} else if f.Kind != "" && !f.Kind.Valid() {
		msg, f.Kind = "未知类型", ""
	}
	type entry struct {
		ID, At, Kind, Segments, Batch, Actor, Note string
		BalanceAfter                               int64
	}
	var entries []entry
	next := ""
	if msg == "" {
		list, n, err := s.opts.Accounts.Ledger(ctx, p, f)
		if err != nil {
			return err
		}
		next = n
		for _, e := range list {
			r := entry{ID: formatID(e.ID), At: s.consoleTime(e.At), Kind: ledgerKindNames[e.Kind], Segments: strconv.FormatInt(e.Segments, 10),
				Actor: e.Actor, Note: e.Note, BalanceAfter: e.BalanceAfter}
			if e.Segments > 0 {
				r.Segments = "+" + r.Segments
			}
			if e.BatchID != 0 {
				r.Batch = formatID(e.BatchID)
			}
			entries = append(entries, r)
		}
	}
	byDept, err := s.opts.Accounts.Consumption(ctx, p, app.ConsumptionFilter{DepartmentID: deptFilter(p, dept)})
	if err != nil {
		return err
	}
	byUser, err := s.opts.Accounts.Consumption(ctx, p, app.ConsumptionFilter{DepartmentID: deptFilter(p, dept), ByUser: true})
	if err != nil {
		return err
	}
	refund, err := s.opts.Accounts.RefundFailed(ctx)
	if err != nil {
		return err
	}
	q := url.Values{"department_id": {formatID(dept)}, "kind": {string(f.Kind)}}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.Format(time.RFC3339))
	}
	if p.Role == app.RoleOperator {
		q.Del("department_id")
	}
	// Encoded queries are given to the template as URLs: as strings, the
	// template escaped each into one parameter's name, so export and the
	// next page lost every filter.
	page := url.Values{"department_id": {formatID(dept)}, "kind": {string(f.Kind)}, "since": {c.QueryParam("since")}, "until": {c.QueryParam("until")}}
	var children []*app.Department
	for _, d := range depts {
		if d.ID != dept && below(depts, d.ID, dept) {
			children = append(children, d)
		}
	}
	for k, v := range map[string]any{"Account": row, "Dept": dept, "DeptName": names[dept], "Depts": depts, "Children": children,
		"Entries": entries, "Next": next, "PageQuery": template.URL(page.Encode()), "Export": template.URL(q.Encode()), "Kind": string(f.Kind),
		"Since": c.QueryParam("since"), "Until": c.QueryParam("until"), "ByDept": byDept, "ByUser": byUser, "RefundFailed": refund,
		"IsSysadmin": p.Role == app.RoleSysadmin, "MayAllocate": p.Role == app.RoleSysadmin || p.Role == app.RoleDeptAdmin,
		"Operator": p.Role == app.RoleOperator} {
		data[k] = v
	}
	if msg != "" && data["Error"] == nil {
		data["Error"] = msg
	}
	return s.console.render(c, status, "account.html", s.page(c, "账户与消费", data))
}

// deptFilter is the consumption's department filter: the chosen one, but
// none for an operator (the store keeps it to its own sends).
func deptFilter(p *app.Principal, dept int64) int64 {
	if p.Role == app.RoleOperator {
		return 0
	}
	return dept
}

// below reports whether department id lies under top in the listed tree.
func below(depts []*app.Department, id, top int64) bool {
	parent := make(map[int64]int64, len(depts))
	for _, d := range depts {
		parent[d.ID] = d.ParentID
	}
	for seen := 0; id != 0 && seen <= len(depts); seen++ {
		if id = parent[id]; id == top {
			return true
		}
	}
	return false
}

// accountAction handles the page's forms: topup, allocate, threshold,
// refund (the 失败退还 setting).
func (s *Server) accountAction(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	action := c.Param("action")
	allowed := p.Role == app.RoleSysadmin || p.Role == app.RoleDeptAdmin && (action == "allocate" || action == "threshold")
	if ok, err := s.formAllowed(c, allowed); !ok {
		return err
	}
	ctx := c.Request().Context()
	dept, _ := parseID(c.FormValue("department_id"))
	segs, serr := strconv.ParseInt(strings.TrimSpace(c.FormValue("segments")), 10, 64)
	var err error
	var note, target, summary string
	// The audit summary says what was asked, also when it was refused.
	withNote := func(what string) string {
		if n := strings.TrimSpace(c.FormValue("note")); n != "" {
			return what + "：" + n
		}
		return what
	}
	switch action {
	case "topup":
		target = "department:" + formatID(dept)
		summary = withNote("充值 " + strings.TrimSpace(c.FormValue("segments")) + " 条")
		if serr != nil {
			err = app.FieldError("segments", "请输入充值条数（负数为冲正）")
		} else if _, err = s.opts.Accounts.TopUp(ctx, p, dept, segs, c.FormValue("note")); err == nil {
			note = "已充值 " + strconv.FormatInt(segs, 10) + " 条"
		}
	case "allocate":
		to, _ := parseID(c.FormValue("to_department_id"))
		target = "department:" + formatID(dept) + ">" + formatID(to)
		summary = withNote("划拨 " + strings.TrimSpace(c.FormValue("segments")) + " 条")
		if serr != nil {
			err = app.FieldError("segments", "请输入划拨条数")
		} else if err = s.opts.Accounts.Allocate(ctx, p, dept, to, segs, c.FormValue("note")); err == nil {
			note = "已划拨 " + strconv.FormatInt(segs, 10) + " 条"
		}
	case "threshold":
		target = "department:" + formatID(dept)
		summary = "低余额提醒阈值 " + strings.TrimSpace(c.FormValue("threshold")) + " 条"
		n, perr := strconv.ParseInt(strings.TrimSpace(c.FormValue("threshold")), 10, 64)
		if perr != nil {
			err = app.FieldError("threshold", "请输入提醒阈值（条）")
		} else if err = s.opts.Accounts.SetLowBalance(ctx, p, dept, n); err == nil {
			note = "低余额提醒已保存"
		}
	case "refund":
		target = "setting:refund_failed"
		on := c.FormValue("refund_failed") == "on"
		summary = "失败退还：关闭"
		if on {
			summary = "失败退还：开启"
		}
		if err = s.opts.Accounts.SetRefundFailed(ctx, p, on); err == nil {
			note = "失败退还设置已保存"
		}
	default:
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.auditAccount(c, "account."+action, target, summary, err)
	// The page shows the department the form was about.
	q := c.Request().URL.Query()
	q.Set("department_id", formatID(max(dept, 1)))
	c.Request().URL.RawQuery = q.Encode()
	if err != nil {
		if systemFault(err) {
			return err
		}
		return s.renderAccount(c, http.StatusBadRequest, map[string]any{"Error": app.ErrorMessage(err)})
	}
	return s.renderAccount(c, http.StatusOK, map[string]any{"Note": note})
}

// auditAccount records a console action on an account, with what it
// asked (how many segments, the threshold, the setting) as the summary.
// The entry is written even when the client has gone.
func (s *Server) auditAccount(c echo.Context, action, target, summary string, err error) {
	e := &app.AuditEntry{Actor: "console", Action: action, Target: target, Summary: summary, Result: "ok",
		IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	if err != nil {
		e.Result = app.ErrorCode(err)
	}
	if u, ok := c.Get(userKey).(*app.User); ok && u != nil {
		e.UserID, e.Role, e.DepartmentID = u.ID, u.Role, u.DepartmentID
	}
	if aerr := s.opts.Audit.Audit(context.WithoutCancel(c.Request().Context()), e); aerr != nil {
		s.log.Error("writing the audit log failed", "action", action, "error", aerr)
	}
}

// accountBalance answers GET /account/balance with the caller's
// department's balance, for the send page's confirmation and the
// dashboard: {"unmetered", "balance", "month_used", "low"}.
func (s *Server) accountBalance(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	a, err := s.opts.Accounts.Account(c.Request().Context(), p, p.DepartmentID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"unmetered": a.Unmetered(), "balance": a.Balance, "month_used": a.MonthUsed, "low": a.Low()})
}
