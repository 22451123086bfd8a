package ui

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"smsgw/app"
)

// Limits on every uploaded table (number upload, personalised upload,
// blacklist import, contacts import). A file of 100,000 numbers is about
// 1.3 MB as text and 6 MB of sheet XML; the limits leave room for a few
// columns of parameters while keeping a hostile file (a zip bomb, a sheet
// of millions of rows, a cell at column XFD) from taking the server's memory.
const (
	maxUploadBytes   = 8 << 20   // the file as sent
	maxUploadNumbers = 100000    // rows, besides a header
	maxTableColumns  = 64        // cells kept per row
	maxTableText     = 32 << 20  // bytes of cell text kept in all
	maxUnzipBytes    = 128 << 20 // what an XLSX may inflate to, all parts together
	maxUnzipXMLBytes = 8 << 20   // a larger sheet is streamed from a temporary file
	maxUnzipPart     = 24 << 20  // any other part (shared strings, styles), which excelize holds in memory
)

// uploadedTable reads a form's TXT, CSV or XLSX file as rows of cells,
// within the limits above; every row has at least one cell and row i is
// line i+1 of the file.
func uploadedTable(c echo.Context, field string) ([][]string, error) {
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxUploadBytes+1<<16)
	fh, err := c.FormFile(field)
	if err != nil {
		return nil, app.FieldError(field, "请选择文件（不超过 8 MB）")
	}
	if fh.Size > maxUploadBytes {
		return nil, app.FieldError(field, "文件超过 8 MB，请拆分后上传")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t := tableReader{}
	switch ext := strings.ToLower(filepath.Ext(fh.Filename)); ext {
	case ".txt", ".csv":
		err = t.readText(f)
	case ".xlsx":
		err = t.readXLSX(f, fh.Size)
	case ".xls", ".et":
		return nil, app.FieldError(field, "不支持旧版 Excel 文件（%s）：请在 Excel 或 WPS 中“另存为” .xlsx 后上传", ext)
	default:
		return nil, app.FieldError(field, "只支持 TXT、CSV 或 XLSX 文件，而不是 %s", ext)
	}
	var limit *tableLimitError
	switch {
	case errors.As(err, &limit):
		return nil, app.FieldError(field, "%s，请拆分后上传", limit.msg)
	case err != nil:
		return nil, app.FieldError(field, "文件无法读取：%v", err)
	}
	return t.rows, nil
}

// tableLimitError is a file refused for its size, in words for the user.
type tableLimitError struct{ msg string }

func (e *tableLimitError) Error() string { return e.msg }

// tableReader collects rows, refusing a file past the limits as soon as it
// gets there rather than after reading it all.
type tableReader struct {
	rows  [][]string
	lines int // rows seen, empty ones included
	text  int
}

// emptyRow stands for every empty line, so a file of blank lines costs
// no more than its slice headers.
var emptyRow = []string{""}

// add keeps one row. Empty rows past the row limit are dropped (trailing
// blank lines or formatted empty rows), any other row there refuses the file.
func (t *tableReader) add(cells []string) error {
	t.lines++
	for len(cells) > 0 && strings.TrimSpace(cells[len(cells)-1]) == "" {
		cells = cells[:len(cells)-1]
	}
	if len(cells) == 0 {
		if t.lines <= maxUploadNumbers+1 {
			t.rows = append(t.rows, emptyRow)
		}
		return nil
	}
	if t.lines > maxUploadNumbers+1 {
		return &tableLimitError{fmt.Sprintf("文件超过 %d 行（表头一行除外）", maxUploadNumbers)}
	}
	if len(cells) > maxTableColumns {
		return &tableLimitError{fmt.Sprintf("第%d行超过 %d 列", t.lines, maxTableColumns)}
	}
	for _, v := range cells {
		t.text += len(v)
	}
	if t.text > maxTableText {
		return &tableLimitError{fmt.Sprintf("文件内容超过 %d MB", maxTableText>>20)}
	}
	t.rows = append(t.rows, append([]string(nil), cells...)) // a copy: the reader's slice may be long
	return nil
}

// readText reads a TXT or CSV file as one row per line, line numbers kept;
// a line with commas or quotes is split as CSV. The text is UTF-8 (with or
// without a BOM) or, when it is not valid UTF-8, GB18030 (of which GBK, what
// Excel in China saves CSV as, is a part).
func (t *tableReader) readText(r io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(r, maxUploadBytes+1))
	if err != nil {
		return err
	}
	if !utf8.Valid(raw) || looksGBK(raw) {
		if raw, err = simplifiedchinese.GB18030.NewDecoder().Bytes(raw); err != nil {
			return fmt.Errorf("既不是 UTF-8 也不是 GBK 编码的文本")
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			line, first = strings.TrimPrefix(line, "\ufeff"), false
		}
		// A quoted cell may hold line breaks (a note exported from Excel):
		// while the quotes are open, the next lines belong to this row,
		// which then stands for its first line (the others stay empty, so
		// row i is still line i+1). A quote never closed is not followed
		// past a few lines.
		joined := 0
		for strings.Count(line, `"`)%2 == 1 && joined < maxJoinedLines && sc.Scan() {
			line += "\n" + sc.Text()
			joined++
		}
		row := []string{line}
		if strings.ContainsAny(line, ",\"") {
			if rec, err := csv.NewReader(strings.NewReader(line)).Read(); err == nil && len(rec) > 0 {
				row = rec
			}
		}
		if err := t.add(row); err != nil {
			return err
		}
		for range joined {
			if err := t.add(nil); err != nil {
				return err
			}
		}
	}
	return sc.Err()
}

