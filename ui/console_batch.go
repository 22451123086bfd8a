package ui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// batch is one batch's page: its progress and its messages.
func (s *Server) batch(c echo.Context) error {
	ctx := c.Request().Context()
	p := c.Get(principalKey).(*app.Principal)
	id, err := batchParam(c)
	if err != nil {
		return err
	}
	b, err := s.opts.Batches.FindBatchByID(ctx, p, id)
	if err != nil {
		return err
	}
	msgs, next, err := s.opts.Messages.FindMessages(ctx, p, app.MessageFilter{BatchID: id, Cursor: c.QueryParam("cursor"), Limit: 200})
	if err != nil {
		return err
	}
	type msgRow struct{ ID, To, Status, StatusText, Error, Done string }
	rows := make([]msgRow, 0, len(msgs))
	for _, m := range msgs {
		rows = append(rows, msgRow{ID: formatID(m.ID), To: m.To, Status: string(m.Status), StatusText: statusLabel(m.Status),
			Error: m.ErrorCode, Done: s.consoleTime(m.DoneAt)})
	}
	data := s.page(c, "发送记录", map[string]any{"Batch": s.batchRows([]*app.BatchSummary{b})[0], "Rejected": b.Rejected,
		"Messages": rows, "Next": next, "Sent": c.QueryParam("sent") != "", "CanReview": p.CanReview(),
		"CanChange": p.MayChange() == nil}) // cancel, withdraw, resend: refused to read-only roles as cancelBatch and resendFailed do
	return s.console.render(c, http.StatusOK, "batch.html", data)
}

// statusLabel is a status in the console's words.
func statusLabel(st app.Status) string {
	switch st {
	case app.StatusAccepted:
		return "已受理"
	case app.StatusQueued:
		return "排队中"
	case app.StatusSubmitting, app.StatusSubmitted:
		return "已提交"
	case app.StatusHeld:
		return "暂扣待定"
	case app.StatusDelivered:
		return "已送达"
	case app.StatusUndelivered:
		return "未送达"
	case app.StatusExpired:
		return "已过期"
	case app.StatusFailed:
		return "发送失败"
	case app.StatusRejected:
		return "已拒绝"
	case app.StatusCancelled:
		return "已取消"
	}
	return string(st)
}

// failedNumbers returns the numbers of a batch whose messages ended without
// reaching the handset (undelivered, expired, failed), in id order.
func (s *Server) failedNumbers(c echo.Context, batchID int64) ([]*app.Message, error) {
	p := c.Get(principalKey).(*app.Principal)
	var out []*app.Message
	f := app.MessageFilter{BatchID: batchID, Limit: 1000}
	for {
		list, next, err := s.opts.Messages.FindMessages(c.Request().Context(), p, f)
		if err != nil {
			return nil, err
		}
		for _, m := range list {
			if failed(m.Status) {
				out = append(out, m)
			}
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	// The listing is newest first; a file reads better in the order sent.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

func failed(st app.Status) bool {
	return st == app.StatusUndelivered || st == app.StatusExpired || st == app.StatusFailed
}

func batchParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, app.Errorf(app.ENOTFOUND, "发送批次不存在")
	}
	return id, nil
}

// exportFailed is 导出失败号码: GET /records/:id/failed.csv or .xlsx.
func (s *Server) exportFailed(c echo.Context) error {
	id, err := batchParam(c)
	if err != nil {
		return err
	}
	format := c.Param("format")
	if format != "csv" && format != "xlsx" {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	list, err := s.failedNumbers(c, id)
	s.auditBatch(c, "batch.export_failed", id, fmt.Sprintf("导出失败号码 %d 个（%s）", len(list), format), err)
	if err != nil {
		return err
	}
	rows := [][]string{{"手机号码", "状态", "错误代码", "完成时间"}}
	for _, m := range list {
		rows = append(rows, []string{m.To, statusLabel(m.Status), m.ErrorCode, s.consoleTime(m.DoneAt)})
	}
	return writeTable(c, format, "failed-"+formatID(id), rows)
}

// resendFailed is 失败重发: a new batch with the failed numbers of this one
// and its text, linked to it.
func (s *Server) resendFailed(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	id, err := batchParam(c)
	if err != nil {
		return err
	}
	if err := p.MayChange(); err != nil {
		s.auditBatch(c, "batch.resend", id, "失败重发", err) // a refused attempt is worth knowing of
		return err
	}
	if ok, err := s.formAllowed(c, true); !ok {
		return err
	}
	b, err := s.opts.Batches.FindBatchByID(c.Request().Context(), p, id)
	if err != nil {
		return err
	}
	list, err := s.failedNumbers(c, id)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return c.Redirect(http.StatusSeeOther, "/records/"+formatID(id))
	}
	req := &app.SendRequest{ResendOf: b.ID} // each number is sent its own text again
	for _, m := range list {
		req.To = append(req.To, m.To)
	}
	res, err := s.opts.Messages.Send(c.Request().Context(), p, req)
	summary := fmt.Sprintf("失败重发 %d 个号码", len(req.To))
	if err == nil {
		summary += "，新批次 " + formatID(res.BatchID)
	}
	s.auditBatch(c, "batch.resend", id, summary, err)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/records/"+formatID(res.BatchID)+"?sent=1")
}

// cancelBatch is 取消定时: the scheduled batch's messages not yet sent.
// A held batch is withdrawn (撤回) the same way, audited as such.
func (s *Server) cancelBatch(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	id, err := batchParam(c)
	if err != nil {
		return err
	}
	if err := p.MayChange(); err != nil {
		s.auditBatch(c, "batch.cancel", id, "取消或撤回批次", err)
		return err
	}
	if ok, err := s.formAllowed(c, true); !ok { // the store checks the batch is the caller's
		return err
	}
	action, summary := "batch.cancel", "取消定时批次"
	if b, err := s.opts.Batches.FindBatchByID(c.Request().Context(), p, id); err == nil && b.Review == app.ReviewPending {
		action, summary = "batch.withdraw", "撤回待审核批次"
	}
	n, err := s.opts.Batches.CancelBatch(c.Request().Context(), p, id)
	s.auditBatch(c, action, id, fmt.Sprintf("%s，取消 %d 条", summary, n), err)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/records/"+formatID(id))
}

// auditBatch records a console action on a batch: who, which batch, what
// came of it. The entry is written even when the client has gone.
func (s *Server) auditBatch(c echo.Context, action string, id int64, summary string, err error) {
	e := &app.AuditEntry{Actor: "console", Action: action, Target: "batch:" + formatID(id), Summary: summary, Result: "ok",
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

// reviewHeld is 审核 of a batch held for a sensitive word: released
// (sent) or refused, by a reviewer, audited.
func (s *Server) reviewHeld(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if ok, err := s.formAllowed(c, p.CanReview()); !ok {
		return err
	}
	id, err := batchParam(c)
	if err != nil {
		return err
	}
	r := &app.Review{Decision: c.FormValue("decision"), Reason: strings.TrimSpace(c.FormValue("reason"))}
	_, err = s.opts.Batches.ReviewBatch(c.Request().Context(), p, id, r)
	s.auditConsole(c, c.Get(userKey).(*app.User), "batch.review."+r.Decision, "batch:"+formatID(id), err)
	if err != nil {
		return err // the error page says why
	}
	return c.Redirect(http.StatusSeeOther, "/records/"+formatID(id))
}
