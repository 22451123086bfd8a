package ui

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
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
	rows, err := uploadedTable(c, "file")
	if err != nil {
		return err
	}
	ans := uploadAnswer{Numbers: []string{}, Bad: []badRow{}}
	seen := map[string]bool{}
	for i, r := range rows {
		v := strings.TrimSpace(r[0])
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
