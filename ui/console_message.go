package ui

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// messagePage is one message's detail: its way from accepted to final.
func (s *Server) messagePage(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "短信不存在")
	}
	m, err := s.opts.Messages.FindMessageByID(c.Request().Context(), c.Get(principalKey).(*app.Principal), id)
	if err != nil {
		return err
	}
	return s.console.render(c, http.StatusOK, "message.html", s.page(c, "短信详情", map[string]any{"M": m,
		"Status": statusLabel(m.Status), "Created": s.consoleTime(m.CreatedAt), "Submitted": s.consoleTime(m.SubmittedAt),
		"Done": s.consoleTime(m.DoneAt), "BatchID": formatID(m.BatchID), "Channel": formatID(m.ChannelID)}))
}
