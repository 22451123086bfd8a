package ui

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// auditTrail records in the audit log every change made through the API
// (any call but a GET) and every call refused for want of credentials or
// rights. Sending messages is not audited here: each message is its own
// record, with the key that sent it.
func (s *Server) auditTrail(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		var body []byte
		if req.Method != http.MethodGet && req.Body != nil {
			body, _ = io.ReadAll(io.LimitReader(req.Body, maxBody+1))
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		err := next(c)
		code := app.ErrorCode(err)
		refused := code == app.EUNAUTHORIZED || code == app.EFORBIDDEN
		if !refused && (req.Method == http.MethodGet || c.Path() == "/api/v1/messages") {
			return err
		}
		e := &app.AuditEntry{Actor: "api", Action: req.Method + " " + c.Path(), Target: c.Param("id"),
			Summary: redact(body), Result: "ok", IP: c.RealIP(), UserAgent: req.UserAgent()}
		if err != nil {
			e.Result = code
		}
		if p := principal(c); p != nil {
			e.UserID, e.APIKeyID, e.Role, e.DepartmentID = p.UserID, p.APIKeyID, p.Role, p.DepartmentID
		}
		if aerr := s.opts.Audit.Audit(req.Context(), e); aerr != nil {
			s.log.Error("writing the audit log failed", "action", e.Action, "error", aerr)
		}
		return err
	}
}

// redact shortens a JSON body for the log, hiding secrets and masking
// phone numbers.
func redact(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return "(not JSON)"
	}
	for k, v := range m {
		switch k {
		case "password", "secret", "admin_password":
			m[k] = "***"
		case "to", "from", "phone":
			if list, ok := v.([]any); ok {
				m[k] = strconv.Itoa(len(list)) + " numbers"
			} else if s, ok := v.(string); ok {
				m[k] = app.MaskNumber(s)
			}
		}
	}
	out, _ := json.Marshal(m)
	if len(out) > 1000 {
		out = append(out[:1000], "…"...)
	}
	return string(out)
}

type auditOut struct {
	ID           string `json:"id"`
	At           string `json:"at"`
	UserID       string `json:"user_id"`
	APIKeyID     string `json:"app_id"`
	Actor        string `json:"actor"`
	Role         string `json:"role"`
	DepartmentID string `json:"department_id"`
	Action       string `json:"action"`
	Target       string `json:"target"`
	Summary      string `json:"summary"`
	Result       string `json:"result"`
	IP           string `json:"ip"`
	UserAgent    string `json:"user_agent"`
}

// listAudit answers GET /api/v1/audit?user_id=&app_id=&action=&since=&until=&cursor=&limit=.
func (s *Server) listAudit(c echo.Context) error {
	f, err := s.auditFilter(c)
	if err != nil {
		return err
	}
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	list, next, err := s.opts.Audit.FindAudit(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[auditOut]{Items: make([]auditOut, len(list)), NextCursor: next}
	for i, e := range list {
		out.Items[i] = auditOut{ID: formatID(e.ID), At: s.formatTime(e.At), UserID: formatID(e.UserID), APIKeyID: formatID(e.APIKeyID),
			Actor: e.Actor, Role: string(e.Role), DepartmentID: formatID(e.DepartmentID), Action: e.Action, Target: e.Target,
			Summary: e.Summary, Result: e.Result, IP: e.IP, UserAgent: e.UserAgent}
	}
	return c.JSON(http.StatusOK, out)
}

// auditFilter reads the audit listing's query parameters.
func (s *Server) auditFilter(c echo.Context) (app.AuditFilter, error) {
	var f app.AuditFilter
	var err error
	if v := c.QueryParam("user_id"); v != "" {
		if f.UserID, err = parseID(v); err != nil {
			return f, app.FieldError("user_id", "user_id 无效")
		}
	}
	if v := c.QueryParam("app_id"); v != "" {
		if f.APIKeyID, err = parseID(v); err != nil {
			return f, app.FieldError("app_id", "app_id 无效")
		}
	}
	f.Action, f.Cursor = c.QueryParam("action"), c.QueryParam("cursor")
	if f.Since, err = queryTime(c, "since"); err != nil {
		return f, err
	}
	f.Until, err = queryTime(c, "until")
	return f, err
}
