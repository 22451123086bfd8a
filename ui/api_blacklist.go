package ui

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// blacklistOut is a blacklist entry as the API shows it.
type blacklistOut struct {
	Phone        string              `json:"phone"`
	DepartmentID string              `json:"department_id"` // "0": the global list
	Reason       string              `json:"reason"`
	Source       app.BlacklistSource `json:"source"`
	CreatedAt    string              `json:"created_at"`
}

// blacklistIn is one entry of POST /api/v1/blacklist.
type blacklistIn struct {
	Phone        string              `json:"phone"`
	DepartmentID string              `json:"department_id"`
	Reason       string              `json:"reason"`
	Source       app.BlacklistSource `json:"source"`
}

// listDepartment reads a department_id naming a list: "0" or "" is the
// global one.
func listDepartment(field, v string) (int64, error) {
	if v == "" || v == "0" {
		return app.GlobalBlacklist, nil
	}
	id, err := parseID(v)
	if err != nil {
		return 0, app.FieldError(field, "%s 无效：0 为全局黑名单，或填部门编号", field)
	}
	return id, nil
}

// blacklistReadable refuses whoever the 黑名单 page refuses
// (mayKeepBlacklist): the numbers on a blacklist are personal data, and an
// auditor or operator reading them through the API or an export would see
// what the console denies them.
func blacklistReadable(p *app.Principal) error {
	if !mayKeepBlacklist(p) {
		return app.Errorf(app.EFORBIDDEN, "只有系统管理员和部门管理员可以查看黑名单")
	}
	return nil
}

func (s *Server) listBlacklist(c echo.Context) error {
	if err := blacklistReadable(principal(c)); err != nil {
		return err
	}
	f := app.BlacklistFilter{Phone: c.QueryParam("phone"), Cursor: c.QueryParam("cursor")}
	if v := c.QueryParam("department_id"); v != "" {
		d, err := listDepartment("department_id", v)
		if err != nil {
			return err
		}
		f.DepartmentID = &d
	}
	var err error
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	list, next, err := s.opts.Blacklist.FindBlacklist(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[blacklistOut]{Items: make([]blacklistOut, len(list)), NextCursor: next}
	for i, e := range list {
		out.Items[i] = blacklistOut{Phone: e.Phone, DepartmentID: formatID(e.DepartmentID), Reason: e.Reason, Source: e.Source,
			CreatedAt: s.formatTime(e.CreatedAt)}
	}
	return c.JSON(http.StatusOK, out)
}

// addBlacklist answers POST /api/v1/blacklist {"entries": [...]}: 200 with
// how many were new (a number already listed stays as it was).
func (s *Server) addBlacklist(c echo.Context) error {
	var body struct {
		Entries []blacklistIn `json:"entries"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if len(body.Entries) == 0 || len(body.Entries) > app.MaxRecipients {
		return app.FieldError("entries", "entries 应有1到%d条", app.MaxRecipients)
	}
	entries := make([]*app.BlacklistEntry, len(body.Entries))
	for i, in := range body.Entries {
		d, err := listDepartment(fmt.Sprintf("entries[%d].department_id", i), in.DepartmentID)
		if err != nil {
			return err
		}
		if in.Source == "" {
			in.Source = app.SourceManual
		}
		entries[i] = &app.BlacklistEntry{DepartmentID: d, Phone: in.Phone, Reason: in.Reason, Source: in.Source}
	}
	added, err := s.opts.Blacklist.AddToBlacklist(c.Request().Context(), principal(c), entries)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"added": added, "already_listed": len(entries) - added})
}

func (s *Server) removeBlacklist(c echo.Context) error {
	d, err := listDepartment("department_id", c.QueryParam("department_id"))
	if err != nil {
		return err
	}
	if err := s.opts.Blacklist.RemoveFromBlacklist(c.Request().Context(), principal(c), d, c.Param("phone")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

var blacklistHeader = []string{"手机号码", "部门编号", "原因", "来源", "加入时间"}

// exportBlacklist answers GET /api/v1/blacklist/export?format=csv|xlsx: the
// entries the listing would show, in a file the import reads back.
func (s *Server) exportBlacklist(c echo.Context) error {
	if err := blacklistReadable(principal(c)); err != nil {
		return err
	}
	format, err := exportFormat(c)
	if err != nil {
		return err
	}
	f := app.BlacklistFilter{Limit: 1000}
	if v := c.QueryParam("department_id"); v != "" {
		d, err := listDepartment("department_id", v)
		if err != nil {
			return err
		}
		f.DepartmentID = &d
	}
	rows := [][]string{blacklistHeader}
	for {
		list, next, err := s.opts.Blacklist.FindBlacklist(c.Request().Context(), principal(c), f)
		if err != nil {
			return err
		}
		for _, e := range list {
			rows = append(rows, []string{e.Phone, formatID(e.DepartmentID), e.Reason, string(e.Source), s.formatTime(e.CreatedAt)})
		}
		if next == "" || len(rows) > maxExport {
			break
		}
		f.Cursor = next
	}
	return writeTable(c, format, "blacklist", rows)
}

// importBlacklist answers POST /api/v1/blacklist/import, a form with a file
// (TXT, CSV or XLSX: number in the first column, reason in the second),
// department_id ("0": global) and source (import or complaint). A file
// with any bad row is refused, naming the rows; nothing is added.
func (s *Server) importBlacklist(c echo.Context) error {
	added, listed, err := s.importBlacklistFile(c, principal(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"added": added, "already_listed": listed})
}

// importBlacklistFile reads the form's file and adds its numbers.
func (s *Server) importBlacklistFile(c echo.Context, p *app.Principal) (added, listed int, err error) {
	d, err := listDepartment("department_id", c.FormValue("department_id"))
	if err != nil {
		return 0, 0, err
	}
	source := app.BlacklistSource(c.FormValue("source"))
	if source == "" {
		source = app.SourceImport
	} else if source != app.SourceImport && source != app.SourceComplaint {
		return 0, 0, app.FieldError("source", "导入的来源只能是 import 或 complaint")
	}
	rows, err := uploadedTable(c, "file")
	if err != nil {
		return 0, 0, err
	}
	var entries []*app.BlacklistEntry
	var bad []badRow
	badCount := 0
	for i, r := range rows {
		phone := strings.TrimSpace(r[0])
		if phone == "" {
			continue
		}
		n, err := app.NormalizeNumber(phone)
		if err != nil {
			if i == 0 && !strings.ContainsAny(phone, "0123456789") {
				continue // a header row
			}
			badCount++
			if len(bad) < 100 {
				bad = append(bad, badRow{Line: i + 1, Value: phone, Reason: app.ErrorMessage(err)})
			}
			continue
		}
		reason := ""
		if len(r) > 1 {
			reason = strings.TrimSpace(r[1])
		}
		entries = append(entries, &app.BlacklistEntry{DepartmentID: d, Phone: n, Reason: reason, Source: source})
	}
	if len(bad) > 0 {
		e := app.FieldError("file", "第%d行“%s”：%s（有问题的行共%d行，未导入任何号码）", bad[0].Line, bad[0].Value, bad[0].Reason, badCount)
		e.Details["bad"] = bad
		return 0, 0, e
	}
	if len(entries) == 0 {
		return 0, 0, app.FieldError("file", "文件中没有号码")
	}
	added, err = s.opts.Blacklist.AddToBlacklist(c.Request().Context(), p, entries)
	return added, len(entries) - added, err
}
