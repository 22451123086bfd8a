package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// accountOut is GET /api/v1/account's answer. balance and
// low_balance_threshold are of the account the department draws on
// (paid_by: its own or the nearest above it); both null, and unmetered
// true, when no department on its chain has an account (不限额).
type accountOut struct {
	DepartmentID        string `json:"department_id"`
	Balance             *int64 `json:"balance"`
	MonthUsed           int64  `json:"month_used"`
	LowBalanceThreshold *int64 `json:"low_balance_threshold"`
	PaidBy              string `json:"paid_by,omitempty"`
	Unmetered           bool   `json:"unmetered"`
	Low                 bool   `json:"low"`
}

func toAccount(a *app.Account) accountOut {
	out := accountOut{DepartmentID: formatID(a.DepartmentID), MonthUsed: a.MonthUsed, Unmetered: a.Unmetered(), Low: a.Low()}
	if !a.Unmetered() {
		out.Balance, out.LowBalanceThreshold, out.PaidBy = &a.Balance, &a.LowBalanceThreshold, formatID(a.PaidBy)
	}
	return out
}

// queryDepartment reads ?department_id= (0 when absent).
func queryDepartment(c echo.Context) (int64, error) {
	v := c.QueryParam("department_id")
	if v == "" {
		return 0, nil
	}
	id, err := parseID(v)
	if err != nil {
		return 0, app.FieldError("department_id", "department_id 无效")
	}
	return id, nil
}

// bodyDepartment reads a department id sent as a string or a number.
func bodyDepartment(field, v string) (int64, error) {
	id, err := parseID(v)
	if err != nil {
		return 0, app.FieldError(field, "%s 无效", field)
	}
	return id, nil
}

// getAccount answers GET /api/v1/account?department_id= (default: the
// caller's department).
func (s *Server) getAccount(c echo.Context) error {
	dept, err := queryDepartment(c)
	if err != nil {
		return err
	}
	a, err := s.opts.Accounts.Account(c.Request().Context(), principal(c), dept)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAccount(a))
}

// flexID is an id sent as a JSON string or number.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	*f = flexID(s)
	return nil
}

// topUp answers POST /api/v1/account/topup {"department_id", "segments",
// "note"}: 200 with the ledger entry.
func (s *Server) topUp(c echo.Context) error {
	var body struct {
		DepartmentID flexID `json:"department_id"`
		Segments     int64  `json:"segments"`
		Note         string `json:"note"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	dept, err := bodyDepartment("department_id", string(body.DepartmentID))
	if err != nil {
		return err
	}
	e, err := s.opts.Accounts.TopUp(c.Request().Context(), principal(c), dept, body.Segments, body.Note)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toLedgerEntry(e))
}

// allocate answers POST /api/v1/account/allocate {"from_department_id",
// "to_department_id", "segments", "note"}: 200 with both accounts.
func (s *Server) allocate(c echo.Context) error {
	var body struct {
		From     flexID `json:"from_department_id"`
		To       flexID `json:"to_department_id"`
		Segments int64  `json:"segments"`
		Note     string `json:"note"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	from, err := bodyDepartment("from_department_id", string(body.From))
	if err != nil {
		return err
	}
	to, err := bodyDepartment("to_department_id", string(body.To))
	if err != nil {
		return err
	}
	ctx, p := c.Request().Context(), principal(c)
	if err := s.opts.Accounts.Allocate(ctx, p, from, to, body.Segments, body.Note); err != nil {
		return err
	}
	fa, err := s.opts.Accounts.Account(ctx, p, from)
	if err != nil {
		return err
	}
	ta, err := s.opts.Accounts.Account(ctx, p, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]accountOut{"from": toAccount(fa), "to": toAccount(ta)})
}

