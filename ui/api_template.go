package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// templateBody is the body of POST and PATCH /api/v1/templates.
type templateBody struct {
	Name         *string                 `json:"name"`
	Kind         *app.TemplateKind       `json:"kind"`
	Content      *string                 `json:"content"`
	Vars         *map[string]app.VarRule `json:"vars"`
	DepartmentID string                  `json:"department_id"`
}

// templateOut is a template as the API shows it.
type templateOut struct {
	ID           string                 `json:"id"`
	DepartmentID string                 `json:"department_id"`
	Name         string                 `json:"name"`
	Kind         app.TemplateKind       `json:"kind"`
	Content      string                 `json:"content"`
	Vars         map[string]app.VarRule `json:"vars"`
	Version      int                    `json:"version"`
	Status       app.ReviewStatus       `json:"status"`
	Reason       string                 `json:"reason"`
	Notes        []string               `json:"notes"`
	Approved     *approvedVersion       `json:"approved"` // the version sent with; null before any approval
	ReviewedAt   string                 `json:"reviewed_at"`
	CreatedAt    string                 `json:"created_at"`
	UpdatedAt    string                 `json:"updated_at"`
}

type approvedVersion struct {
	Version int                    `json:"version"`
	Content string                 `json:"content"`
	Vars    map[string]app.VarRule `json:"vars"`
}

func (s *Server) toTemplate(t *app.Template) templateOut {
	out := templateOut{ID: formatID(t.ID), DepartmentID: formatID(t.DepartmentID), Name: t.Name, Kind: t.Kind, Content: t.Content,
		Vars: t.Vars, Version: t.Version, Status: t.Status, Reason: t.Reason, Notes: t.Notes,
		ReviewedAt: s.formatTime(t.ReviewedAt), CreatedAt: s.formatTime(t.CreatedAt), UpdatedAt: s.formatTime(t.UpdatedAt)}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	if t.Usable() {
		out.Approved = &approvedVersion{Version: t.LiveVersion, Content: t.LiveContent, Vars: t.LiveVars}
	}
	return out
}

func (s *Server) createTemplate(c echo.Context) error {
	var body templateBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	t := &app.Template{}
	if body.Name != nil {
		t.Name = *body.Name
	}
	if body.Kind != nil {
		t.Kind = *body.Kind
	}
	if body.Content != nil {
		t.Content = *body.Content
	}
	if body.Vars != nil {
		t.Vars = *body.Vars
	}
	if body.DepartmentID != "" {
		id, err := parseID(body.DepartmentID)
		if err != nil {
			return app.FieldError("department_id", "department_id 无效")
		}
		t.DepartmentID = id
	}
	if err := s.opts.Templates.CreateTemplate(c.Request().Context(), principal(c), t); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.toTemplate(t))
}

func (s *Server) listTemplates(c echo.Context) error {
	f := app.TemplateFilter{Status: app.ReviewStatus(c.QueryParam("status")), Cursor: c.QueryParam("cursor")}
	var err error
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	list, next, err := s.opts.Templates.FindTemplates(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[templateOut]{Items: make([]templateOut, len(list)), NextCursor: next}
	for i, t := range list {
		out.Items[i] = s.toTemplate(t)
	}
	return c.JSON(http.StatusOK, out)
}

func templateID(c echo.Context) (int64, error) {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return 0, app.Errorf(app.ENOTFOUND, "模板不存在")
	}
	return id, nil
}

func (s *Server) getTemplate(c echo.Context) error {
	id, err := templateID(c)
	if err != nil {
		return err
	}
	t, err := s.opts.Templates.FindTemplateByID(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toTemplate(t))
}

func (s *Server) updateTemplate(c echo.Context) error {
	id, err := templateID(c)
	if err != nil {
		return err
	}
	var body templateBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	} else if body.DepartmentID != "" {
		return app.FieldError("department_id", "模板的部门不能修改")
	}
	t, err := s.opts.Templates.UpdateTemplate(c.Request().Context(), principal(c), id,
		&app.TemplateUpdate{Name: body.Name, Kind: body.Kind, Content: body.Content, Vars: body.Vars})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toTemplate(t))
}

func (s *Server) deleteTemplate(c echo.Context) error {
	id, err := templateID(c)
	if err != nil {
		return err
	}
	if err := s.opts.Templates.DeleteTemplate(c.Request().Context(), principal(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// reviewBody is the body of POST .../{id}/review.
type reviewBody struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	Version  int    `json:"version"` // the version reviewed; optional
}

func (s *Server) reviewTemplate(c echo.Context) error {
	id, err := templateID(c)
	if err != nil {
		return err
	}
	var body reviewBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	t, err := s.opts.Templates.ReviewTemplate(c.Request().Context(), principal(c), id,
		&app.Review{Decision: body.Decision, Reason: body.Reason, Version: body.Version})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toTemplate(t))
}
