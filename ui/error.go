package ui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// statuses maps error codes to HTTP statuses: the one table for the API.
var statuses = map[string]int{
	app.EINVALID:      http.StatusBadRequest,
	app.EUNAUTHORIZED: http.StatusUnauthorized,
	app.EFORBIDDEN:    http.StatusForbidden,
	app.ENOTFOUND:     http.StatusNotFound,
	app.ECONFLICT:     http.StatusConflict,
	app.EQUOTA:        http.StatusPaymentRequired,
	app.ERATELIMIT:    http.StatusTooManyRequests,
	app.EUNAVAILABLE:  http.StatusServiceUnavailable,
	app.ESTORAGE:      http.StatusInsufficientStorage,
	app.EINTERNAL:     http.StatusInternalServerError,

	app.ETEMPLATE_NOT_APPROVED:  http.StatusBadRequest,
	app.ESIGNATURE_NOT_APPROVED: http.StatusBadRequest,
	app.EPARAM_MISSING:          http.StatusBadRequest,
	app.EPARAM_UNKNOWN:          http.StatusBadRequest,
	app.EPARAM_INVALID:          http.StatusBadRequest,
	app.ESENSITIVE_WORD:         http.StatusBadRequest,
	app.ETEMPLATE_CHECK:         http.StatusBadRequest,

	app.EINVALID_NUMBER: http.StatusBadRequest,
	app.EDUPLICATE:      http.StatusBadRequest,
	app.EBLACKLIST:      http.StatusBadRequest,
}

// errorBody is every non-2xx answer's body.
type errorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

// handleError writes err as a JSON error. Only internal errors are logged:
// the others are the caller's, and answered.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	body := errorBody{Code: app.ErrorCode(err), Message: app.ErrorMessage(err)}
	var he *echo.HTTPError
	var ae *app.Error
	body.Details = map[string]any{}
	switch {
	case errors.As(err, &ae) && ae.Details != nil:
		body.Details = ae.Details
	case errors.As(err, &he):
		body.Code, body.Message = httpCode(he.Code), http.StatusText(he.Code)
	}
	status, ok := statuses[body.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if he != nil {
		status = he.Code
	}
	if status == http.StatusInternalServerError {
		s.log.Error("internal error", "method", c.Request().Method, "path", c.Path(), "error", err)
	}
	if s.consolePage(c) {
		if status == http.StatusInternalServerError {
			body.Message = "系统内部错误，请稍后重试或联系管理员"
		}
		data := s.page(c, "出错了", map[string]any{"Message": body.Message, "Code": body.Code})
		if err := s.console.render(c, status, "error.html", data); err != nil {
			s.log.Warn("writing error page failed", "error", err)
		}
		return
	}
	if err := c.JSON(status, body); err != nil {
		s.log.Warn("writing error answer failed", "error", err)
	}
}

// consolePage reports whether c is a logged-in console page (not the API,
// not a script call), which gets its errors as a page.
func (s *Server) consolePage(c echo.Context) bool {
	switch path := c.Request().URL.Path; {
	case strings.HasPrefix(path, "/api/"), path == "/send/upload", path == "/send/upload-params":
		return false
	}
	_, ok := c.Get(userKey).(*app.User)
	return ok
}

// httpCode names echo's own errors (unknown route, wrong method, ...).
func httpCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return app.ENOTFOUND
	case http.StatusUnauthorized:
		return app.EUNAUTHORIZED
	case http.StatusForbidden:
		return app.EFORBIDDEN
	case http.StatusTooManyRequests:
		return app.ERATELIMIT
	case http.StatusRequestEntityTooLarge, http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType, http.StatusBadRequest:
		return app.EINVALID
	}
	return app.EINTERNAL
}
