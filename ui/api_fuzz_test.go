package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// FuzzSendRequest posts any body to POST /api/v1/messages, decoded by the
// real handler and run through the real send policy (app.PlanSend) over
// stored data held in maps: the property is about reading and checking a
// request, not storing it. The handler never panics; every refusal is an
// *app.Error with a code app/error.go lists, and names a known request
// field whenever the body is well-formed JSON of the request's shape; an
// accepted request answers 202 with every number either a message or a
// rejection with a listed code.
func FuzzSendRequest(f *testing.F) {
	for _, s := range []string{
		`{"to":["13800138000"],"content":"【示例单位】您好"}`,
		`{"to":["13800138000","+86 138-0013-8000","13800138003","123"],"content":"【示例单位】优惠来了","ext":"7","client_ref":"r1"}`,
		`{"to":["13800138000"],"content":"【示例单位】赌博"}`,
		`{"to":["13800138000"],"content":"【别的单位】您好"}`,
		`{"to":["13800138000"],"template_id":"1","params":{"code":"123456"}}`,
		`{"to":["13800138000"],"template_id":"1","params":{"code":123456},"signature":"示例单位"}`,
		`{"to":["13800138000","13800138001"],"template_id":"2","params":{"13800138000":{"name":"张三","order":"A1"},"13800138001":{"name":"李四"}}}`,
		`{"to":["13800138000"],"template_id":"2","params":{"13800138000":{"name":"x"},"code":"1"}}`,
		`{"to":["13800138000"],"template_id":"3","params":{"code":"1"}}`,
		`{"to":["13800138000"],"template_id":"x"}`,
		`{"to":["13800138000"],"content":"【示例单位】您好","send_at":"2026-12-01T09:00:00+08:00"}`,
		`{"to":["13800138000"],"content":"【示例单位】您好","send_at":"tomorrow"}`,
		`{"to":"13800138000","content":1}`,
		`{"to":["13800138000"],"content":"【示例单位】您好","Content":"x","PASSWORD":"y"}`,
		`{"to":[],"content":""}`, `{}`, `[]`, `null`, ``, `{"to":["13800138000"]} {}`, `{"to":["1380013800\u0000"]}`,
		`{"to":["13900139001"],"group_ids":["1"],"contact_ids":["5"],"content":"【示例单位】您好","ext":"9"}`,
		`{"group_ids":["1","2"],"content":"【示例单位】您好"}`, `{"contact_ids":["x"],"content":"【示例单位】您好"}`,
		`{"group_ids":["1"],"template_id":"2","params":{"order":"A1"}}`,
	} {
		f.Add([]byte(s), byte(0))
	}
	f.Add([]byte(`{"to":["13800138000"],"content":"【示例单位】您好"}`), byte(1))
	f.Add([]byte(`{"to":["13800138000"],"content":"【示例单位】您好","ext":"1234"}`), byte(2))
	f.Add([]byte(`{"to":["13800138000"],"content":"【示例单位】您好"}`), byte(3))
	callers := []*app.Principal{
		{UserID: 5, DepartmentID: 2, APIKeyID: 8, Role: app.RoleOperator, Scopes: []string{app.ScopeSend}, AllowFreeText: true, Ext: "3"},
		{UserID: 5, DepartmentID: 2, APIKeyID: 9, Role: app.RoleOperator, Scopes: []string{app.ScopeSend}},
		{UserID: 5, DepartmentID: 2, Role: app.RoleOperator, Ext: "12"},
		{UserID: 5, DepartmentID: 2, APIKeyID: 10, Role: app.RoleOperator},
	}
	codes := append(slices.Clone(app.RequestCodes), app.NumberCodes...)
	e := echo.New()
	f.Fuzz(func(t *testing.T, body []byte, who byte) {
		p := callers[int(who)%len(callers)]
		msgs := &planningMessages{}
		s := &Server{opts: Options{Messages: msgs}}
		req := httptest.NewRequest(http.MethodPost, "/api/v1/messages", bytes.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		rec := httptest.NewRecorder()
		c := e.NewContext(req, rec)
		c.Set(principalKey, p)

		err := s.sendMessages(c)
		if msgs.err != "" {
			t.Fatal(msgs.err)
		}
		if err != nil {
			var ae *app.Error
			if !errors.As(err, &ae) || !slices.Contains(codes, ae.Code) || ae.Code == app.EINTERNAL || ae.Message == "" {
				t.Fatalf("%s: refused with %v, not a listed code", body, err)
			}
			field, _ := ae.Details["field"].(string)
			if wellFormed(body) && needsField(ae.Code) && !knownField(field) {
				t.Fatalf("%s: refused with %s on field %q: %s", body, ae.Code, field, ae.Message)
			}
			return
		}
		if rec.Code != http.StatusAccepted {
			t.Fatalf("%s: status %d", body, rec.Code)
		}
		var ans sendAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil {
			t.Fatalf("%s: answer %s: %v", body, rec.Body, err)
		}
		accepted := 0
		for _, m := range ans.Messages {
			if n, err := app.NormalizeNumber(m.To); err != nil || n != m.To || m.Segments < 1 {
				t.Fatalf("%s: message %+v", body, m)
			}
			if m.Status != app.StatusRejected {
				accepted++
			}
		}
		blacklisted := 0
		for _, r := range ans.Rejected {
			if !slices.Contains(codes, r.Code) || r.Message == "" {
				t.Fatalf("%s: rejection %+v", body, r)
			}
			if r.Code == app.EBLACKLIST {
				blacklisted++
			}
		}
		if ans.Accepted != accepted || len(ans.Messages)+len(ans.Rejected)-blacklisted != msgs.total || msgs.total < len(msgs.req.To) {
			t.Fatalf("%s: %d numbers answered as %d accepted of %d messages, %d rejected", body, msgs.total, ans.Accepted, len(ans.Messages), len(ans.Rejected))
		}
	})
}

// wellFormed reports whether body is one JSON object of the request's
// fields with the right types: then a refusal is about a field's value
// and must say which.
func wellFormed(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var r sendRequest
	if err := dec.Decode(&r); err != nil || dec.More() {
		return false
	}
	return bytes.HasPrefix(bytes.TrimSpace(body), []byte("{"))
}

// needsField lists the codes a refusal of a field's value carries.
func needsField(code string) bool {
	switch code {
	case app.EINVALID, app.EPARAM_MISSING, app.EPARAM_UNKNOWN, app.EPARAM_INVALID,
		app.ESENSITIVE_WORD, app.ESIGNATURE_NOT_APPROVED, app.ETEMPLATE_NOT_APPROVED:
		return true
	}
	return false
}

func knownField(f string) bool {
	switch f {
	case "to", "content", "send_at", "ext", "client_ref", "template_id", "params", "signature", "group_ids", "contact_ids":
		return true
	}
	for _, list := range []string{"group_ids[", "contact_ids["} {
		if strings.HasPrefix(f, list) && strings.HasSuffix(f, "]") {
			return true
		}
	}
	return strings.HasPrefix(f, "params.") && utf8.ValidString(f)
}

// planningMessages is the message service as far as the policy goes:
// Send plans the request with app.PlanSend over sendWorld and answers
// what the store would, storing nothing. err records a broken plan.
type planningMessages struct {
	app.MessageService
	req   *app.SendRequest
	total int // numbers the plan took, the address books' included
	err   string
}

func (m *planningMessages) Send(_ context.Context, p *app.Principal, req *app.SendRequest) (*app.SendResult, error) {
	m.req = req
	plan, err := app.PlanSend(req, p, time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC), sendWorld{})
	if err != nil {
		return nil, err
	}
	if plan.Earlier != nil {
		return plan.Earlier, nil
	}
	m.total = plan.Batch.Total
	res := &app.SendResult{BatchID: 1, Rejected: plan.Batch.Rejected}
	for i, pm := range plan.Messages {
		st := plan.Status
		if pm.Code != "" {
			st = app.StatusRejected
		}
		content := pm.Content
		if content == "" {
			content = plan.Batch.Content
		}
		if err := app.ValidateContent(content); err != nil || pm.Segments != app.CountSegments(content).Count {
			m.err = "planned a message that cannot be sent as billed: " + content
		}
		res.Messages = append(res.Messages, app.SentMessage{ID: int64(i + 1), To: pm.To, Segments: pm.Segments, Status: st, ErrorCode: pm.Code})
	}
	return res, nil
}

