package ui_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"smsgw/app"
	"smsgw/app/apptest"
)

// importFile posts a contacts import and answers its status and body.
func importFile(t *testing.T, f *fixture, key, name string, content []byte, fields map[string]string) (int, string) {
	t.Helper()
	return uploadTo(t, f, "/api/v1/contacts/import", key, name, content, fields)
}

func uploadTo(t *testing.T, f *fixture, path, key, name string, content []byte, fields map[string]string) (int, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(content)
	w.Close()
	return f.send(t, "POST", path, w.FormDataContentType(), key, &body)
}

type importResult struct {
	ID, Status, Operator     string
	FileName                 string `json:"file_name"`
	Total, Imported, Updated int
	Skipped, Failed          int
}

// importDone starts an import and waits for its result.
func importDone(t *testing.T, f *fixture, key, name string, content []byte, fields map[string]string) importResult {
	t.Helper()
	status, body := importFile(t, f, key, name, content, fields)
	if status != 202 {
		t.Fatalf("import %s: %d %s", name, status, body)
	}
	var started struct {
		ImportID string `json:"import_id"`
	}
	json.Unmarshal([]byte(body), &started)
	var res importResult
	apptest.Eventually(t, 30*time.Second, func() error {
		_, body := f.call(t, "GET", "/api/v1/contact-imports/"+started.ImportID, key, "")
		res = importResult{}
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			return err
		}
		if res.Status != "done" {
			return fmt.Errorf("import %s: %s", started.ImportID, body)
		}
		return nil
	})
	return res
}

