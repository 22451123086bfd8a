package ui

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// sendPage is 发送短信: one form for one number or many.
func (s *Server) sendPage(c echo.Context) error {
	if !mayConsoleSend(c.Get(principalKey).(*app.Principal)) {
		return s.forbidden(c)
	}
	return s.renderSend(c, http.StatusOK, map[string]any{})
}

func (s *Server) renderSend(c echo.Context, status int, data map[string]any) error {
	b := make([]byte, 12)
	rand.Read(b)
	data["Token"] = hex.EncodeToString(b)
	data["MaxNumbers"] = maxUploadNumbers
	if err := s.sendChoices(c, data); err != nil {
		return err
	}
	return s.console.render(c, status, "send.html", s.page(c, "发送短信", data))
}

// sendTemplate is an approved template as the send page offers it.
type sendTemplate struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Content string   `json:"content"`
	Vars    []string `json:"vars"`
}

// sendChoices gives the send page the templates and signatures the user may
// send with, and whether free text is allowed.
func (s *Server) sendChoices(c echo.Context, data map[string]any) error {
	p := c.Get(principalKey).(*app.Principal)
	tpls := []sendTemplate{}
	sigs := []string{}
	ctx := c.Request().Context()
	list, _, err := s.opts.Templates.FindTemplates(ctx, p, app.TemplateFilter{ForSending: true, Limit: 1000})
	if err != nil {
		return err
	}
	for _, t := range list {
		if t.Usable() {
			vars, _ := app.TemplateVars(t.LiveContent)
			tpls = append(tpls, sendTemplate{ID: formatID(t.ID), Name: t.Name, Content: t.LiveContent, Vars: vars})
		}
	}
	found, err := s.opts.Templates.FindSignatures(ctx, p, app.SignatureFilter{ForSending: true})
	if err != nil {
		return err
	}
	for _, g := range found {
		sigs = append(sigs, g.Name)
	}
	data["Templates"], data["Signatures"], data["FreeText"] = tpls, sigs, !p.TemplatesOnly
	return s.sendGroups(c, p, data)
}

// sendGroup is an address-book group as the send page offers it.
type sendGroup struct {
	ID      int64
	Label   string
	Count   int
	Checked bool
}

// sendGroups gives the send page the address-book groups the user sees,
// those of the form being shown again ticked.
func (s *Server) sendGroups(c echo.Context, p *app.Principal, data map[string]any) error {
	groups, err := s.opts.Contacts.FindGroups(c.Request().Context(), p, app.GroupFilter{})
	if err != nil {
		return err
	}
	ticked := map[int64]bool{}
	if ids, ok := data["GroupIDs"].([]int64); ok {
		for _, id := range ids {
			ticked[id] = true
		}
	} else if id, err := strconv.ParseInt(c.QueryParam("group_id"), 10, 64); err == nil {
		ticked[id] = true // 发送 from the 通讯录 page
	}
	_, names, err := s.departments(c, p)
	if err != nil {
		return err
	}
	out := make([]sendGroup, 0, len(groups))
	for _, g := range groups {
		where := names[g.DepartmentID]
		if where == "" {
			where = "上级部门"
		}
		label := g.Book.Label() + " · " + where + " · " + g.Name
		if g.Book == app.BookPersonal {
			label = g.Book.Label() + " · " + g.Name
		}
		out = append(out, sendGroup{ID: g.ID, Label: label, Count: g.Count, Checked: ticked[g.ID]})
	}
	data["Groups"] = out
	// The contacts picked before a refused send are picked again.
	type picked struct {
		ID    string `json:"id"`
		Label string `json:"label"`
	}
	again := []picked{}
	ids, _ := data["ContactIDs"].([]int64)
	for _, id := range ids[:min(len(ids), 200)] {
		if ct, err := s.opts.Contacts.Contact(c.Request().Context(), p, id); err == nil {
			again = append(again, picked{ID: formatID(ct.ID), Label: ct.Name + " " + ct.Phone})
		}
	}
	data["Picked"] = again
	return nil
}

