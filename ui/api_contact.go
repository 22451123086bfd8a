package ui

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// contactOut is a contact as the API shows it.
type contactOut struct {
	ID           string   `json:"id"`
	Book         app.Book `json:"book"`
	DepartmentID string   `json:"department_id"`
	Name         string   `json:"name"`
	Phone        string   `json:"phone"`
	Carrier      string   `json:"carrier"`
	Company      string   `json:"company"`
	Title        string   `json:"title"`
	Tags         []string `json:"tags"`
	Note         string   `json:"note"`
	GroupIDs     []string `json:"group_ids"`
	Blacklisted  bool     `json:"blacklisted"`
	CreatedAt    string   `json:"created_at"`
	UpdatedAt    string   `json:"updated_at"`
}

func (s *Server) toContact(c *app.Contact) contactOut {
	out := contactOut{ID: formatID(c.ID), Book: c.Book, DepartmentID: formatID(c.DepartmentID), Name: c.Name, Phone: c.Phone,
		Carrier: string(app.DefaultCarrierTable().Lookup(c.Phone).Carrier), Company: c.Company, Title: c.Title, Tags: c.Tags,
		Note: c.Note, GroupIDs: make([]string, len(c.GroupIDs)), Blacklisted: c.Blacklisted,
		CreatedAt: s.formatTime(c.CreatedAt), UpdatedAt: s.formatTime(c.UpdatedAt)}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	for i, g := range c.GroupIDs {
		out.GroupIDs[i] = formatID(g)
	}
	return out
}

// contactBody is what POST and PATCH /api/v1/contacts take.
type contactBody struct {
	Book         *string   `json:"book"`
	DepartmentID *string   `json:"department_id"`
	Name         *string   `json:"name"`
	Phone        *string   `json:"phone"`
	Company      *string   `json:"company"`
	Title        *string   `json:"title"`
	Tags         *[]string `json:"tags"`
	Note         *string   `json:"note"`
	GroupIDs     *[]string `json:"group_ids"`
}

// groupIDs reads the group ids, naming the bad one.
func (b *contactBody) groupIDs() (*[]int64, error) {
	if b.GroupIDs == nil {
		return nil, nil
	}
	if len(*b.GroupIDs) > app.MaxContactGroups {
		return nil, app.FieldError("group_ids", "一个联系人最多属于%d个分组", app.MaxContactGroups)
	}
	ids := make([]int64, 0, len(*b.GroupIDs))
	for i, v := range *b.GroupIDs {
		id, err := parseID(v)
		if err != nil {
			return nil, app.FieldError(fmt.Sprintf("group_ids[%d]", i), "分组编号无效：%q", v)
		}
		ids = append(ids, id)
	}
	return &ids, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// createContact answers POST /api/v1/contacts: 201 with the contact.
func (s *Server) createContact(c echo.Context) error {
	var body contactBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	book, err := app.ParseBook("book", str(body.Book))
	if err != nil {
		return err
	}
	dept, err := optionalID("department_id", str(body.DepartmentID))
	if err != nil {
		return err
	}
	groups, err := body.groupIDs()
	if err != nil {
		return err
	}
	ct := &app.Contact{Book: book, DepartmentID: dept, Name: str(body.Name), Phone: str(body.Phone), Company: str(body.Company),
		Title: str(body.Title), Note: str(body.Note)}
	if body.Tags != nil {
		ct.Tags = *body.Tags
	}
	if groups != nil {
		ct.GroupIDs = *groups
	}
	if err := s.opts.Contacts.CreateContact(c.Request().Context(), principal(c), ct); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.toContact(ct))
}

// optionalID reads an id that may be empty (0).
func optionalID(field, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	id, err := parseID(v)
	if err != nil {
		return 0, app.FieldError(field, "%s 无效", field)
	}
	return id, nil
}

func (s *Server) getContact(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "联系人不存在")
	}
	ct, err := s.opts.Contacts.Contact(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toContact(ct))
}

// updateContact answers PATCH /api/v1/contacts/{id}; the book and the
// department do not change.
func (s *Server) updateContact(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "联系人不存在")
	}
	var body contactBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Book != nil || body.DepartmentID != nil {
		field := "book"
		if body.Book == nil {
			field = "department_id"
		}
		return app.FieldError(field, "联系人的通讯录和部门不能修改：请删除后在另一通讯录中新建")
	}
	groups, err := body.groupIDs()
	if err != nil {
		return err
	}
	ct, err := s.opts.Contacts.UpdateContact(c.Request().Context(), principal(c), id, &app.ContactUpdate{Name: body.Name,
		Phone: body.Phone, Company: body.Company, Title: body.Title, Tags: body.Tags, Note: body.Note, GroupIDs: groups})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toContact(ct))
}

