package ui

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"smsgw/app"
)

// Upload limits: a file of 100,000 numbers is about 1.3 MB as text.
const (
	maxUploadBytes   = 8 << 20
	maxUploadNumbers = 100000
)

// badRow is a line of an uploaded file that holds no usable number.
type badRow struct {
	Line   int    `json:"line"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// uploadAnswer is what the send page gets back for an uploaded file.
type uploadAnswer struct {
	Numbers    []string `json:"numbers"`
	Duplicates int      `json:"duplicates"`
	Bad        []badRow `json:"bad"` // the first 200
	BadCount   int      `json:"bad_count"`
}

// uploadNumbers reads a TXT, CSV or XLSX file of numbers (the first cell of
// each row; a header row is skipped) and answers the good ones, counting
// duplicates and naming bad rows by line number.
func (s *Server) uploadNumbers(c echo.Context) error {
	if err := checkCSRF(c, s.console.session(c)); err != nil {
		return err
	}
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxUploadBytes+1<<16)
	fh, err := c.FormFile("file")
	if err != nil {
		return app.FieldError("file", "请选择文件（不超过 8 MB）")
	}
	if fh.Size > maxUploadBytes {
		return app.FieldError("file", "文件超过 8 MB，请拆分后上传")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	var cells []string
	switch ext := strings.ToLower(filepath.Ext(fh.Filename)); ext {
	case ".txt", ".csv":
		cells, err = textCells(f)
	case ".xlsx":
		cells, err = xlsxCells(f)
	default:
		return app.FieldError("file", "只支持 TXT、CSV 或 XLSX 文件，而不是 %s", ext)
	}
	if err != nil {
		return app.FieldError("file", "文件无法读取：%v", err)
	}
	ans := uploadAnswer{Numbers: []string{}, Bad: []badRow{}}
	seen := map[string]bool{}
	for i, v := range cells {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		n, err := app.NormalizeNumber(v)
		if err != nil {
			if i == 0 && !strings.ContainsAny(v, "0123456789") {
				continue // a header such as 手机号码
			}
			ans.BadCount++
			if len(ans.Bad) < 200 {
				ans.Bad = append(ans.Bad, badRow{Line: i + 1, Value: v, Reason: app.ErrorMessage(err)})
			}
			continue
		}
		if seen[n] {
			ans.Duplicates++
			continue
		}
		seen[n] = true
		ans.Numbers = append(ans.Numbers, n)
		if len(ans.Numbers) > maxUploadNumbers {
			return app.FieldError("file", "文件中的号码超过 %d 个，请拆分后上传", maxUploadNumbers)
		}
	}
	return c.JSON(http.StatusOK, ans)
}

// textCells reads the first field of each line of a TXT or CSV file, one
// cell per line, line numbers kept.
func textCells(r io.Reader) ([]string, error) {
	rows, err := textRows(r)
	return firstCells(rows), err
}

// xlsxCells reads the first column of the first sheet.
func xlsxCells(r io.Reader) ([]string, error) {
	rows, err := xlsxRows(r)
	return firstCells(rows), err
}

func firstCells(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[0]
	}
	return out
}

// textRows reads a TXT or CSV file (UTF-8, with or without a BOM) as one
// row per line, line numbers kept; a line with commas or quotes is split
// as CSV. Every row has at least one cell.
func textRows(r io.Reader) ([][]string, error) {
	var out [][]string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimPrefix(sc.Text(), "\ufeff")
		row := []string{line}
		if strings.ContainsAny(line, ",\"") {
			if rec, err := csv.NewReader(strings.NewReader(line)).Read(); err == nil && len(rec) > 0 {
				row = rec
			}
		}
		out = append(out, row)
	}
	return out, sc.Err()
}

// xlsxRows reads the first sheet, one row per sheet row; every row has at
// least one cell.
func xlsxRows(r io.Reader) ([][]string, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil
	}
	rows, err := x.Rows(sheets[0])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		cols, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		if len(cols) == 0 {
			cols = []string{""}
		}
		out = append(out, cols)
	}
	return out, rows.Error()
}
