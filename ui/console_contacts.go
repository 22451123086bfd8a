package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// 通讯录: the three books, their groups and contacts, for every role (an
// auditor reads). The rules of who sees and changes what are the store's;
// a refused change comes back as the page's error. Changes redirect, so a
// refresh never repeats them.

// contactNotes are the messages a redirect after a change shows (?done=).
var contactNotes = map[string]string{
	"added": "联系人已添加", "saved": "联系人已保存", "deleted": "联系人已删除",
	"group-added": "分组已创建", "group-renamed": "分组已重命名", "group-deleted": "分组已删除（联系人仍在通讯录中）",
}

var bookOrder = []app.Book{app.BookOrg, app.BookCustomer, app.BookPersonal}

// contactsQuery is the page's address with the book, group and search.
func contactsQuery(book app.Book, group int64, q string) string {
	v := url.Values{"book": {string(book)}}
	if group != 0 {
		v.Set("group_id", formatID(group))
	}
	if q != "" {
		v.Set("q", q)
	}
	return "/contacts?" + v.Encode()
}

func (s *Server) contactsPage(c echo.Context) error {
	return s.renderContacts(c, http.StatusOK, map[string]any{"Note": contactNotes[c.QueryParam("done")]})
}

func (s *Server) renderContacts(c echo.Context, status int, data map[string]any) error {
	p := c.Get(principalKey).(*app.Principal)
	ctx := c.Request().Context()
	book := app.Book(c.QueryParam("book"))
	if !book.Valid() {
		book = app.BookOrg
	}
	group, _ := strconv.ParseInt(c.QueryParam("group_id"), 10, 64)
	q := strings.TrimSpace(c.QueryParam("q"))
	f := app.ContactFilter{Book: book, GroupID: group, Q: q, Cursor: c.QueryParam("cursor"), Limit: 50}
	list, next, err := s.opts.Contacts.FindContacts(ctx, p, f)
	if err != nil && app.ErrorCode(err) != app.EINVALID {
		return err
	} else if err != nil {
		data["Error"] = app.ErrorMessage(err)
	}
	groups, err := s.opts.Contacts.FindGroups(ctx, p, app.GroupFilter{Book: book})
	if err != nil {
		return err
	}
	depts, names, err := s.departments(c, p)
	if err != nil {
		return err
	}
	groupNames := make(map[int64]string, len(groups))
	for _, g := range groups {
		groupNames[g.ID] = g.Name
	}
	type row struct {
		ID                                         int64
		Name, Phone, Carrier, Company, Title, Note string
		Groups, Tags, Dept                         string
		Blacklisted                                bool
	}
	rows := make([]row, 0, len(list))
	for _, ct := range list {
		var in []string
		for _, g := range ct.GroupIDs {
			in = append(in, groupNames[g])
		}
		dept := names[ct.DepartmentID]
		if dept == "" {
			dept = "上级部门"
		}
		rows = append(rows, row{ID: ct.ID, Name: ct.Name, Phone: ct.Phone, Carrier: app.DefaultCarrierTable().Lookup(ct.Phone).Carrier.Label(),
			Company: ct.Company, Title: ct.Title, Note: ct.Note, Groups: strings.Join(in, "、"), Tags: strings.Join(ct.Tags, "、"),
			Dept: dept, Blacklisted: ct.Blacklisted})
	}
	type tab struct {
		Book     app.Book
		Label, Q string
		On       bool
	}
	tabs := make([]tab, len(bookOrder))
	for i, b := range bookOrder {
		tabs[i] = tab{Book: b, Label: b.Label(), Q: contactsQuery(b, 0, ""), On: b == book}
	}
	data["Tabs"], data["Book"], data["BookLabel"], data["Group"], data["Q"] = tabs, book, book.Label(), group, q
	data["Contacts"], data["Groups"], data["Departments"], data["ReadOnly"] = rows, groups, depts, p.MayChange() != nil
	// The forms show where they can succeed: an operator does not change the org book.
	data["CanWrite"] = p.MayChange() == nil && !(book == app.BookOrg && p.Role == app.RoleOperator)
	data["ImportBook"] = book
	if book == app.BookOrg && p.Role == app.RoleOperator {
		data["ImportBook"] = app.BookCustomer
	}
	if next != "" {
		data["Next"] = contactsQuery(book, group, q) + "&cursor=" + next
	}
	if c.QueryParam("cursor") != "" {
		data["First"] = contactsQuery(book, group, q)
	}
	if data["Form"] == nil {
		data["Form"] = map[string]string{}
	}
	return s.console.render(c, status, "contacts.html", s.page(c, "通讯录", data))
}

// contactForm reads the add and edit forms' fields.
func contactForm(c echo.Context) (*app.ContactUpdate, []int64) {
	field := func(name string) *string { v := c.FormValue(name); return &v }
	form, _ := c.FormParams()
	var groups []int64
	for _, v := range form["group_ids"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			groups = append(groups, id)
		}
	}
	tags := app.SplitNames(c.FormValue("tags"))
	return &app.ContactUpdate{Name: field("name"), Phone: field("phone"), Company: field("company"), Title: field("title"),
		Note: field("note"), Tags: &tags, GroupIDs: &groups}, groups
}

