package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// sendRequest is the body of POST /api/v1/messages.
type sendRequest struct {
	To        []string `json:"to"`
	Content   string   `json:"content"`
	SendAt    string   `json:"send_at"`
	Ext       string   `json:"ext"`
	ClientRef string   `json:"client_ref"`
	// A templated send: the approved template, its variables' values (an
	// object, or an object of objects keyed by number for a personalised
	// batch) and the signature's name ("" for the default one).
	TemplateID string          `json:"template_id"`
	Params     json.RawMessage `json:"params"`
	Signature  string          `json:"signature"`
	// Address-book recipients: their numbers follow those of to.
	GroupIDs   []string `json:"group_ids"`
	ContactIDs []string `json:"contact_ids"`
}

// ids reads a list of string ids, naming the bad one (field[i]).
func ids(field string, in []string) ([]int64, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > app.MaxRecipients {
		return nil, app.FieldError(field, "%s 最多%d个", field, app.MaxRecipients)
	}
	out := make([]int64, len(in))
	for i, v := range in {
		id, err := parseID(v)
		if err != nil {
			return nil, app.FieldError(fmt.Sprintf("%s[%d]", field, i), "编号无效：%q", v)
		}
		out[i] = id
	}
	return out, nil
}

type sentMessage struct {
	ID        string     `json:"id"`
	To        string     `json:"to"`
	Segments  int        `json:"segments"`
	Status    app.Status `json:"status"`
	ErrorCode string     `json:"error_code,omitempty"`
}

type sendAnswer struct {
	BatchID  string          `json:"batch_id"`
	Accepted int             `json:"accepted"`
	Messages []sentMessage   `json:"messages"`
	Rejected []app.Rejection `json:"rejected"`
	// Review is "pending" when the batch waits for a reviewer (a
	// reviewable sensitive word); absent otherwise.
	Review app.ReviewStatus `json:"review,omitempty"`
}

// sendMessages accepts a send request: 202 with the accepted messages and the
// rejected numbers.
func (s *Server) sendMessages(c echo.Context) error {
	var body sendRequest
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	req := &app.SendRequest{To: body.To, Content: body.Content, Ext: body.Ext, ClientRef: body.ClientRef, Signature: body.Signature}
	var err error
	if req.GroupIDs, err = ids("group_ids", body.GroupIDs); err != nil {
		return err
	}
	if req.ContactIDs, err = ids("contact_ids", body.ContactIDs); err != nil {
		return err
	}
	if body.TemplateID != "" {
		id, err := parseID(body.TemplateID)
		if err != nil {
			return app.FieldError("template_id", "template_id 无效")
		}
		req.TemplateID = id
	}
	if err := parseParams(body.Params, req); err != nil {
		return err
	}
	if body.SendAt != "" {
		t, err := time.Parse(time.RFC3339, body.SendAt)
		if err != nil {
			return app.FieldError("send_at", "send_at 应为带时区的 RFC 3339 时间，如 2026-12-01T09:00:00+08:00")
		}
		req.SendAt = t
	}
	res, err := s.opts.Messages.Send(c.Request().Context(), principal(c), req)
	if err != nil {
		return err
	}
	accepted := 0
	for _, m := range res.Messages {
		if m.Status != app.StatusRejected {
			accepted++
		}
	}
	out := sendAnswer{BatchID: formatID(res.BatchID), Accepted: accepted,
		Messages: make([]sentMessage, len(res.Messages)), Rejected: res.Rejected, Review: res.Review}
	if out.Rejected == nil {
		out.Rejected = []app.Rejection{}
	}
	for i, m := range res.Messages {
		out.Messages[i] = sentMessage{ID: formatID(m.ID), To: m.To, Segments: m.Segments, Status: m.Status, ErrorCode: m.ErrorCode}
	}
	return c.JSON(http.StatusAccepted, out)
}

