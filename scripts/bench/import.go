package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/xuri/excelize/v2"
)

// importRun is how an address-book import run beside the load went.
type importRun struct {
	Rows     int     `json:"rows"`
	Seconds  float64 `json:"seconds"` // from the upload to the import's end
	Imported int     `json:"imported"`
	Status   string  `json:"status"`
	Err      string  `json:"error,omitempty"`
}

// contactsXLSX makes a sheet of n contacts with a header, as a user would
// upload it.
func contactsXLSX(n int) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		return nil, err
	}
	if err := sw.SetRow("A1", []any{"姓名", "手机号", "单位", "分组"}); err != nil {
		return nil, err
	}
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{fmt.Sprintf("联系人%d", i), fmt.Sprintf("136%08d", i), "测试单位", fmt.Sprintf("组%d", i%10)}); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	_, err = x.WriteTo(&b)
	return b.Bytes(), err
}

// runImport uploads n contacts into the org book and waits for the import
// to end: what --import-rows runs while the load goes on.
func runImport(ctx context.Context, t *target, n int, progress io.Writer) importRun {
	run := importRun{Rows: n}
	fail := func(err error) importRun { run.Err = err.Error(); return run }
	sheet, err := contactsXLSX(n)
	if err != nil {
		return fail(err)
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("book", "org")
	w.WriteField("on_duplicate", "update")
	fw, _ := w.CreateFormFile("file", "contacts.xlsx")
	fw.Write(sheet)
	w.Close()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, "POST", t.base+"/api/v1/contacts/import", &body)
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Authorization", "Bearer "+t.key)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := benchHTTP.Do(req)
	if err != nil {
		return fail(err)
	}
	var started struct {
		ImportID string `json:"import_id"`
		Message  string `json:"message"`
	}
	json.NewDecoder(resp.Body).Decode(&started)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fail(fmt.Errorf("import: %d %s", resp.StatusCode, started.Message))
	}
	fmt.Fprintf(progress, "bench: import %s of %d contacts started\n", started.ImportID, n)
	for {
		var imp struct {
			Status   string `json:"status"`
			Imported int    `json:"imported"`
			Updated  int    `json:"updated"`
		}
		if _, err := benchCall(ctx, t, "GET", "/api/v1/contact-imports/"+started.ImportID, nil, &imp); err != nil {
			return fail(err)
		}
		if imp.Status != "running" {
			run.Seconds, run.Imported, run.Status = time.Since(start).Seconds(), imp.Imported+imp.Updated, imp.Status
			fmt.Fprintf(progress, "bench: import ended (%s) after %.1f s\n", imp.Status, run.Seconds)
			return run
		}
		select {
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