// sendWorld is the stored data the policy asks about: the approved
// signature 示例单位, a blocking and a reviewable word, an approved, a
// personalised and a pending template, a failed batch and a blacklisted
// number.
type sendWorld struct{}

func (sendWorld) EarlierSend(ref string) (*app.SendResult, error) {
	if ref == "ref-1" {
		return &app.SendResult{BatchID: 7, Duplicate: true}, nil
	}
	return nil, app.Errorf(app.ENOTFOUND, "no batch")
}

func (sendWorld) Words() (*app.Matcher, error) {
	return app.NewMatcher([]app.WordList{{Name: "违禁", Action: app.WordBlock, Words: []string{"赌博"}},
		{Name: "营销", Action: app.WordReview, Words: []string{"优惠"}}}), nil
}

func (sendWorld) Template(id int64) (*app.Template, error) {
	switch id {
	case 1:
		return &app.Template{ID: 1, Status: app.ReviewApproved, LiveVersion: 1, LiveContent: "验证码${code}，5分钟内有效。",
			LiveVars: map[string]app.VarRule{"code": {Type: app.VarDigits, MaxLen: 6}}}, nil
	case 2:
		return &app.Template{ID: 2, Status: app.ReviewApproved, LiveVersion: 1, LiveContent: "${name}您好，订单${order}已发货",
			LiveVars: map[string]app.VarRule{"name": {Type: app.VarText, MaxLen: 10}, "order": {Type: app.VarAlnum, MaxLen: 12}}}, nil
	case 3:
		return &app.Template{ID: 3, Status: app.ReviewPending, Version: 1, Content: "待审${code}"}, nil
	}
	return nil, app.Errorf(app.ENOTFOUND, "模板不存在")
}

