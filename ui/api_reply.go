package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// reply is a reply (MO) as the API shows it.
type reply struct {
	ID         string `json:"id"`
	From       string `json:"from"`
	To         string `json:"to"`
	Ext        string `json:"ext"`
	Content    string `json:"content"`
	ReceivedAt string `json:"received_at"`
	MessageID  string `json:"message_id"`
	// Incomplete: a long reply some of whose parts never came, stored
	// with those that did.
	Incomplete bool `json:"incomplete,omitempty"`
}

func (s *Server) listReplies(c echo.Context) error {
	var f app.ReplyFilter
	var err error
	f.Cursor = c.QueryParam("cursor")
	if f.Since, err = queryTime(c, "since"); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	rs, next, err := s.opts.Replies.FindReplies(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[reply]{Items: make([]reply, len(rs)), NextCursor: next}
	for i, r := range rs {
		out.Items[i] = reply{ID: formatID(r.ID), From: r.From, To: r.To, Ext: r.Ext, Content: r.Content,
			ReceivedAt: s.formatTime(r.ReceivedAt), Incomplete: r.Incomplete}
		if r.MessageID != 0 {
			out.Items[i].MessageID = formatID(r.MessageID)
		}
	}
	return c.JSON(http.StatusOK, out)
}