// parseParams reads "params": {"name": "value"} for every number, or
// {"13800138000": {"name": "value"}, ...} per number. Values may be JSON
// strings or numbers.
func parseParams(raw json.RawMessage, req *app.SendRequest) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return app.FieldError("params", "params 应为对象：{\"变量名\": \"值\"}，或按号码的 {\"号码\": {\"变量名\": \"值\"}}")
	}
	perNumber := 0
	for _, v := range top {
		if t := strings.TrimSpace(string(v)); strings.HasPrefix(t, "{") {
			perNumber++
		}
	}
	switch {
	case perNumber == 0:
		vals, err := paramValues(top, "params")
		req.Params = vals
		return err
	case perNumber < len(top):
		return app.FieldError("params", "params 不能混用公共变量和按号码的变量")
	}
	req.PerNumber = make(map[string]map[string]string, len(top))
	for number, v := range top {
		var inner map[string]json.RawMessage
		if err := json.Unmarshal(v, &inner); err != nil {
			return app.FieldError("params."+number, "号码 %s 的变量应为对象", number)
		}
		vals, err := paramValues(inner, "params."+number)
		if err != nil {
			return err
		}
		req.PerNumber[number] = vals
	}
	return nil
}

func paramValues(m map[string]json.RawMessage, field string) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for k, v := range m {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			out[k] = s
			continue
		}
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return nil, app.FieldError(field+"."+k, "变量 %s 的值应为字符串或数字", k)
		}
		out[k] = n.String()
	}
	return out, nil
}

// message is a message as the API shows it.
type message struct {
	ID          string     `json:"id"`
	BatchID     string     `json:"batch_id"`
	To          string     `json:"to"`
	Content     string     `json:"content"`
	Segments    int        `json:"segments"`
	Status      app.Status `json:"status"`
	ErrorCode   string     `json:"error_code"`
	Channel     string     `json:"channel"`
	CreatedAt   string     `json:"created_at"`
	SubmittedAt string     `json:"submitted_at"`
	DoneAt      string     `json:"done_at"`
}

func (s *Server) toMessage(m *app.Message) message {
	out := message{ID: formatID(m.ID), BatchID: formatID(m.BatchID), To: m.To, Content: m.Content,
		Segments: m.Segments, Status: m.Status, ErrorCode: m.ErrorCode,
		CreatedAt: s.formatTime(m.CreatedAt), SubmittedAt: s.formatTime(m.SubmittedAt), DoneAt: s.formatTime(m.DoneAt)}
	if m.ChannelID != 0 {
		out.Channel = formatID(m.ChannelID)
	}
	return out
}

func (s *Server) getMessage(c echo.Context) error {
	id, err := parseID(c.Param("id"))
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "短信不存在")
	}
	m, err := s.opts.Messages.FindMessageByID(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toMessage(m))
}

func (s *Server) listMessages(c echo.Context) error {
	var f app.MessageFilter
	var err error
	if v := c.QueryParam("batch_id"); v != "" {
		if f.BatchID, err = parseID(v); err != nil {
			return app.FieldError("batch_id", "batch_id 无效")
		}
	}
	f.To, f.Status, f.Cursor = c.QueryParam("to"), app.Status(c.QueryParam("status")), c.QueryParam("cursor")
	// awaiting=reconciliation: submitted, receipt maybe lost, SMSC not askable.
	f.Unreconciled = c.QueryParam("awaiting") == "reconciliation"
	if f.Since, err = queryTime(c, "since"); err != nil {
		return err
	}
	if f.Until, err = queryTime(c, "until"); err != nil {
		return err
	}
	if f.Limit, err = queryLimit(c); err != nil {
		return err
	}
	ms, next, err := s.opts.Messages.FindMessages(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[message]{Items: make([]message, len(ms)), NextCursor: next}
	for i, m := range ms {
		out.Items[i] = s.toMessage(m)
	}
	return c.JSON(http.StatusOK, out)
}
