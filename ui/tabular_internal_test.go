package ui

import (
	"bytes"
	"errors"
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
