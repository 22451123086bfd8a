package ui

import (
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// contactHeader is the export's header, which the import recognises, so an
// exported book imports back as it was.
var contactHeader = []string{"姓名", "手机号", "单位", "职务", "分组", "标签", "备注", "黑名单"}

// exportContacts answers GET /api/v1/contacts/export?book=&department_id=&group_id=&q=&format=csv|xlsx:
// the contacts the listing would show, with their groups by name and
// whether a blacklist holds the number.
func (s *Server) exportContacts(c echo.Context) error {
	format, err := exportFormat(c)
	if err != nil {
		return err
	}
	f, err := contactFilter(c)
	if err != nil {
		return err
	}
	ctx, p := c.Request().Context(), principal(c)
	groups, err := s.opts.Contacts.FindGroups(ctx, p, app.GroupFilter{Book: f.Book})
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(groups))
	for _, g := range groups {
		names[g.ID] = g.Name
	}
	f.Limit = 1000
	rows := [][]string{contactHeader}
	for {
		list, next, err := s.opts.Contacts.FindContacts(ctx, p, f)
		if err != nil {
			return err
		}
		for _, ct := range list {
			var in []string
			for _, g := range ct.GroupIDs {
				in = append(in, names[g])
			}
			black := ""
			if ct.Blacklisted {
				black = "是"
			}
			rows = append(rows, []string{ct.Name, ct.Phone, ct.Company, ct.Title, strings.Join(in, "、"), strings.Join(ct.Tags, "、"), ct.Note, black})
		}
		if next == "" {
			break
		}
		if len(rows) > maxExport {
			rows = append(rows, []string{"导出已截断：请按分组或搜索分批导出 (export cut: export by group)"})
			break
		}
		f.Cursor = next
	}
	return writeTable(c, format, "contacts", rows)
}
