package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// signatureOut is a signature as the API shows it.
type signatureOut struct {
	ID           string           `json:"id"`
	DepartmentID string           `json:"department_id"`
	Name         string           `json:"name"`
	Status       app.ReviewStatus `json:"status"`
	Reason       string           `json:"reason"`
	Default      bool             `json:"default"`
	ReviewedAt   string           `json:"reviewed_at"`
	CreatedAt    string           `json:"created_at"`
}

func (s *Server) toSignature(g *app.Signature) signatureOut {
	return signatureOut{ID: formatID(g.ID), DepartmentID: formatID(g.DepartmentID), Name: g.Name, Status: g.Status, Reason: g.Reason,
		Default: g.Default, ReviewedAt: s.formatTime(g.ReviewedAt), CreatedAt: s.formatTime(g.CreatedAt)}
}

func (s *Server) createSignature(c echo.Context) error {
	var body struct {
		Name         string `json:"name"`
		DepartmentID string `json:"department_id"`
		Default      bool   `json:"default"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	g := &app.Signature{Name: body.Name, Default: body.Default}
	if body.DepartmentID != "" {
		id, err := parseID(body.DepartmentID)
		if err != nil {
			return app.FieldError("department_id", "department_id 无效")
		}
		g.DepartmentID = id
	}
	if err := s.opts.Templates.SubmitSignature(c.Request().Context(), principal(c), g); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.toSignature(g))
}

func (s *Server) listSignatures(c echo.Context) error {
	status := app.ReviewStatus(c.QueryParam("status"))
	switch status {
	case "", app.ReviewPending, app.ReviewApproved, app.ReviewRejected:
	default:
		return app.FieldError("status", "status 应为 pending、approved 或 rejected")
	}
	list, err := s.opts.Templates.FindSignatures(c.Request().Context(), principal(c), app.SignatureFilter{Status: status})
	if err != nil {
		return err
	}
	out := listing[signatureOut]{Items: make([]signatureOut, len(list))}
	for i, g := range list {
		out.Items[i] = s.toSignature(g)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) deleteSignature(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "签名不存在")
	}
	if err := s.opts.Templates.DeleteSignature(c.Request().Context(), principal(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) reviewSignature(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "签名不存在")
	}
	var body reviewBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	g, err := s.opts.Templates.ReviewSignature(c.Request().Context(), principal(c), id, &app.Review{Decision: body.Decision, Reason: body.Reason})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toSignature(g))
}
