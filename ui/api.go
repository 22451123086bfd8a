package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// maxBody caps a request body: 10,000 numbers and 500 characters fit easily.
const maxBody = 2 << 20

type listing[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// decodeJSON reads a JSON body strictly: unknown fields are named errors, so
// a misspelt field never silently does nothing.
func decodeJSON(c echo.Context, v any) error {
	r := http.MaxBytesReader(c.Response(), c.Request().Body, maxBody)
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return app.Errorf(app.EINVALID, "请求体过大（上限 %d 字节）", maxBody)
		case errors.As(err, &ute):
			return app.FieldError(ute.Field, "字段 %s 的类型不对，应为 %s", ute.Field, ute.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return app.FieldError(field, "未知字段：%s", field)
		case errors.Is(err, io.EOF):
			return app.Errorf(app.EINVALID, "请求体为空，应为 JSON")
		default:
			return app.Errorf(app.EINVALID, "JSON 格式错误：%v", err)
		}
	}
	if dec.More() {
		return app.Errorf(app.EINVALID, "JSON 之后还有多余内容")
	}
	return nil
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("bad id %q", s)
	}
	return id, nil
}

func (s *Server) formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.opts.Location).Format(timeFormat)
}

func queryTime(c echo.Context, name string) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return time.Time{}, nil
	}
	// An unencoded "+08:00" in a query string arrives as " 08:00".
	t, err := time.Parse(time.RFC3339, strings.Replace(v, " ", "+", 1))
	if err != nil {
		return t, app.FieldError(name, "%s 应为带时区的 RFC 3339 时间，如 2026-12-01T09:00:00%%2B08:00", name)
	}
	return t, nil
}

func queryLimit(c echo.Context) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return 0, app.FieldError("limit", "limit 应在1到1000之间")
	}
	return n, nil
}

// timeFormat is RFC 3339 with milliseconds, so integrators can measure
// delivery times finer than a second.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"