// TestContactImports (issue 15): a GBK CSV, a UTF-8 CSV with a BOM, an XLSX
// with bad rows (good rows kept, bad ones listed by line with the reason),
// repeats skipped or merged as chosen, columns chosen by the caller.
func TestContactImports(t *testing.T) {
	f := newFixture(t)
	w := newBookWorld(t, f)
	opA := w.keys["opA"]
	names := func(f *fixture, key, query string) string {
		var list struct {
			Items []struct{ Name, Phone, Company string }
		}
		mustJSON(t, f, "GET", "/api/v1/contacts?limit=1000&"+query, key, "", 200, &list)
		var out []string
		for _, c := range list.Items {
			out = append(out, c.Name+"/"+c.Phone+"/"+c.Company)
		}
		return strings.Join(out, ",")
	}

	t.Run("GBKCSV", func(t *testing.T) {
		f := f.clone(t)
		gbk, err := simplifiedchinese.GBK.NewEncoder().String("姓名,手机号,单位,分组\r\n张三,13800138000,一局,领导\r\n李四,139-0013-9000,二局,\"领导,同事\"\r\n")
		if err != nil {
			t.Fatal(err)
		}
		res := importDone(t, f, opA, "通讯录.csv", []byte(gbk), map[string]string{"book": "customer"})
		if res.Total != 2 || res.Imported != 2 || res.Failed != 0 || res.FileName != "通讯录.csv" || res.Operator != "u2" {
			t.Fatalf("result %+v", res)
		}
		if got := names(f, opA, "book=customer"); !strings.HasPrefix(got, "李四/13900139000/二局,张三/13800138000/一局,") {
			t.Errorf("contacts %s", got)
		}
		var groups struct {
			Items []struct {
				Name  string
				Count int
			}
		}
		mustJSON(t, f, "GET", "/api/v1/groups?book=customer", opA, "", 200, &groups)
		if fmt.Sprint(groups.Items) != "[{同事 1} {领导 2}]" {
			t.Errorf("groups %v", groups.Items)
		}
	})
	t.Run("UTF8BOMWithoutHeader", func(t *testing.T) {
		f := f.clone(t)
		res := importDone(t, f, opA, "list.csv", []byte("\ufeff王五,13700137000\n赵六,13600136000\n"), map[string]string{"book": "customer"})
		if res.Imported != 2 {
			t.Fatalf("result %+v", res)
		}
		if got := names(f, opA, "book=customer&q=13"); !strings.Contains(got, "王五/13700137000/") || !strings.Contains(got, "赵六/13600136000/") {
			t.Errorf("contacts %s", got)
		}
	})
	t.Run("XLSXWithBadRows", func(t *testing.T) {
		f := f.clone(t)
		book := xlsxRows(t, [][]string{
			{"手机号码", "姓名", "职务"},
			{"13800138001", "甲", "科长"},
			{"12345", "乙", ""},
			{"13800138002", strings.Repeat("名", 51), ""},
			{"", "", ""},
			{"13800138001", "甲二", "处长"},
			{"13800138003", "", ""},
		})
		res := importDone(t, f, opA, "bad.xlsx", book, map[string]string{"book": "customer", "on_duplicate": "skip"})
		if res.Total != 5 || res.Imported != 2 || res.Skipped != 1 || res.Failed != 2 {
			t.Fatalf("result %+v", res)
		}
		status, csv := f.call(t, "GET", "/api/v1/contact-imports/"+res.ID+"/failed?format=csv", opA, "")
		if status != 200 || !strings.Contains(csv, "3,乙,12345,手机号") || !strings.Contains(csv, "4,") || !strings.Contains(csv, "姓名") {
			t.Errorf("failed rows: %d %s", status, csv)
		}
		if got := names(f, opA, "book=customer&q=1380013800"); got != "13800138003/13800138003/,甲/13800138001/" {
			t.Errorf("contacts %s", got)
		}
	})
	t.Run("RepeatsUpdated", func(t *testing.T) {
		f := f.clone(t)
		importDone(t, f, opA, "a.csv", []byte("姓名,手机号,单位\n甲,13800138001,一局\n"), map[string]string{"book": "customer"})
		res := importDone(t, f, opA, "b.csv", []byte("姓名,手机号,单位\n,13800138001,二局\n乙,13800138002,\n乙二,13800138002,三局\n"),
			map[string]string{"book": "customer", "on_duplicate": "update"})
		if res.Imported != 1 || res.Updated != 2 {
			t.Fatalf("result %+v", res)
		}
		if got := names(f, opA, "book=customer&q=1380013800"); got != "乙二/13800138002/三局,甲/13800138001/二局" {
			t.Errorf("contacts %s", got)
		}
	})
	t.Run("ColumnsChosen", func(t *testing.T) {
		f := f.clone(t)
		res := importDone(t, f, opA, "c.csv", []byte("备用,电话号,称呼\nx,13800138005,丙\n"),
			map[string]string{"book": "customer", "columns": `{"phone":1,"name":2}`})
		if res.Imported != 1 {
			t.Fatalf("result %+v", res)
		}
		if got := names(f, opA, "q=丙"); got != "丙/13800138005/" {
			t.Errorf("contacts %s", got)
		}
	})
	for _, sc := range []struct {
		name, key, file, content string
		fields                   map[string]string
		status                   int
		want                     string
	}{
		{"NoBook", opA, "a.csv", "姓名,手机号\n甲,13800138001\n", nil, 400, `"field":"book"`},
		{"UnknownHeader", opA, "a.csv", "甲,乙\n丙,丁\n", map[string]string{"book": "customer"}, 400, `"field":"columns"`},
		{"BadColumns", opA, "a.csv", "甲,乙\n", map[string]string{"book": "customer", "columns": `{"name":0}`}, 400, "手机号"},
		{"OldExcel", opA, "a.xls", "x", map[string]string{"book": "customer"}, 400, "另存为"},
		{"AuditorCannotImport", w.keys["audA"], "a.csv", "姓名,手机号\n甲,13800138001\n", map[string]string{"book": "org"}, 403, "审计员"},
		{"OperatorCannotImportToTheOrgBook", opA, "a.csv", "姓名,手机号\n甲,13800138001\n", map[string]string{"book": "org"}, 403, "管理员"},
		{"AnotherBooksGroup", w.keys["opB"], "a.csv", "姓名,手机号\n甲,13800138001\n", map[string]string{"book": "customer", "group_id": "1"}, 400, `"field":"group_id"`},
	} {
		t.Run(sc.name, func(t *testing.T) {
			status, body := importFile(t, f, sc.key, sc.file, []byte(sc.content), sc.fields)
			if status != sc.status || !strings.Contains(body, sc.want) {
				t.Fatalf("%d %s; want %d with %s", status, body, sc.status, sc.want)
			}
		})
	}
	t.Run("Preview", func(t *testing.T) {
		status, body := uploadTo(t, f, "/api/v1/contacts/import/preview", opA, "p.csv", []byte("姓名,手机号,备注\n甲,13800138001,x\n乙,13800138002,y\n"), nil)
		if status != 200 || !strings.Contains(body, `"rows":2`) || !strings.Contains(body, `"columns":{"name":0,"note":2,"phone":1}`) ||
			!strings.Contains(body, `"header":["姓名","手机号","备注"]`) {
			t.Errorf("preview: %d %s", status, body)
		}
	})
}

