package ui

import (
	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// maxExport caps one export; a longer one is cut and says so in its last row.
const maxExport = 100000

// auditHeader: the ids as stored, then their names (name columns added
// after the original ones, so that readers of the old columns keep
// working).
var auditHeader = []string{"编号", "时间", "操作者", "用户", "应用", "角色", "部门", "操作", "对象", "摘要", "结果", "IP", "客户端",
	"操作者名称", "用户名称", "应用名称", "角色名称", "部门名称"}

// exportAudit answers GET /api/v1/audit/export?format=csv|xlsx with the same
// filters as the listing, newest first.
func (s *Server) exportAudit(c echo.Context) error {
	format, err := exportFormat(c)
	if err != nil {
		return err
	}
	f, err := s.auditFilter(c)
	if err != nil {
		return err
	}
	names, err := s.auditNamesFor(c, principal(c))
	if err != nil {
		return err
	}
	rows := [][]string{auditHeader}
	f.Limit = 1000
	for {
		list, next, err := s.opts.Audit.FindAudit(c.Request().Context(), principal(c), f)
		if err != nil {
			return err
		}
		for _, e := range list {
			role := ""
			if e.Role != "" {
				role = roleLabel(e.Role)
			}
			rows = append(rows, []string{formatID(e.ID), s.formatTime(e.At), e.Actor, formatID(e.UserID), formatID(e.APIKeyID),
				string(e.Role), formatID(e.DepartmentID), e.Action, e.Target, names.summary(e), e.Result, e.IP, e.UserAgent,
				names.actor(e), names.userName(e.UserID), names.apps[e.APIKeyID], role, names.department(e.DepartmentID)})
		}
		if next == "" {
			break
		}
		if len(rows) > maxExport {
			rows = append(rows, []string{"", "", "", "", "", "", "", "", "", "导出已截断：请缩小时间范围 (export cut: narrow the time range)"})
			break
		}
		f.Cursor = next
	}
	return writeTable(c, format, "audit", rows)
}

// exportFormat reads ?format=csv|xlsx (csv when absent).
func exportFormat(c echo.Context) (string, error) {
	switch format := c.QueryParam("format"); format {
	case "", "csv":
		return "csv", nil
	case "xlsx":
		return format, nil
	}
	return "", app.FieldError("format", "format 只能是 csv 或 xlsx")
}
