package ui

import (
	"bytes"
	"encoding/csv"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"smsgw/app"
)

// maxExport caps one export; a longer one is cut and says so in its last row.
const maxExport = 100000

var auditHeader = []string{"编号", "时间", "操作者", "用户", "应用", "角色", "部门", "操作", "对象", "摘要", "结果", "IP", "客户端"}

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
	rows := [][]string{auditHeader}
	f.Limit = 1000
	for {
		list, next, err := s.opts.Audit.FindAudit(c.Request().Context(), principal(c), f)
		if err != nil {
			return err
		}
		for _, e := range list {
			rows = append(rows, []string{formatID(e.ID), s.formatTime(e.At), e.Actor, formatID(e.UserID), formatID(e.APIKeyID),
				string(e.Role), formatID(e.DepartmentID), e.Action, e.Target, e.Summary, e.Result, e.IP, e.UserAgent})
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

// writeTable answers with rows as a CSV (UTF-8 with a BOM, so Excel reads
// the Chinese) or XLSX download named name.format.
func writeTable(c echo.Context, format, name string, rows [][]string) error {
	var buf bytes.Buffer
	name += "." + format
	switch format {
	case "csv":
		buf.WriteString("\ufeff") // so Excel reads the Chinese as UTF-8
		w := csv.NewWriter(&buf)
		if err := w.WriteAll(rows); err != nil {
			return err
		}
	case "xlsx":
		x := excelize.NewFile()
		defer x.Close()
		sw, err := x.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		for i, r := range rows {
			cells := make([]any, len(r))
			for j, v := range r {
				cells[j] = v
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := sw.SetRow(cell, cells); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		if err := x.Write(&buf); err != nil {
			return err
		}
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	ctype := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return c.Blob(http.StatusOK, ctype, buf.Bytes())
}