// xlsxRows makes an XLSX of rows.
func xlsxRows(t *testing.T, rows [][]string) []byte {
	t.Helper()
	var b bytes.Buffer
	for i, r := range rows {
		b.WriteString(fmt.Sprintf(`<row r="%d">`, i+1))
		for j, v := range r {
			if v != "" {
				b.WriteString(fmt.Sprintf(`<c r="%c%d" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+j, i+1, v))
			}
		}
		b.WriteString(`</row>`)
	}
	return rawXLSX(t, func(w io.Writer) { w.Write(b.Bytes()) })
}

// TestImportHistory (issue 15, R2.4): the import results are listed newest
// first, searchable by operator and by time, and seen only by those who
// see the book.
func TestImportHistory(t *testing.T) {
	f := newFixture(t)
	w := newBookWorld(t, f)
	a := importDone(t, f, w.keys["opA"], "a.csv", []byte("姓名,手机号\n甲,13800138001\n"), map[string]string{"book": "customer"})
	b := importDone(t, f, w.keys["adminA"], "b.csv", []byte("姓名,手机号\n乙,13800138002\n"), map[string]string{"book": "org"})
	p := importDone(t, f, w.keys["opA"], "p.csv", []byte("姓名,手机号\n丙,13800138003\n"), map[string]string{"book": "customer"})
	list := func(key, query string) string {
		var out struct {
			Items []struct {
				FileName string `json:"file_name"`
			}
		}
		mustJSON(t, f, "GET", "/api/v1/contact-imports?"+query, key, "", 200, &out)
		var names []string
		for _, i := range out.Items {
			names = append(names, i.FileName)
		}
		return strings.Join(names, ",")
	}
	future := time.Now().Add(time.Hour).Format(time.RFC3339)
	past := time.Now().Add(-time.Hour).Format(time.RFC3339)
	for _, sc := range []struct{ name, key, query, want string }{
		{"AdminSeesItsDepartments", w.keys["adminA"], "", "p.csv,b.csv,a.csv"},
		{"OperatorSeesItsBooks", w.keys["opA"], "", "p.csv,b.csv,a.csv"},
		{"OperatorBelowSeesTheOrgBookOnly", w.keys["opA1"], "", "b.csv"},
		{"ByOperator", w.keys["opA"], "operator=u2", "p.csv,a.csv"},
		{"ByOperatorPart", w.keys["adminA"], "operator=u0", "b.csv"},
		{"Since", w.keys["adminA"], "since=" + strings.Replace(past, "+", "%2B", 1), "p.csv,b.csv,a.csv"},
		{"Until", w.keys["adminA"], "until=" + strings.Replace(past, "+", "%2B", 1), ""},
		{"SinceFuture", w.keys["adminA"], "since=" + strings.Replace(future, "+", "%2B", 1), ""},
		{"OtherDepartmentSeesNone", w.keys["opB"], "", ""},
		{"Paged", w.keys["opA"], "limit=1", "p.csv"},
	} {
		t.Run(sc.name, func(t *testing.T) {
			if got := list(sc.key, sc.query); got != sc.want {
				t.Errorf("listed %q, want %q", got, sc.want)
			}
		})
	}
	if status, _ := f.call(t, "GET", "/api/v1/contact-imports/"+p.ID, w.keys["opA1"], ""); status != 404 {
		t.Errorf("another department's customer import: %d, want 404", status)
	}
	if status, _ := f.call(t, "GET", "/api/v1/contact-imports/"+a.ID+"/failed?format=csv", w.keys["opB"], ""); status != 404 {
		t.Errorf("another department's failed rows: %d, want 404", status)
	}
	_ = b
}

// TestContactExport: a book exports with its groups by name and the
// blacklist marked, in a form the import reads back.
func TestContactExport(t *testing.T) {
	f := newFixture(t)
	w := newBookWorld(t, f)
	opA := w.keys["opA"]
	importDone(t, f, opA, "a.csv", []byte("姓名,手机号,分组\n甲,13800138001,领导\n乙,13800138002,\n"), map[string]string{"book": "customer"})
	mustJSON(t, f, "POST", "/api/v1/contacts", opA, `{"book":"customer","name":"丙","phone":"13800138003","note":"第一行\n第二行"}`, 201, &struct{}{})
	f.call(t, "POST", "/api/v1/blacklist", w.keys["sys"], `{"entries":[{"phone":"13800138002"}]}`)
	status, body := f.call(t, "GET", "/api/v1/contacts/export?book=customer&format=csv", opA, "")
	if status != 200 || !strings.Contains(body, "姓名,手机号,单位,职务,分组,标签,备注,黑名单") ||
		!strings.Contains(body, "甲,13800138001,,,领导,,,") || !strings.Contains(body, "乙,13800138002,,,,,,是") {
		t.Errorf("export: %d %s", status, body)
	}
	// Imported again into another department's customer book, the file makes the same contacts.
	res := importDone(t, f, w.keys["adminA"], "again.csv", []byte(body), map[string]string{"book": "customer", "department_id": w.depts["A1"]})
	if res.Imported != 4 || res.Failed != 0 { // 甲, 乙, 丙 and custA
		t.Errorf("re-import %+v", res)
	}
	var back struct{ Items []struct{ Note string } }
	mustJSON(t, f, "GET", "/api/v1/contacts?book=customer&department_id="+w.depts["A1"]+"&q=13800138003", w.keys["adminA"], "", 200, &back)
	if len(back.Items) != 1 || back.Items[0].Note != "第一行\n第二行" {
		t.Errorf("a note with two lines comes back as %+v", back.Items)
	}
}

// TestLargeImportIsAnUpload: a file over the JSON body limit (2 MB) is an
// upload like the number upload's, up to 8 MB, through the API and the
// console.
func TestLargeImportIsAnUpload(t *testing.T) {
	f := newFixture(t)
	w := newBookWorld(t, f)
	var b strings.Builder
	b.WriteString("姓名,手机号,备注\n")
	for i := range 25000 {
		fmt.Fprintf(&b, "联系人%d,137%08d,%s\n", i, i, strings.Repeat("备", 40))
	}
	if b.Len() < 3<<20 {
		t.Fatalf("the file is only %d bytes", b.Len())
	}
	res := importDone(t, f, w.keys["opA"], "big.csv", []byte(b.String()), map[string]string{"book": "customer"})
	if res.Imported != 25000 {
		t.Errorf("result %+v", res)
	}
	consoleUser(t, f, "zhao", app.RoleSysadmin)
	br := newBrowser(t, f.srv.URL)
	br.login("zhao", "Console2026")
	if status, body := br.postFile("/contacts/import/preview", "/contacts/import", nil, "big.csv", b.String()); status != 200 || !strings.Contains(body, `"rows":25000`) {
		t.Errorf("console preview of a 3 MB file: %d %.300s", status, body)
	}
}
