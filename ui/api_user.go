package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// userOut is a user as the API shows it: never its password.
type userOut struct {
	ID                 string   `json:"id"`
	Username           string   `json:"username"`
	DisplayName        string   `json:"display_name"`
	DepartmentID       string   `json:"department_id"`
	Role               app.Role `json:"role"`
	Enabled            bool     `json:"enabled"`
	MustChangePassword bool     `json:"must_change_password"`
	CreatedAt          string   `json:"created_at"`
}

func (s *Server) toUser(u *app.User) userOut {
	return userOut{ID: formatID(u.ID), Username: u.Username, DisplayName: u.DisplayName, DepartmentID: formatID(u.DepartmentID),
		Role: u.Role, Enabled: u.Enabled, MustChangePassword: u.MustChangePassword, CreatedAt: s.formatTime(u.CreatedAt)}
}

type userBody struct {
	Username     string   `json:"username"`
	Password     string   `json:"password"`
	DisplayName  string   `json:"display_name"`
	DepartmentID string   `json:"department_id"`
	Role         app.Role `json:"role"`
}

// createUser adds a console user; it must change the given password at its
// first login.
func (s *Server) createUser(c echo.Context) error {
	var body userBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	u := &app.User{Username: body.Username, DisplayName: body.DisplayName, Role: body.Role, MustChangePassword: true}
	if body.DepartmentID != "" {
		id, err := parseID(body.DepartmentID)
		if err != nil {
			return app.FieldError("department_id", "department_id 无效")
		}
		u.DepartmentID = id
	}
	if err := s.opts.Users.CreateUser(c.Request().Context(), principal(c), u, body.Password); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.toUser(u))
}

func (s *Server) listUsers(c echo.Context) error {
	list, err := s.opts.Users.FindUsers(c.Request().Context(), principal(c))
	if err != nil {
		return err
	}
	out := listing[userOut]{Items: make([]userOut, len(list))}
	for i, u := range list {
		out.Items[i] = s.toUser(u)
	}
	return c.JSON(http.StatusOK, out)
}

// updateUser enables or disables a user, changes its role or resets its
// password: {"enabled", "role", "password"}.
func (s *Server) updateUser(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "用户不存在")
	}
	var body struct {
		Enabled  *bool     `json:"enabled"`
		Role     *app.Role `json:"role"`
		Password *string   `json:"password"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	u, err := s.opts.Users.UpdateUser(c.Request().Context(), principal(c), id,
		&app.UserUpdate{Enabled: body.Enabled, Role: body.Role, Password: body.Password})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toUser(u))
}
