package ui

import (
	"net/http"

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
		"Messages": rows, "Next": next, "Sent": c.QueryParam("sent") != "", "CanReview": p.CanReview()})
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
