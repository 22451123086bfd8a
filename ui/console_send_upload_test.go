package ui_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"smsgw/app"
)

// upload posts a file to the send page's upload as the page's script does.
func (b *browser) upload(name string, content []byte) (int, map[string]any) {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(content)
	w.Close()
	req, _ := http.NewRequest("POST", b.base+"/send/upload", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("X-CSRF-Token", b.csrf("/send"))
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans map[string]any
	json.NewDecoder(resp.Body).Decode(&ans)
	return resp.StatusCode, ans
}

// xlsxOf builds an XLSX whose first column holds the cells.
func xlsxOf(t *testing.T, cells []string) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, v := range cells {
		x.SetCellValue("Sheet1", fmt.Sprintf("A%d", i+1), v)
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// thousandNumbers is a header and 1,000 rows, 10 of them not numbers (the
// first on line 9).
func thousandNumbers() []string {
	cells := []string{"手机号码"}
	for i := range 1000 {
		if i%100 == 7 {
			cells = append(cells, "不是号码")
		} else {
			cells = append(cells, fmt.Sprintf("139%08d", i))
		}
	}
	return cells
}

func TestConsoleUpload(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "up1", app.RoleOperator)
	b := newBrowser(t, f.srv.URL)
	b.login("up1", "Console2026")

	t.Run("CSVWithBadRowsKeepsTheGoodOnes", func(t *testing.T) {
		csv := "\ufeff手机号码,姓名\n13800138000,张三\n13800138000,重复\nabc,李四\n\n+8613900139000,王五\n12345\n"
		status, ans := b.upload("numbers.csv", []byte(csv))
		if status != 200 {
			t.Fatalf("upload: %d %v", status, ans)
		}
		nums, bad := ans["numbers"].([]any), ans["bad"].([]any)
		if len(nums) != 2 || ans["duplicates"].(float64) != 1 || len(bad) != 2 {
			t.Fatalf("answer %v; want 2 numbers, 1 duplicate, 2 bad rows", ans)
		}
		first := bad[0].(map[string]any)
		if first["line"].(float64) != 4 || first["value"] != "abc" || first["reason"] == "" {
			t.Errorf("first bad row %v; want line 4, abc, with a reason", first)
		}
	})

	t.Run("XLSXOfAThousand", func(t *testing.T) {
		status, ans := b.upload("list.xlsx", xlsxOf(t, thousandNumbers()))
		if status != 200 || len(ans["numbers"].([]any)) != 990 || ans["bad_count"].(float64) != 10 {
			t.Fatalf("xlsx: %d, %d numbers, %v bad; want 990 and 10", status, len(ans["numbers"].([]any)), ans["bad_count"])
		}
		if line := ans["bad"].([]any)[0].(map[string]any)["line"].(float64); line != 9 {
			t.Errorf("first bad line %v; want 9 (the header is line 1)", line)
		}
	})

	t.Run("WrongTypeRefused", func(t *testing.T) {
		status, ans := b.upload("photo.png", []byte("\x89PNG"))
		if status != 400 || !strings.Contains(fmt.Sprint(ans["message"]), "TXT、CSV 或 XLSX") {
			t.Errorf("a PNG: %d %v", status, ans)
		}
	})

	t.Run("WithoutTheTokenRefused", func(t *testing.T) {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		fw, _ := w.CreateFormFile("file", "a.txt")
		fw.Write([]byte("13800138000\n"))
		w.Close()
		req, _ := http.NewRequest("POST", f.srv.URL+"/send/upload", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("an upload without the CSRF token: %d, want 403", resp.StatusCode)
		}
	})

	t.Run("MoreThanOneCallMakesBatchesOfTenThousand", func(t *testing.T) {
		var nums []string
		for i := range 12000 {
			nums = append(nums, fmt.Sprintf("137%08d", i))
		}
		form := url.Values{"csrf": {b.csrf("/send")}, "numbers": {strings.Join(nums, "\n")}, "content": {"【示例单位】全员通知"}, "mode": {"now"}}
		if status, loc, body := b.post("/send", form); status != 303 || loc != "/records" {
			t.Fatalf("12,000 numbers: %d %s %s", status, loc, body)
		}
		_, _, list := b.get("/records")
		if strings.Count(list, `<tr id="batch-`) != 2 || !strings.Contains(list, "<td>10000</td>") || !strings.Contains(list, "<td>2000</td>") {
			t.Errorf("records after 12,000 numbers: want batches of 10000 and 2000")
		}
	})
}

// The size: an XLSX of 100,000 numbers is read whole.
func TestConsoleUploadHundredThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100,000-row file")
	}
	f := newFixture(t)
	consoleUser(t, f, "big", app.RoleOperator)
	b := newBrowser(t, f.srv.URL)
	b.login("big", "Console2026")
	x := excelize.NewFile()
	defer x.Close()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100000 {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		sw.SetRow(cell, []any{fmt.Sprintf("136%08d", i)})
	}
	sw.Flush()
	var buf bytes.Buffer
	x.Write(&buf)
	status, ans := b.upload("all.xlsx", buf.Bytes())
	if status != 200 || len(ans["numbers"].([]any)) != 100000 || ans["bad_count"].(float64) != 0 {
		t.Fatalf("100,000 numbers: %d, %d read, %v bad", status, len(ans["numbers"].([]any)), ans["bad_count"])
	}
}
