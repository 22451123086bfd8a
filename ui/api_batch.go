package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// batchOut is a batch as the API shows it.
type batchOut struct {
	ID           string           `json:"id"`
	Content      string           `json:"content"`
	Total        int              `json:"total"`
	Accepted     int              `json:"accepted"`
	SendAt       string           `json:"send_at"`
	Review       app.ReviewStatus `json:"review"`
	ReviewNote   string           `json:"review_note"`
	ReviewReason string           `json:"review_reason"`
	Counts       map[string]int   `json:"counts"` // messages by status
	CreatedAt    string           `json:"created_at"`
}

func (s *Server) toBatch(b *app.BatchSummary) batchOut {
	out := batchOut{ID: formatID(b.ID), Content: b.Content, Total: b.Total, Accepted: b.Accepted, SendAt: s.formatTime(b.SendAt),
		Review: b.Review, ReviewNote: b.ReviewNote, ReviewReason: b.ReviewReason, Counts: map[string]int{}, CreatedAt: s.formatTime(b.CreatedAt)}
	for st, n := range b.Counts {
		out.Counts[string(st)] = n
	}
	return out
}

// listBatches answers GET /api/v1/batches?review=pending&cursor=&limit=.
func (s *Server) listBatches(c echo.Context) error {
	f := app.BatchFilter{Review: app.ReviewStatus(c.QueryParam("review")), Cursor: c.QueryParam("cursor")}
	switch f.Review {
	case "", app.ReviewPending, app.ReviewApproved, app.ReviewRejected:
	default:
		return app.FieldError("review", "review 应为 pending、approved 或 rejected")
	}
	var err error
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	list, next, err := s.opts.Batches.FindBatches(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[batchOut]{Items: make([]batchOut, len(list)), NextCursor: next}
	for i, b := range list {
		out.Items[i] = s.toBatch(b)
	}
	return c.JSON(http.StatusOK, out)
}

// reviewBatch answers POST /api/v1/batches/{id}/review: a held batch
// released or refused.
func (s *Server) reviewBatch(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "发送批次不存在")
	}
	var body reviewBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	b, err := s.opts.Batches.ReviewBatch(c.Request().Context(), principal(c), id, &app.Review{Decision: body.Decision, Reason: body.Reason})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toBatch(b))
}
