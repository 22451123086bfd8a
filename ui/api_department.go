package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// department is a department as the API shows and takes it.
type department struct {
	ID       string  `json:"id"`
	ParentID *string `json:"parent_id"`
	Name     string  `json:"name"`
	Ext      string  `json:"ext"`
	Enabled  bool    `json:"enabled"`
	// TemplatesOnly: its console users send with approved templates only.
	TemplatesOnly bool   `json:"templates_only"`
	CreatedAt     string `json:"created_at"`
}

func (s *Server) toDepartment(d *app.Department) department {
	out := department{ID: formatID(d.ID), Name: d.Name, Ext: d.Ext, Enabled: d.Enabled, TemplatesOnly: d.TemplatesOnly, CreatedAt: s.formatTime(d.CreatedAt)}
	if d.ParentID != 0 {
		id := formatID(d.ParentID)
		out.ParentID = &id
	}
	return out
}

// departmentBody is what POST and PATCH take; ids are strings, as shown.
type departmentBody struct {
	Name          *string `json:"name"`
	ParentID      *string `json:"parent_id"`
	Ext           *string `json:"ext"`
	Enabled       *bool   `json:"enabled"`
	TemplatesOnly *bool   `json:"templates_only"`
}

func (b *departmentBody) parent() (*int64, error) {
	if b.ParentID == nil || *b.ParentID == "" {
		return nil, nil
	}
	id, err := parseID(*b.ParentID)
	if err != nil {
		return nil, app.FieldError("parent_id", "parent_id 无效")
	}
	return &id, nil
}

func (s *Server) createDepartment(c echo.Context) error {
	var body departmentBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	parent, err := body.parent()
	if err != nil {
		return err
	}
	d := &app.Department{}
	if body.Name != nil {
		d.Name = *body.Name
	}
	if body.Ext != nil {
		d.Ext = *body.Ext
	}
	if parent != nil {
		d.ParentID = *parent
	}
	if body.TemplatesOnly != nil {
		d.TemplatesOnly = *body.TemplatesOnly
	}
	if err := s.opts.Departments.CreateDepartment(c.Request().Context(), principal(c), d); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.toDepartment(d))
}

func (s *Server) listDepartments(c echo.Context) error {
	list, err := s.opts.Departments.FindDepartments(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	out := listing[department]{Items: make([]department, len(list))}
	for i, d := range list {
		out.Items[i] = s.toDepartment(d)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) updateDepartment(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "部门不存在")
	}
	var body departmentBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	parent, err := body.parent()
	if err != nil {
		return err
	}
	d, err := s.opts.Departments.UpdateDepartment(c.Request().Context(), principal(c), id,
		&app.DepartmentUpdate{Name: body.Name, ParentID: parent, Ext: body.Ext, Enabled: body.Enabled, TemplatesOnly: body.TemplatesOnly})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toDepartment(d))
}

func (s *Server) deleteDepartment(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "部门不存在")
	}
	if err := s.opts.Departments.DeleteDepartment(c.Request().Context(), principal(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