func (sendWorld) SignatureApproved(name string) error {
	if name != "示例单位" {
		e := app.Errorf(app.ESIGNATURE_NOT_APPROVED, "签名【%s】未审核通过", name)
		e.Details = map[string]any{"field": "signature"}
		return e
	}
	return nil
}

func (sendWorld) DefaultSignature() (string, error) { return "示例单位", nil }

func (sendWorld) FailedTexts(batch int64) (string, map[string]string, error) {
	if batch == 9 {
		return "【示例单位】原批次", map[string]string{"13800138001": "【示例单位】第一条"}, nil
	}
	return "", nil, app.Errorf(app.ENOTFOUND, "原批次没有可重发的失败号码")
}

// ExtCodes: another department's code 99 on the platform.
func (sendWorld) ExtCodes(ext string) ([]app.ExtCode, error) {
	if strings.HasPrefix("99", ext) || strings.HasPrefix(ext, "99") {
		return []app.ExtCode{{Code: "99", DepartmentID: 7, Department: "七处"}}, nil
	}
	return nil, nil
}

// Recipients: group 1 holds two contacts, one of them the blacklisted
// number; contact 5 is another; nothing else is seen.
func (sendWorld) Recipients(groupIDs, contactIDs []int64) ([]*app.Contact, error) {
	var out []*app.Contact
	for i, g := range groupIDs {
		if g != 1 {
			return nil, app.FieldError(fmt.Sprintf("group_ids[%d]", i), "分组 %d 不存在", g)
		}
		out = append(out, &app.Contact{ID: 3, Name: "张三", Phone: "13900139001", Company: "一局"},
			&app.Contact{ID: 4, Name: "李四", Phone: "13800138003"})
	}
	for i, id := range contactIDs {
		if id != 5 {
			return nil, app.FieldError(fmt.Sprintf("contact_ids[%d]", i), "联系人 %d 不存在", id)
		}
		out = append(out, &app.Contact{ID: 5, Name: "王五", Phone: "13700137000"})
	}
	return out, nil
}

func (sendWorld) Blacklisted(phones []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, p := range phones {
		if p == "13800138003" {
			out[p] = true
		}
	}
	return out, nil
}