// updateAccount answers PATCH /api/v1/account {"department_id",
// "low_balance_threshold"}: the low-balance threshold of a department's own
// account.
func (s *Server) updateAccount(c echo.Context) error {
	var body struct {
		DepartmentID flexID `json:"department_id"`
		Threshold    *int64 `json:"low_balance_threshold"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	dept, err := bodyDepartment("department_id", string(body.DepartmentID))
	if err != nil {
		return err
	}
	if body.Threshold == nil {
		return app.FieldError("low_balance_threshold", "缺少 low_balance_threshold")
	}
	ctx, p := c.Request().Context(), principal(c)
	if err := s.opts.Accounts.SetLowBalance(ctx, p, dept, *body.Threshold); err != nil {
		return err
	}
	a, err := s.opts.Accounts.Account(ctx, p, dept)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAccount(a))
}

// ledgerEntryOut is one entry of GET /api/v1/ledger.
type ledgerEntryOut struct {
	ID           string         `json:"id"`
	At           string         `json:"at"`
	DepartmentID string         `json:"department_id"`
	Kind         app.LedgerKind `json:"kind"`
	Segments     int64          `json:"segments"`
	BalanceAfter int64          `json:"balance_after"`
	BatchID      string         `json:"batch_id"`
	Actor        string         `json:"actor"`
	Note         string         `json:"note"`
}

func (s *Server) toLedgerEntry(e *app.LedgerEntry) ledgerEntryOut {
	out := ledgerEntryOut{ID: formatID(e.ID), At: s.formatTime(e.At), DepartmentID: formatID(e.DepartmentID), Kind: e.Kind,
		Segments: e.Segments, BalanceAfter: e.BalanceAfter, Actor: e.Actor, Note: e.Note}
	if e.BatchID != 0 {
		out.BatchID = formatID(e.BatchID)
	}
	return out
}

// ledgerFilter reads the ledger's query: department_id, kind, since,
// until, cursor, limit.
func ledgerFilter(c echo.Context) (app.LedgerFilter, error) {
	var f app.LedgerFilter
	var err error
	if f.DepartmentID, err = queryDepartment(c); err != nil {
		return f, err
	}
	f.Kind, f.Cursor = app.LedgerKind(c.QueryParam("kind")), c.QueryParam("cursor")
	if f.Since, err = queryTime(c, "since"); err != nil {
		return f, err
	}
	if f.Until, err = queryTime(c, "until"); err != nil {
		return f, err
	}
	f.Limit, err = queryLimit(c)
	return f, err
}

// listLedger answers GET /api/v1/ledger.
func (s *Server) listLedger(c echo.Context) error {
	f, err := ledgerFilter(c)
	if err != nil {
		return err
	}
	list, next, err := s.opts.Accounts.Ledger(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[ledgerEntryOut]{Items: make([]ledgerEntryOut, len(list)), NextCursor: next}
	for i, e := range list {
		out.Items[i] = s.toLedgerEntry(e)
	}
	return c.JSON(http.StatusOK, out)
}

// ledgerHeader is the export's header.
var ledgerHeader = []string{"编号", "时间", "部门", "类型", "条数", "变动后余额", "批次", "操作者", "备注"}

// ledgerKindNames are the kinds in Chinese, for the page and the export.
var ledgerKindNames = map[app.LedgerKind]string{app.LedgerTopup: "充值", app.LedgerDebit: "发送扣费",
	app.LedgerRefund: "退还", app.LedgerAllocate: "划拨"}

// exportLedger answers GET /api/v1/ledger/export?format=csv|xlsx with the
// listing's filters, newest first.
func (s *Server) exportLedger(c echo.Context) error {
	format, err := exportFormat(c)
	if err != nil {
		return err
	}
	f, err := ledgerFilter(c)
	if err != nil {
		return err
	}
	f.Limit = 1000
	ctx, p := c.Request().Context(), principal(c)
	rows := [][]string{ledgerHeader}
	for {
		list, next, err := s.opts.Accounts.Ledger(ctx, p, f)
		if err != nil {
			return err
		}
		for _, e := range list {
			batch := ""
			if e.BatchID != 0 {
				batch = formatID(e.BatchID)
			}
			rows = append(rows, []string{formatID(e.ID), e.At.In(s.opts.Location).Format(time.DateTime), e.Department,
				ledgerKindNames[e.Kind], strconv.FormatInt(e.Segments, 10), strconv.FormatInt(e.BalanceAfter, 10), batch, e.Actor, e.Note})
		}
		if next == "" {
			break
		}
		if len(rows) > maxExport {
			rows = append(rows, []string{"导出已截断：请按时间分批导出 (export cut: export by period)"})
			break
		}
		f.Cursor = next
	}
	return writeTable(c, format, "ledger", rows)
}

// consumptionOut is one row of GET /api/v1/consumption.
type consumptionOut struct {
	Month        string `json:"month"`
	DepartmentID string `json:"department_id"`
	Department   string `json:"department"`
	UserID       string `json:"user_id,omitempty"`
	AppID        string `json:"app_id,omitempty"`
	Sender       string `json:"sender,omitempty"`
	Debited      int64  `json:"debited"`
	Refunded     int64  `json:"refunded"`
	Used         int64  `json:"used"`
}

// consumptionFilter reads ?by=department|user&from=YYYY-MM&to=YYYY-MM&department_id=.
func consumptionFilter(c echo.Context) (app.ConsumptionFilter, error) {
	var f app.ConsumptionFilter
	var err error
	if f.DepartmentID, err = queryDepartment(c); err != nil {
		return f, err
	}
	switch c.QueryParam("by") {
	case "", "department":
	case "user":
		f.ByUser = true
	default:
		return f, app.FieldError("by", "by 只能是 department 或 user")
	}
	for _, m := range []struct {
		name string
		v    *string
	}{{"from", &f.From}, {"to", &f.To}} {
		*m.v = c.QueryParam(m.name)
		if *m.v == "" {
			continue
		}
		if _, err := time.Parse("2006-01", *m.v); err != nil {
			return f, app.FieldError(m.name, "%s 应为年月，如 2026-11", m.name)
		}
	}
	return f, nil
}

// listConsumption answers GET /api/v1/consumption: 按月统计消费 by
// department (or by sender with by=user), newest month first.
func (s *Server) listConsumption(c echo.Context) error {
	f, err := consumptionFilter(c)
	if err != nil {
		return err
	}
	list, err := s.opts.Accounts.Consumption(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[consumptionOut]{Items: make([]consumptionOut, len(list))}
	for i, r := range list {
		out.Items[i] = consumptionOut{Month: r.Month, DepartmentID: formatID(r.DepartmentID), Department: r.Department,
			Sender: r.Sender, Debited: r.Debited, Refunded: r.Refunded, Used: r.Used()}
		if r.UserID != 0 && r.APIKeyID == 0 {
			out.Items[i].UserID = formatID(r.UserID)
		}
		if r.APIKeyID != 0 {
			out.Items[i].AppID = formatID(r.APIKeyID)
		}
	}
	return c.JSON(http.StatusOK, out)
}

// getRefundPolicy answers GET /api/v1/refund-policy {"refund_failed"}.
// Like the other account reads, an app needs scope account (or admin).
func (s *Server) getRefundPolicy(c echo.Context) error {
	if p := principal(c); !p.HasScope(app.ScopeAccount) && !p.HasScope(app.ScopeAdmin) {
		return app.Errorf(app.EFORBIDDEN, "该应用没有账户权限 (scope account)")
	}
	on, err := s.opts.Accounts.RefundFailed(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"refund_failed": on})
}

// setRefundPolicy answers PUT /api/v1/refund-policy {"refund_failed"}
// (system administrators).
func (s *Server) setRefundPolicy(c echo.Context) error {
	var body struct {
		RefundFailed *bool `json:"refund_failed"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.RefundFailed == nil {
		return app.FieldError("refund_failed", "缺少 refund_failed")
	}
	if err := s.opts.Accounts.SetRefundFailed(c.Request().Context(), principal(c), *body.RefundFailed); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]bool{"refund_failed": *body.RefundFailed})
}