// maxJoinedLines is how many more lines one quoted cell may span.
const maxJoinedLines = 20

// readXLSX streams the first sheet's rows. The unzip limits are checked
// against the sizes the archive declares, which archive/zip then enforces
// while inflating, so a part that lies about its size fails to read.
func (t *tableReader) readXLSX(r io.ReaderAt, size int64) error {
	if err := checkXLSXParts(r, size); err != nil {
		return err
	}
	x, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{
		UnzipSizeLimit:    maxUnzipBytes,
		UnzipXMLSizeLimit: maxUnzipXMLBytes,
	})
	if err != nil {
		return err
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		return nil
	}
	rows, err := x.Rows(sheets[0])
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		if err := t.add(cols); err != nil {
			return err
		}
	}
	return rows.Error()
}

// checkXLSXParts refuses an XLSX whose parts, as its directory declares
// them, would inflate past the limits. excelize's own limit covers the
// total; this one also keeps the parts it parses whole into memory (shared
// strings, styles) small, as their parsed form is many times their size.
func checkXLSXParts(r io.ReaderAt, size int64) error {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return err
	}
	var total uint64
	for _, f := range z.File {
		total += f.UncompressedSize64
		if total > maxUnzipBytes {
			return &tableLimitError{fmt.Sprintf("文件解压后超过 %d MB", maxUnzipBytes>>20)}
		}
		name := strings.ToLower(f.Name)
		if !strings.HasPrefix(name, "xl/worksheets/") && f.UncompressedSize64 > maxUnzipPart {
			return &tableLimitError{fmt.Sprintf("文件中的 %s 解压后超过 %d MB", f.Name, maxUnzipPart>>20)}
		}
	}
	return nil
}

// writeTable answers with rows as a CSV (UTF-8 with a BOM, so Excel reads
// the Chinese) or XLSX download named name.format. Every export goes
// through here: CSV cells are defused by csvSafe, XLSX cells are written
// as strings, never formulas.
func writeTable(c echo.Context, format, name string, rows [][]string) error {
	cells := make([][]any, len(rows))
	for i, r := range rows {
		cells[i] = make([]any, len(r))
		for j, v := range r {
			cells[i][j] = v
		}
	}
	return writeCells(c, format, name, cells)
}

// rateCell is a rate (a fraction) in an export: a percentage cell in
// XLSX, "85.71%" in CSV.
type rateCell float64

// writeCells is writeTable for rows that hold numbers: an int64 is a
// number cell and a rateCell a percentage in XLSX (a spreadsheet sums
// them); a string stays a string cell, as every id and phone number does.
func writeCells(c echo.Context, format, name string, rows [][]any) error {
	var buf bytes.Buffer
	name += "." + format
	switch format {
	case "csv":
		buf.WriteString("\ufeff") // so Excel reads the Chinese as UTF-8
		w := csv.NewWriter(&buf)
		for _, r := range rows {
			safe := make([]string, len(r))
			for j, v := range r {
				switch v := v.(type) {
				case string:
					safe[j] = csvSafe(v)
				case int64:
					safe[j] = strconv.FormatInt(v, 10)
				case rateCell:
					safe[j] = strconv.FormatFloat(float64(v)*100, 'f', 2, 64) + "%"
				default:
					return fmt.Errorf("export: a %T cell", v)
				}
			}
			if err := w.Write(safe); err != nil {
				return err
			}
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
	case "xlsx":
		x := excelize.NewFile()
		defer x.Close()
		sw, err := x.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		percent, err := x.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
		if err != nil {
			return err
		}
		for i, r := range rows {
			cells := make([]any, len(r))
			for j, v := range r {
				switch v := v.(type) {
				case string, int64:
					cells[j] = v // a string value is a string cell; only excelize.Cell{Formula} makes a formula
				case rateCell:
					cells[j] = excelize.Cell{StyleID: percent, Value: float64(v)}
				default:
					return fmt.Errorf("export: a %T cell", v)
				}
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

// csvSafe prefixes a single quote to a cell a spreadsheet would read as a
// formula (OWASP's CSV injection list: = + - @ tab CR), so text an
// attacker controls (a User-Agent, a login name) stays text. Numbers are
// exported normalised, without a +, so they need no quote.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// looksGBK reports whether text that is valid UTF-8 was more likely saved
// as GBK: a short GBK file can happen to be valid UTF-8 ("谢伟" is), and then
// reads as Greek, Cyrillic, Hebrew or Arabic letters and nothing else beyond
// ASCII, while as GBK it is Chinese. Latin letters with accents (real names)
// or any Chinese character keep the text UTF-8; a short UTF-8 file written
// only in those other scripts would be misread (rare in a Chinese office's
// address book, and the import's preview shows it).
func looksGBK(raw []byte) bool {
	var other int
	for _, r := range string(raw) {
		switch {
		case r < 0x80:
		case r >= 0x0370 && r <= 0x07FF:
			other++
		default:
			return false
		}
	}
	if other == 0 {
		return false
	}
	decoded, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
	if err != nil {
		return false
	}
	han := 0
	for _, r := range string(decoded) {
		if r >= 0x4E00 && r <= 0x9FFF {
			han++
		}
	}
	return han > 0 && han*2 >= other
}
