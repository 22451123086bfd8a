package ui

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// FuzzReadTable feeds any bytes to the table reader as CSV and as XLSX: it
// must answer rows or an error within the limits, never panic.
func FuzzReadTable(f *testing.F) {
	f.Add([]byte("\ufeff手机号码,姓名\n13800138000,张三\n\"a,b\",\"c\n"))
	f.Add([]byte(",,,,\n\n\r\n"))
	x := excelize.NewFile()
	x.SetCellValue("Sheet1", "A1", "手机号码")
	x.SetCellValue("Sheet1", "B2", "13800138000")
	var buf bytes.Buffer
	x.Write(&buf)
	x.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, xlsx := range []bool{false, true} {
			var tr tableReader
			var err error
			if xlsx {
				err = tr.readXLSX(bytes.NewReader(b), int64(len(b)))
			} else {
				err = tr.readText(bytes.NewReader(b))
			}
			var limit *tableLimitError
			if err != nil && !errors.As(err, &limit) {
				continue
			}
			if len(tr.rows) > maxUploadNumbers+1 {
				t.Fatalf("%d rows kept", len(tr.rows))
			}
			for _, r := range tr.rows {
				if len(r) == 0 || len(r) > maxTableColumns {
					t.Fatalf("a row of %d cells", len(r))
				}
			}
		}
	})
}

// A quoted cell with line breaks is one cell of one row, and the rows
// after it keep their line numbers.
func TestReadTextJoinsQuotedLines(t *testing.T) {
	var tr tableReader
	in := "姓名,手机号,备注\n甲,13800138001,\"第一行\n第二行\"\n乙,13800138002,\n"
	if err := tr.readText(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if len(tr.rows) != 4 || tr.rows[1][2] != "第一行\n第二行" || tr.rows[2][0] != "" || tr.rows[3][0] != "乙" {
		t.Fatalf("rows %q", tr.rows)
	}
}

// A short GBK file whose bytes happen to be valid UTF-8 reads as GBK; UTF-8
// Chinese and UTF-8 text in other scripts stay UTF-8.
func TestReadTextGBKThatLooksLikeUTF8(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"\xd0\xbb\xce\xb0,13800138000\n", "谢伟"},
		{"张三,13800138000\n", "张三"},
		{"Ærøskøbing,13800138000\n", "Ærøskøbing"},
	} {
		var tr tableReader
		if err := tr.readText(strings.NewReader(c.in)); err != nil {
			t.Fatal(err)
		}
		if got := tr.rows[0][0]; got != c.want {
			t.Errorf("%q read as %q, want %q", c.in, got, c.want)
		}
	}
}
