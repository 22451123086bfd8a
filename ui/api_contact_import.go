package ui

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// importTable reads the uploaded contacts table and maps its columns: by
// the form's columns ({"name": 0, "phone": 1, ...}, 0-based), else by the
// header's words (the header may sit below a title row), else, for a first
// row holding a number, that column as the number and the first other as
// the name. The data rows are table[first-1:]; header is the header row's
// index, or -1.
func importTable(c echo.Context) (name string, columns map[string]int, table [][]string, first, header int, err error) {
	table, err = uploadedTable(c, "file")
	if err != nil {
		return "", nil, nil, 0, -1, err
	}
	fh, _ := c.FormFile("file")
	name = filepath.Base(fh.Filename)
	if len(table) == 0 {
		return "", nil, nil, 0, -1, app.FieldError("file", "文件是空的")
	}
	h, guessed, found := app.FindHeader(table)
	if v := c.FormValue("columns"); v != "" {
		if err := json.Unmarshal([]byte(v), &columns); err != nil {
			return "", nil, nil, 0, -1, app.FieldError("columns", "columns 应为 JSON 对象，如 {\"name\":0,\"phone\":1}")
		}
		if err := app.CheckColumns(columns); err != nil {
			return "", nil, nil, 0, -1, err
		}
		if found {
			return name, columns, table, h + 2, h, nil
		}
		// A first row whose number cell is not a number is a header.
		if i := columns["phone"]; i < len(table[0]) {
			if _, err := app.NormalizeNumber(table[0][i]); err != nil {
				return name, columns, table, 2, 0, nil
			}
		}
		return name, columns, table, 1, -1, nil
	}
	if found {
		return name, guessed, table, h + 2, h, nil
	}
	columns = map[string]int{}
	for i, cell := range table[0] {
		if _, err := app.NormalizeNumber(cell); err == nil {
			if _, ok := columns["phone"]; !ok {
				columns["phone"] = i
				continue
			}
		}
		if _, ok := columns["name"]; !ok && cell != "" {
			columns["name"] = i
		}
	}
	if _, ok := columns["phone"]; !ok {
		// The table comes back too: the preview shows it for the user to map.
		return name, map[string]int{}, table, 1, -1, errNoColumns
	}
	if columns["name"] > columns["phone"] {
		delete(columns, "name") // a name after the number is more likely a note
	}
	return name, columns, table, 1, -1, nil
}

var errNoColumns = app.FieldError("columns", "无法识别表头：请在第一行写“姓名”“手机号”等列名，或在预览中指定各列")

// previewOut is what the console shows before an import: the columns as
// recognised and the first rows.
type previewOut struct {
	FileName string         `json:"file_name"`
	Rows     int            `json:"rows"` // data rows
	Header   []string       `json:"header"`
	Sample   [][]string     `json:"sample"`
	Columns  map[string]int `json:"columns"`
	Fields   []fieldOut     `json:"fields"`
}

type fieldOut struct {
	Field string `json:"field"`
	Label string `json:"label"`
}

// previewImport answers POST /api/v1/contacts/import/preview (the form of
// an import, without its book): nothing is stored.
func (s *Server) previewImport(c echo.Context) error {
	name, columns, table, first, header, err := importTable(c)
	if err != nil && err != errNoColumns {
		return err
	}
	rows := table[first-1:]
	out := previewOut{FileName: name, Rows: len(rows), Columns: columns, Sample: [][]string{}}
	if header >= 0 {
		out.Header = table[header]
	}
	out.Sample = append(out.Sample, rows[:min(len(rows), 5)]...)
	for _, f := range app.ImportFields {
		out.Fields = append(out.Fields, fieldOut{f.Field, f.Label})
	}
	return c.JSON(http.StatusOK, out)
}

// startImport answers POST /api/v1/contacts/import: 202 {"import_id"};
// the rows go into the book in the background.
func (s *Server) startImport(c echo.Context) error {
	imp, rows, err := s.importForm(c)
	if err != nil {
		return err
	}
	if err := s.opts.Imports.StartImport(c.Request().Context(), principal(c), imp, rows); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"import_id": formatID(imp.ID), "total": imp.Total})
}

