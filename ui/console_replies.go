package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// repliesPage is 上行回复: replies, newest first, each linked to the batch
// of the message it answers.
func (s *Server) repliesPage(c echo.Context) error {
	ctx := c.Request().Context()
	p := c.Get(principalKey).(*app.Principal)
	list, next, err := s.opts.Replies.FindReplies(ctx, p, app.ReplyFilter{Newest: true, Cursor: c.QueryParam("cursor"), Limit: 50})
	if err != nil {
		return err
	}
	type replyRow struct{ ID, From, To, Content, At, MessageID, BatchID string }
	rows := make([]replyRow, 0, len(list))
	for _, r := range list {
		row := replyRow{ID: formatID(r.ID), From: r.From, To: r.To, Content: r.Content, At: s.consoleTime(r.ReceivedAt)}
		if r.MessageID != 0 {
			row.MessageID = formatID(r.MessageID)
			if m, err := s.opts.Messages.FindMessageByID(ctx, p, r.MessageID); err == nil {
				row.BatchID = formatID(m.BatchID)
			}
		}
		rows = append(rows, row)
	}
	return s.console.render(c, http.StatusOK, "replies.html", s.page(c, "上行回复", map[string]any{"Replies": rows, "Next": next}))
}
