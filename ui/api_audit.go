package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// auditTrail records in the audit log every change made through the API
// (any call but a GET) and every call refused for want of credentials or
// rights. Sending messages is not audited here: each message is its own
// record, with the key that sent it.
//
// The entry is built before the handler runs and put in the request's
// context (app.WithAudit): the store writes it in the transaction of the
// first change the request makes, so a change and its entry commit
// together and a client that hangs up cannot part them (issue 14, item 1).
// After the handler, an entry no change carried (the call was refused,
// failed, or changed nothing) is written on its own, with a context the
// client cannot cancel.
func (s *Server) auditTrail(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		var body []byte
		if req.Method != http.MethodGet && req.Body != nil {
			// The summary reads at most a JSON body's worth; the handler
			// still gets the whole body (an uploaded file is larger).
			body, _ = io.ReadAll(io.LimitReader(req.Body, maxBody+1))
			req.Body = readCloser{io.MultiReader(bytes.NewReader(body), req.Body), req.Body}
		}
		changes := req.Method != http.MethodGet && c.Path() != "/api/v1/messages"
		e := &app.AuditEntry{Actor: "api", Action: req.Method + " " + c.Path(), Target: c.Param("id"),
			Summary: redact(body), Result: "ok", IP: c.RealIP(), UserAgent: req.UserAgent()}
		// Who the caller is is known only once authenticate has run, after
		// this middleware: the entry is completed when a change claims it.
		complete := func(e *app.AuditEntry) bool {
			p := principal(c)
			if p == nil {
				return false
			}
			e.UserID, e.APIKeyID, e.Role, e.DepartmentID = p.UserID, p.APIKeyID, p.Role, p.DepartmentID
			return true
		}
		var pending *app.PendingAudit
		if changes {
			ctx := app.WithAudit(req.Context(), e, complete)
			pending = app.PendingAuditOf(ctx)
			c.SetRequest(req.WithContext(ctx))
		}
		err := next(c)
		code := app.ErrorCode(err)
		refused := code == app.EUNAUTHORIZED || code == app.EFORBIDDEN
		if !refused && !changes || pending != nil && pending.Written() {
			return err
		}
		if pending != nil {
			e = pending.Entry()
		} else {
			complete(e)
		}
		if err != nil {
			e.Result = code
		}
		// Not the request's context: the client may be gone, the entry
		// must still be written.
		ctx := context.WithoutCancel(req.Context())
		write := s.opts.Audit.Audit
		if e.UserID == 0 && e.APIKeyID == 0 {
			write = s.opts.Audit.AuditRefused // counted, not stored one by one (issue 14, item 4)
		}
		if aerr := write(ctx, e); aerr != nil {
			s.log.Error("writing the audit log failed", "action", e.Action, "error", aerr)
		}
		return err
	}
}

// redact shortens a JSON body for the log, hiding secrets and masking
// phone numbers at any depth (issue 14, item 6). Keys are matched without
// regard to case, as encoding/json matches them to a handler's fields: a
// "Password" reaches the handler as surely as a "password". Secrets become
// "***"; a number under a phone key, or any string that reads as a mobile
// number, is masked with app.MaskNumber; a list of numbers is summarised as
// "N numbers". The result is capped at maxSummary bytes.
func redact(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		return "(not JSON)"
	}
	out, _ := json.Marshal(redactValue(v, false))
	return capText(string(out), maxSummary)
}

// maxSummary caps a redacted body in the audit log; the store caps every
// field again (store/audit_limits.go).
const maxSummary = 1000

// secretSuffixes name the fields redact hides, lower case: a key equal to
// one or ending in one ("smpp_password", "client_secret", "access_token").
// phoneKeys name the fields that hold phone numbers.
var (
	secretSuffixes = []string{"password", "passwd", "secret", "token", "api_key", "apikey", "authorization"}
	phoneKeys      = []string{"to", "from", "phone", "phones", "mobile", "mobiles", "number", "numbers", "msisdn"}
)

func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range secretSuffixes {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

func phoneKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range phoneKeys {
		if k == s || strings.HasSuffix(k, "_"+s) {
			return true
		}
	}
	return false
}

// redactValue rewrites one decoded JSON value; phone says it sits under a
// phone key.
func redactValue(v any, phone bool) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch {
			case secretKey(k):
				v[k] = "***"
			case phoneKey(k):
				v[k] = redactValue(x, true)
			default:
				v[k] = redactValue(x, false)
			}
		}
		return v
	case []any:
		if phone && allScalars(v) {
			return strconv.Itoa(len(v)) + " numbers"
		}
		for i, x := range v {
			v[i] = redactValue(x, phone)
		}
		return v
	case string:
		if phone || looksLikeMobile(v) {
			return app.MaskNumber(v)
		}
		return v
	case float64:
		if phone || looksLikeMobile(strconv.FormatFloat(v, 'f', -1, 64)) {
			return app.MaskNumber(strconv.FormatFloat(v, 'f', -1, 64))
		}
		return v
	}
	return v
}

func allScalars(list []any) bool {
	for _, x := range list {
		switch x.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// looksLikeMobile reports whether s holds a mainland mobile number in one
// of the forms a caller may write it ("13800138000", "+86 138-0013-8000"),
// alone or inside a longer text: such text is masked whole rather than
// picked apart.
func looksLikeMobile(s string) bool {
	var digits []byte
	check := func() bool {
		d := digits
		digits = digits[:0]
		if len(d) > 11 {
			d = bytes.TrimPrefix(bytes.TrimPrefix(d, []byte("00")), []byte("86"))
		}
		return len(d) == 11 && d[0] == '1'
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case len(digits) > 0 && (c == ' ' || c == '-'):
			// a separator inside a number
		default:
			if check() {
				return true
			}
		}
	}
	return check()
}

// capText cuts s to at most max bytes at a UTF-8 boundary, marking the cut.
func capText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const mark = "…"
	cut := max - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
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
	Count        int    `json:"count"` // the calls the entry stands for (refused calls are counted, not stored one by one)
	// Names, as the console shows them: who (the user, the app or the
	// command line's account), the department and the role in Chinese.
	ActorName      string `json:"actor_name"`
	DepartmentName string `json:"department_name"`
	RoleName       string `json:"role_name"`
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
	names, err := s.auditNamesFor(c, principal(c))
	if err != nil {
		return err
	}
	out := listing[auditOut]{Items: make([]auditOut, len(list)), NextCursor: next}
	for i, e := range list {
		role := ""
		if e.Role != "" {
			role = roleLabel(e.Role)
		}
		out.Items[i] = auditOut{ID: formatID(e.ID), At: s.formatTime(e.At), UserID: formatID(e.UserID), APIKeyID: formatID(e.APIKeyID),
			Actor: e.Actor, Role: string(e.Role), DepartmentID: formatID(e.DepartmentID), Action: e.Action, Target: e.Target,
			Summary: e.Summary, Result: e.Result, IP: e.IP, UserAgent: e.UserAgent, Count: max(e.Count, 1),
			ActorName: names.actor(e), DepartmentName: names.department(e.DepartmentID), RoleName: role}
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

// readCloser reads from one reader and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}
