package ui

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// 个性化群发 from the console: a table whose first column is the number and
// whose header names the template's variables, one row per number.

// personalAnswer is what the send page gets back for such a table.
type personalAnswer struct {
	Numbers    []string                     `json:"numbers"`
	Params     map[string]map[string]string `json:"params"` // by number
	Duplicates int                          `json:"duplicates"`
	Bad        []badRow                     `json:"bad"` // the first 200
	BadCount   int                          `json:"bad_count"`
}

// uploadPersonal reads the table for the template named by template_id:
// its header must name every variable of the template's approved version
// and no other. Rows with a bad number are listed by line and skipped.
func (s *Server) uploadPersonal(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if err := checkCSRF(c, s.console.session(c)); err != nil {
		return err
	}
	id, err := parseID(c.FormValue("template_id"))
	if err != nil {
		return app.FieldError("template_id", "请先选择模板")
	}
	t, err := s.opts.Templates.FindTemplateByID(c.Request().Context(), p, id)
	if err != nil {
		return err
	} else if !t.Usable() {
		return app.FieldError("template_id", "模板尚未审核通过")
	}
	rows, err := uploadedTable(c, "file")
	if err != nil {
		return err
	}
	if len(rows) < 2 {
		return app.FieldError("file", "表格应有表头和至少一行号码")
	}
	cols, err := paramColumns(rows[0], t.LiveVars)
	if err != nil {
		return err
	}
	ans := personalAnswer{Numbers: []string{}, Params: map[string]map[string]string{}, Bad: []badRow{}}
	for i, r := range rows[1:] {
		line := i + 2
		raw := strings.TrimSpace(r[0])
		if raw == "" {
			continue
		}
		n, err := app.NormalizeNumber(raw)
		if err != nil {
			ans.BadCount++
			if len(ans.Bad) < 200 {
				ans.Bad = append(ans.Bad, badRow{Line: line, Value: raw, Reason: app.ErrorMessage(err)})
			}
			continue
		}
		if _, dup := ans.Params[n]; dup {
			ans.Duplicates++
			continue
		}
		values := make(map[string]string, len(cols))
		for name, col := range cols {
			if col < len(r) {
				values[name] = strings.TrimSpace(r[col])
			} else {
				values[name] = ""
			}
		}
		ans.Numbers, ans.Params[n] = append(ans.Numbers, n), values
		if len(ans.Numbers) > app.MaxRecipients {
			return app.FieldError("file", "个性化群发一次最多%d个号码，请拆分表格", app.MaxRecipients)
		}
	}
	return c.JSON(http.StatusOK, ans)
}

// paramColumns maps the template's variables to the header's columns: the
// first column is the number, every other one a variable, and every
// variable needs one.
func paramColumns(header []string, vars map[string]app.VarRule) (map[string]int, error) {
	cols := map[string]int{}
	for i, h := range header[1:] {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "" {
			continue
		}
		if _, ok := vars[h]; !ok {
			return nil, app.FieldError("file", "表头第%d列“%s”不是模板的变量（变量：%s）", i+2, h, varNames(vars))
		}
		cols[h] = i + 1
	}
	for name := range vars {
		if _, ok := cols[name]; !ok {
			return nil, app.FieldError("file", "表头缺少变量“%s”的列（第一列为号码，其后每列表头为变量名：%s）", name, varNames(vars))
		}
	}
	return cols, nil
}

// varNames lists the variables, sorted, for a message.
func varNames(vars map[string]app.VarRule) string {
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, "、")
}

// perNumberParams reads the send form's per_number field (JSON, from the
// table upload) into the request.
func perNumberParams(v string, req *app.SendRequest) error {
	if v == "" {
		return nil
	}
	var per map[string]map[string]string
	if err := json.Unmarshal([]byte(v), &per); err != nil {
		return app.FieldError("per_number", "个性化变量无法读取，请重新上传表格")
	}
	if len(per) > app.MaxRecipients {
		return app.FieldError("per_number", "个性化群发一次最多%d个号码", app.MaxRecipients)
	}
	// The numbers box may have been edited since the upload: values for
	// numbers no longer in it are dropped.
	kept := make(map[string]bool, len(req.To))
	for _, raw := range req.To {
		if n, err := app.NormalizeNumber(raw); err == nil {
			kept[n] = true
		}
	}
	for n := range per {
		if norm, err := app.NormalizeNumber(n); err != nil || !kept[norm] {
			delete(per, n)
		}
	}
	req.PerNumber, req.Params = per, nil
	return nil
}