// importForm reads an import's form: file, book, department_id, group_id,
// on_duplicate, columns.
func (s *Server) importForm(c echo.Context) (*app.ContactImport, []app.ContactRow, error) {
	name, columns, table, first, _, err := importTable(c)
	if err != nil {
		return nil, nil, err
	}
	imp := &app.ContactImport{FileName: name}
	if imp.Book, err = app.ParseBook("book", c.FormValue("book")); err != nil {
		return nil, nil, err
	}
	if imp.DepartmentID, err = optionalID("department_id", c.FormValue("department_id")); err != nil {
		return nil, nil, err
	}
	if imp.GroupID, err = optionalID("group_id", c.FormValue("group_id")); err != nil {
		return nil, nil, err
	}
	if imp.OnDuplicate, err = app.ParseOnDuplicate(c.FormValue("on_duplicate")); err != nil {
		return nil, nil, err
	}
	rows := app.ImportRows(table[first-1:], columns, first)
	if len(rows) == 0 {
		return nil, nil, app.FieldError("file", "文件中没有联系人")
	}
	return imp, rows, nil
}

// importOut is an import result as the API shows it.
type importOut struct {
	ID           string `json:"id"`
	Operator     string `json:"operator"`
	FileName     string `json:"file_name"`
	Book         string `json:"book"`
	DepartmentID string `json:"department_id"`
	GroupID      string `json:"group_id"`
	OnDuplicate  string `json:"on_duplicate"`
	Status       string `json:"status"`
	Total        int    `json:"total"`
	Imported     int    `json:"imported"`
	Updated      int    `json:"updated"`
	Skipped      int    `json:"skipped"`
	Failed       int    `json:"failed"`
	CreatedAt    string `json:"created_at"`
	DoneAt       string `json:"done_at"`
}

func (s *Server) toImport(i *app.ContactImport) importOut {
	out := importOut{ID: formatID(i.ID), Operator: i.Operator, FileName: i.FileName, Book: string(i.Book),
		DepartmentID: formatID(i.DepartmentID), OnDuplicate: string(i.OnDuplicate), Status: string(i.Status), Total: i.Total,
		Imported: i.Imported, Updated: i.Updated, Skipped: i.Skipped, Failed: i.Failed, CreatedAt: s.formatTime(i.CreatedAt)}
	if i.GroupID != 0 {
		out.GroupID = formatID(i.GroupID)
	}
	if !i.DoneAt.IsZero() {
		out.DoneAt = s.formatTime(i.DoneAt)
	}
	return out
}

// listImports answers GET /api/v1/contact-imports?operator=&since=&until=&cursor=&limit=.
func (s *Server) listImports(c echo.Context) error {
	f := app.ImportFilter{Operator: c.QueryParam("operator"), Cursor: c.QueryParam("cursor")}
	var err error
	if f.Since, err = queryTime(c, "since"); err != nil {
		return err
	}
	if f.Until, err = queryTime(c, "until"); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	list, next, err := s.opts.Imports.FindImports(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[importOut]{Items: make([]importOut, len(list)), NextCursor: next}
	for i, imp := range list {
		out.Items[i] = s.toImport(imp)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getImport(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "导入记录不存在")
	}
	imp, err := s.opts.Imports.ContactImport(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toImport(imp))
}

// importFailures answers GET /api/v1/contact-imports/{id}/failed?format=csv|xlsx:
// the refused rows with their lines and reasons.
func (s *Server) importFailures(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "导入记录不存在")
	}
	format, err := exportFormat(c)
	if err != nil {
		return err
	}
	list, err := s.opts.Imports.ImportFailures(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	rows := [][]string{{"行号", "姓名", "手机号", "原因"}}
	for _, f := range list {
		rows = append(rows, []string{strconv.Itoa(f.Line), f.Name, f.Phone, f.Reason})
	}
	return writeTable(c, format, "import-"+formatID(id)+"-failed", rows)
}