// contactAction adds a contact, or creates, renames or deletes a group.
func (s *Server) contactAction(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if ok, err := s.formAllowed(c, p.MayChange() == nil); !ok {
		return err
	}
	ctx := c.Request().Context()
	book := app.Book(c.FormValue("book"))
	dept, _ := strconv.ParseInt(c.FormValue("department_id"), 10, 64)
	group, _ := strconv.ParseInt(c.FormValue("group_id"), 10, 64)
	var err error
	var done, target string
	switch c.Param("action") {
	case "add":
		u, groups := contactForm(c)
		ct := &app.Contact{Book: book, DepartmentID: dept, GroupIDs: groups}
		u.Apply(ct)
		err = s.opts.Contacts.CreateContact(ctx, p, ct)
		done, target = "added", "contact:"+formatID(ct.ID)
	case "group-add":
		g := &app.ContactGroup{Book: book, DepartmentID: dept, Name: c.FormValue("name")}
		err = s.opts.Contacts.CreateGroup(ctx, p, g)
		done, target = "group-added", "group:"+formatID(g.ID)
	case "group-rename":
		_, err = s.opts.Contacts.RenameGroup(ctx, p, group, c.FormValue("name"))
		done, target = "group-renamed", "group:"+formatID(group)
	case "group-delete":
		err = s.opts.Contacts.DeleteGroup(ctx, p, group)
		done, target, group = "group-deleted", "group:"+formatID(group), 0
	default:
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.auditConsole(c, c.Get(userKey).(*app.User), "contacts."+c.Param("action"), target, err)
	if err != nil {
		if systemFault(err) {
			return err
		}
		c.Request().URL.RawQuery = url.Values{"book": {string(book)}}.Encode() // the page shows the book the form was for
		return s.renderContacts(c, http.StatusBadRequest, map[string]any{"Error": app.ErrorMessage(err), "Form": formValues(c)})
	}
	if !book.Valid() {
		book = app.BookOrg
	}
	if c.Param("action") != "group-add" {
		group = 0
	}
	return c.Redirect(http.StatusSeeOther, contactsQuery(book, group, "")+"&done="+done)
}

// formValues keeps what the user typed, for the form shown again.
func formValues(c echo.Context) map[string]string {
	out := map[string]string{}
	form, _ := c.FormParams()
	for k, v := range form {
		if k != "csrf" && len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// contactPage shows one contact's edit form (read-only for an auditor).
func (s *Server) contactPage(c echo.Context) error {
	return s.renderContact(c, http.StatusOK, map[string]any{})
}

func (s *Server) renderContact(c echo.Context, status int, data map[string]any) error {
	p := c.Get(principalKey).(*app.Principal)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ct, err := s.opts.Contacts.Contact(c.Request().Context(), p, id)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	groups, err := s.opts.Contacts.FindGroups(c.Request().Context(), p, app.GroupFilter{Book: ct.Book, DepartmentID: ct.DepartmentID})
	if err != nil {
		return err
	}
	in := map[int64]bool{}
	for _, g := range ct.GroupIDs {
		in[g] = true
	}
	type option struct {
		ID      int64
		Name    string
		Checked bool
	}
	var opts []option
	for _, g := range groups {
		if g.OwnerID == ct.OwnerID {
			opts = append(opts, option{g.ID, g.Name, in[g.ID]})
		}
	}
	data["Contact"], data["Tags"], data["GroupOptions"], data["ReadOnly"] = ct, strings.Join(ct.Tags, "、"), opts, p.MayChange() != nil
	data["Back"] = contactsQuery(ct.Book, 0, "")
	return s.console.render(c, status, "contact.html", s.page(c, "联系人", data))
}

// contactChange saves or deletes one contact.
func (s *Server) contactChange(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if ok, err := s.formAllowed(c, p.MayChange() == nil); !ok {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	ctx := c.Request().Context()
	before, err := s.opts.Contacts.Contact(ctx, p, id)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return echo.NewHTTPError(http.StatusNotFound)
	} else if err != nil {
		return err
	}
	var done string
	switch c.Param("action") {
	case "save":
		u, _ := contactForm(c)
		_, err = s.opts.Contacts.UpdateContact(ctx, p, id, u)
		done = "saved"
	case "delete":
		err = s.opts.Contacts.DeleteContact(ctx, p, id)
		done = "deleted"
	default:
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.auditConsole(c, c.Get(userKey).(*app.User), "contacts."+c.Param("action"), "contact:"+formatID(id), err)
	if err != nil {
		if systemFault(err) {
			return err
		}
		return s.renderContact(c, http.StatusBadRequest, map[string]any{"Error": app.ErrorMessage(err)})
	}
	return c.Redirect(http.StatusSeeOther, contactsQuery(before.Book, 0, "")+"&done="+done)
}