func (s *Server) deleteContact(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "联系人不存在")
	}
	if err := s.opts.Contacts.DeleteContact(c.Request().Context(), principal(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// contactFilter reads GET /api/v1/contacts?book=&department_id=&group_id=&q=&cursor=&limit=.
func contactFilter(c echo.Context) (app.ContactFilter, error) {
	f := app.ContactFilter{Q: strings.TrimSpace(c.QueryParam("q")), Cursor: c.QueryParam("cursor")}
	var err error
	if v := c.QueryParam("book"); v != "" {
		if f.Book, err = app.ParseBook("book", v); err != nil {
			return f, err
		}
	}
	if f.DepartmentID, err = optionalID("department_id", c.QueryParam("department_id")); err != nil {
		return f, err
	}
	if f.GroupID, err = optionalID("group_id", c.QueryParam("group_id")); err != nil {
		return f, err
	}
	if len([]rune(f.Q)) > 50 {
		return f, app.FieldError("q", "搜索词最长50个字")
	}
	f.Limit, err = queryLimit(c)
	return f, err
}

func (s *Server) listContacts(c echo.Context) error {
	f, err := contactFilter(c)
	if err != nil {
		return err
	}
	list, next, err := s.opts.Contacts.FindContacts(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[contactOut]{Items: make([]contactOut, len(list)), NextCursor: next}
	for i, ct := range list {
		out.Items[i] = s.toContact(ct)
	}
	return c.JSON(http.StatusOK, out)
}

// groupOut is a group as the API shows it.
type groupOut struct {
	ID           string   `json:"id"`
	Book         app.Book `json:"book"`
	DepartmentID string   `json:"department_id"`
	Name         string   `json:"name"`
	Count        int      `json:"count"`
	CreatedAt    string   `json:"created_at"`
}

func (s *Server) toGroup(g *app.ContactGroup) groupOut {
	return groupOut{ID: formatID(g.ID), Book: g.Book, DepartmentID: formatID(g.DepartmentID), Name: g.Name, Count: g.Count,
		CreatedAt: s.formatTime(g.CreatedAt)}
}

// groupBody is what POST and PATCH /api/v1/groups take.
type groupBody struct {
	Book         *string `json:"book"`
	DepartmentID *string `json:"department_id"`
	Name         *string `json:"name"`
}

func (s *Server) createGroup(c echo.Context) error {
	var body groupBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	book, err := app.ParseBook("book", str(body.Book))
	if err != nil {
		return err
	}
	dept, err := optionalID("department_id", str(body.DepartmentID))
	if err != nil {
		return err
	}
	g := &app.ContactGroup{Book: book, DepartmentID: dept, Name: str(body.Name)}
	if err := s.opts.Contacts.CreateGroup(c.Request().Context(), principal(c), g); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.toGroup(g))
}

// updateGroup answers PATCH /api/v1/groups/{id}: only the name changes.
func (s *Server) updateGroup(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "分组不存在")
	}
	var body groupBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Book != nil || body.DepartmentID != nil {
		return app.FieldError("book", "分组的通讯录和部门不能修改")
	}
	if body.Name == nil {
		return app.FieldError("name", "请填写分组名称")
	}
	g, err := s.opts.Contacts.RenameGroup(c.Request().Context(), principal(c), id, *body.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toGroup(g))
}

func (s *Server) deleteGroup(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "分组不存在")
	}
	if err := s.opts.Contacts.DeleteGroup(c.Request().Context(), principal(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// listGroups answers GET /api/v1/groups?book=&department_id=: every group
// the caller sees (a book holds at most app.MaxGroupsPerBook), by name.
func (s *Server) listGroups(c echo.Context) error {
	var f app.GroupFilter
	var err error
	if v := c.QueryParam("book"); v != "" {
		if f.Book, err = app.ParseBook("book", v); err != nil {
			return err
		}
	}
	if f.DepartmentID, err = optionalID("department_id", c.QueryParam("department_id")); err != nil {
		return err
	}
	list, err := s.opts.Contacts.FindGroups(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[groupOut]{Items: make([]groupOut, len(list))}
	for i, g := range list {
		out.Items[i] = s.toGroup(g)
	}
	return c.JSON(http.StatusOK, out)
}