// formIDs reads a form's repeated id field, ignoring what is not an id.
func formIDs(c echo.Context, name string) []int64 {
	form, _ := c.FormParams()
	var ids []int64
	for _, v := range form[name] {
		if id, err := parseID(v); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// sendRecipients answers the send page's live count (POST /send/recipients,
// the numbers typed and the groups ticked): what the send would do with
// them, by the send policy's own rules.
func (s *Server) sendRecipients(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if !mayConsoleSend(p) {
		return app.Errorf(app.EFORBIDDEN, "审计员只能查看，不能发送")
	}
	if err := checkCSRF(c, s.console.session(c)); err != nil {
		return err
	}
	t, err := s.opts.Contacts.TallyRecipients(c.Request().Context(), p,
		&app.SendRequest{To: splitNumbers(c.FormValue("numbers")), GroupIDs: formIDs(c, "group_ids"), ContactIDs: formIDs(c, "contact_ids")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"sendable": t.Sendable, "from_books": t.FromBooks, "duplicates": t.Duplicates,
		"invalid": t.Invalid, "blacklisted": t.Blacklisted})
}

// send accepts the form. A form is sent once: its token remembers the batch
// it made, so a double click or a reload after the answer leads to that
// batch instead of a second one.
func (s *Server) send(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if ok, err := s.formAllowed(c, mayConsoleSend(p)); !ok {
		return err
	}
	sess := s.console.session(c)
	token := c.FormValue("token")
	sent, _ := sess.Values["sent"].(map[string]int64)
	if id, ok := sent[token]; ok && token != "" {
		return c.Redirect(http.StatusSeeOther, "/records/"+formatID(id)+"?sent=1")
	}
	form := map[string]any{"Numbers": c.FormValue("numbers"), "Content": c.FormValue("content"),
		"Mode": c.FormValue("mode"), "SendAt": c.FormValue("send_at")}
	fail := func(field, msg string) error {
		form["Error"], form["Field"] = msg, field
		return s.renderSend(c, http.StatusBadRequest, form)
	}
	req := &app.SendRequest{To: splitNumbers(c.FormValue("numbers")), Content: strings.TrimSpace(c.FormValue("content")),
		GroupIDs: formIDs(c, "group_ids"), ContactIDs: formIDs(c, "contact_ids")}
	form["GroupIDs"], form["ContactIDs"] = req.GroupIDs, req.ContactIDs
	if v := c.FormValue("template_id"); v != "" && c.FormValue("kind") == "template" {
		id, err := parseID(v)
		if err != nil {
			return fail("template_id", "请选择模板")
		}
		req.TemplateID, req.Content, req.Signature = id, "", c.FormValue("signature")
		req.Params = map[string]string{}
		values, _ := c.FormParams()
		for k, v := range values {
			if name, ok := strings.CutPrefix(k, "param_"); ok && len(v) > 0 {
				req.Params[name] = strings.TrimSpace(v[0])
			}
		}
		if err := perNumberParams(c.FormValue("per_number"), req); err != nil {
			return fail("per_number", app.ErrorMessage(err))
		}
		form["TemplateID"], form["Kind"], form["Params"] = v, "template", req.Params
	}
	if c.FormValue("mode") == "scheduled" {
		t, err := time.ParseInLocation("2006-01-02T15:04", c.FormValue("send_at"), s.opts.Location)
		if err != nil {
			return fail("send_at", "请选择定时发送的日期和时间")
		}
		if !t.After(time.Now()) {
			return fail("send_at", "定时发送时间须晚于现在")
		}
		req.SendAt = t
	}
	if len(req.To) == 0 && len(req.GroupIDs) == 0 && len(req.ContactIDs) == 0 {
		return fail("numbers", "请至少填写一个手机号码，或选择通讯录分组、联系人")
	}
	parts, err := s.sendParts(c, p, req)
	if err != nil {
		if systemFault(err) {
			return err
		}
		field, _ := errorField(err)
		return fail(field, app.ErrorMessage(err))
	}
	// More than an API call may carry goes as batches of 10,000, stored
	// together: the balance pays for all of them or none is sent.
	var res *app.SendResult
	if len(parts) == 1 {
		res, err = s.opts.Messages.Send(c.Request().Context(), p, parts[0])
	} else {
		var all []*app.SendResult
		if all, err = s.opts.Messages.SendAll(c.Request().Context(), p, parts); err == nil {
			res = all[0]
		}
	}
	if err != nil {
		if systemFault(err) {
			return err
		}
		field, _ := errorField(err)
		return fail(field, app.ErrorMessage(err))
	}
	if sent == nil || len(sent) > 20 {
		sent = map[string]int64{}
	}
	sent[token] = res.BatchID
	sess.Values["sent"] = sent
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	if len(parts) > 1 {
		return c.Redirect(http.StatusSeeOther, "/records")
	}
	return c.Redirect(http.StatusSeeOther, "/records/"+formatID(res.BatchID)+"?sent=1")
}

// splitNumbers takes numbers as typed or pasted: one a line, or separated by
// commas, semicolons or spaces (full-width too).
func splitNumbers(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == '\n' || r == '\r' || r == ',' || r == ';' || r == ' ' || r == '\t' || r == '，' || r == '；' || r == '、' || r == '\u3000'
	})
}

// errorField is the form field a domain error names, if any.
func errorField(err error) (string, bool) {
	var ae *app.Error
	if !errors.As(err, &ae) || ae.Details == nil {
		return "", false
	}
	f, ok := ae.Details["field"].(string)
	return f, ok
}

// sendParts splits a console send into requests of at most 10,000 numbers
// each. Address-book recipients are looked up here, each number once after
// the typed ones, and go as contact ids (so their fields still fill the
// template) in the part where their turn falls: no number is sent twice.
func (s *Server) sendParts(c echo.Context, p *app.Principal, req *app.SendRequest) ([]*app.SendRequest, error) {
	var contacts []*app.Contact
	if len(req.GroupIDs) > 0 || len(req.ContactIDs) > 0 {
		var err error
		if contacts, err = s.opts.Contacts.Recipients(c.Request().Context(), p, req.GroupIDs, req.ContactIDs); err != nil {
			return nil, err
		}
	}
	typed := make(map[string]bool, len(req.To))
	for _, raw := range req.To {
		if n, err := app.NormalizeNumber(raw); err == nil {
			typed[n] = true
		}
	}
	var ids []int64
	for _, ct := range contacts {
		if !typed[ct.Phone] {
			typed[ct.Phone] = true
			ids = append(ids, ct.ID)
		}
	}
	if n := len(req.To) + len(ids); n == 0 {
		return nil, app.FieldError("group_ids", "所选分组和联系人中没有号码")
	} else if n > maxUploadNumbers {
		return nil, app.FieldError("numbers", "连同通讯录共%d个号码，一次最多发送%d个，请分批发送", n, maxUploadNumbers)
	}
	var parts []*app.SendRequest
	to, rest := req.To, ids
	for len(to) > 0 || len(rest) > 0 || len(parts) == 0 {
		part := *req
		part.GroupIDs = nil
		n := min(len(to), app.MaxRecipients)
		part.To, to = to[:n], to[n:]
		k := min(len(rest), app.MaxRecipients-n)
		part.ContactIDs, rest = rest[:k], rest[k:]
		parts = append(parts, &part)
	}
	return parts, nil
}
