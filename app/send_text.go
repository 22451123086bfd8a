package app

import (
	"errors"
	"sort"
)

// rowTexts gives each number of a request its own text.
type rowTexts interface {
	text(phone string) (string, error)
}

// sendContent works out the batch's text: the free text, checked; or the
// templated text with the signature in front, filled with the shared
// params, or (personalised) a filler for each number's; or, resending a
// batch's failures, what each number was sent before. hold says why a free
// text must wait for a reviewer ("" when it need not).
func sendContent(req *SendRequest, to []string, books map[string]*Contact, p *Principal, look SendLookup) (content string, texts rowTexts, hold string, err error) {
	words, err := look.Words()
	if err != nil {
		return "", nil, "", err
	}
	if req.ResendOf != 0 && req.Content == "" && req.TemplateID == 0 {
		content, texts, err = resendTexts(req.ResendOf, words, look)
		return content, texts, "", err
	}
	if req.TemplateID == 0 {
		if err := checkFreeText(req.Content, p, look); err != nil {
			return "", nil, "", err
		}
		hold, err := CheckText(req.Content, words)
		return req.Content, nil, hold, err
	}
	t, err := sendTemplate(req.TemplateID, look)
	if err != nil {
		return "", nil, "", err
	}
	sig := req.Signature
	if sig == "" {
		sig, err = look.DefaultSignature()
	} else {
		err = look.SignatureApproved(sig)
	}
	if err != nil {
		return "", nil, "", err
	}
	f := &filler{prefix: "【" + sig + "】", t: t, words: words}
	fromBooks := booksFill(t, books)
	if req.PerNumber == nil && fromBooks == nil {
		text, err := f.fill(req.Params)
		return text, nil, "", err
	}
	f.params, f.shared = map[string]map[string]string{}, req.Params
	if req.PerNumber != nil {
		if f.params, err = byNumber(req.PerNumber, to); err != nil {
			return "", nil, "", err
		}
	}
	for n, values := range fromBooks {
		given := f.params[n]
		if given == nil && req.PerNumber == nil {
			given = req.Params
		}
		for k, v := range given {
			if _, fromContact := values[k]; fromContact && v == "" {
				continue // a blank in the form leaves the contact's value
			}
			values[k] = v // what the request gives wins over the contact
		}
		f.params[n] = values
	}
	return f.prefix + t.LiveContent, f, "", nil
}

// contactFields are the template variables a contact fills, by name.
var contactFields = map[string]func(*Contact) string{
	"name": func(c *Contact) string { return c.Name }, "姓名": func(c *Contact) string { return c.Name },
	"company": func(c *Contact) string { return c.Company }, "单位": func(c *Contact) string { return c.Company },
	"title": func(c *Contact) string { return c.Title }, "职务": func(c *Contact) string { return c.Title },
}

// booksFill is the values each address-book number's contact gives the
// template's variables; nil when the template uses no contact field or no
// number came from a book.
func booksFill(t *Template, books map[string]*Contact) map[string]map[string]string {
	var vars []string
	for v := range t.LiveVars {
		if contactFields[v] != nil {
			vars = append(vars, v)
		}
	}
	if len(vars) == 0 || len(books) == 0 {
		return nil
	}
	out := make(map[string]map[string]string, len(books))
	for n, c := range books {
		values := make(map[string]string, len(t.LiveVars))
		for _, v := range vars {
			values[v] = contactFields[v](c)
		}
		out[n] = values
	}
	return out
}

// checkFreeText enforces that the caller may send free text at all (an API
// app created so; a console user of a department that does not require
// templates), and that the text starts with an approved signature (【name】)
// of the caller's department or one above it.
func checkFreeText(content string, p *Principal, look SendLookup) error {
	if err := p.MaySendFreeText(); err != nil {
		return err
	}
	name, ok := LeadingSignature(content)
	if !ok {
		return FieldError("content", "短信内容须以签名开头，如【示例单位】")
	}
	var e *Error
	if err := look.SignatureApproved(name); errors.As(err, &e) {
		if e.Details == nil {
			e.Details = map[string]any{}
		}
		e.Details["field"] = "content"
		return e
	} else if err != nil {
		return err
	}
	return nil
}

// sendTemplate is the template a send names, if it has an approved version.
func sendTemplate(id int64, look SendLookup) (*Template, error) {
	t, err := look.Template(id)
	if err != nil {
		return nil, err
	}
	if !t.Usable() {
		msg := "模板待审核，审核通过后才能发送"
		if t.Status == ReviewRejected {
			msg = "模板已被驳回：" + t.Reason
		}
		e := Errorf(ETEMPLATE_NOT_APPROVED, "%s", msg)
		e.Details = map[string]any{"field": "template_id", "status": string(t.Status)}
		return nil, e
	}
	return t, nil
}

// filler fills one approved template for many numbers.
type filler struct {
	prefix string // 【signature】
	t      *Template
	words  *Matcher
	params map[string]map[string]string // by normalised number
	shared map[string]string            // for a number params lacks

	inTemplate map[string]bool // see reviewed
}

// fill makes one message text. The whole text is checked for sensitive
// words, so that none is made of two values or of a value and the text
// around it: a blocking word refuses it, even one in the template's own
// text added to a list since its review; a reviewable word refuses it
// unless the reviewed template holds it itself.
func (f *filler) fill(params map[string]string) (string, error) {
	text, err := FillTemplate(f.t.LiveContent, f.t.LiveVars, params)
	if err != nil {
		return "", err
	}
	text = f.prefix + text
	for _, m := range f.words.Find(text) {
		if m.Action == WordBlock || !f.reviewed()[m.Word] {
			field := "params"
			if f.reviewed()[m.Word] {
				field = "template_id"
			}
			e := Errorf(ESENSITIVE_WORD, "短信内容含敏感词“%s”（词库：%s）", m.Word, m.List)
			e.Details = map[string]any{"field": field, "word": m.Word, "list": m.List}
			return "", e
		}
	}
	if err := ValidateContent(text); err != nil {
		return "", err
	}
	return text, nil
}

// reviewed is the set of sensitive words the approved template holds.
func (f *filler) reviewed() map[string]bool {
	if f.inTemplate == nil {
		f.inTemplate = map[string]bool{}
		for _, m := range f.words.Find(f.prefix + f.t.LiveContent) {
			f.inTemplate[m.Word] = true
		}
	}
	return f.inTemplate
}

func (f *filler) text(phone string) (string, error) {
	if v, ok := f.params[phone]; ok {
		return f.fill(v)
	}
	return f.fill(f.shared)
}

// ownTexts gives each message its own text; a number whose text cannot be
// made is refused with the reason, and the others go on.
func ownTexts(msgs []PlannedMessage, rejected []Rejection, texts rowTexts) ([]PlannedMessage, []Rejection, error) {
	kept := msgs[:0]
	for _, m := range msgs {
		text, err := texts.text(m.To)
		if ErrorCode(err) == EINTERNAL {
			return nil, nil, err
		} else if err != nil {
			rejected = append(rejected, Rejection{To: m.To, Code: ErrorCode(err), Message: ErrorMessage(err)})
			continue
		}
		m.Content, m.Segments = text, CountSegments(text).Count
		kept = append(kept, m)
	}
	return kept, rejected, nil
}

// byNumber keys per-number params by normalised number. A number that is
// not in the request is a mistake worth naming.
func byNumber(per map[string]map[string]string, to []string) (map[string]map[string]string, error) {
	want := make(map[string]bool, len(to))
	for _, raw := range to {
		if n, err := NormalizeNumber(raw); err == nil {
			want[n] = true
		}
	}
	out := make(map[string]map[string]string, len(per))
	names := make([]string, 0, len(per))
	for k := range per {
		names = append(names, k)
	}
	sort.Strings(names) // the first wrong number named is always the same one
	for _, raw := range names {
		n, err := NormalizeNumber(raw)
		if err != nil || !want[n] {
			return nil, FieldError("params", "params 中的号码 %s 不在 to 中", raw)
		}
		out[n] = per[raw]
	}
	return out, nil
}

// resent is the texts of a batch's failed messages, by number.
type resent map[string]string

func (r resent) text(phone string) (string, error) {
	if t, ok := r[phone]; ok {
		return t, nil
	}
	return "", Errorf(EINVALID_NUMBER, "不是原批次中发送失败的号码")
}

// resendTexts is 失败重发: each failed number of the batch gets its own text
// again, without the free-text rules (the text passed them, or was a
// reviewed template, when first sent). Words blocked since then still
// refuse it.
func resendTexts(batchID int64, words *Matcher, look SendLookup) (string, rowTexts, error) {
	content, texts, err := look.FailedTexts(batchID)
	if err != nil {
		return "", nil, err
	}
	checked := map[string]bool{}
	for _, t := range texts {
		if checked[t] {
			continue
		}
		checked[t] = true
		for _, m := range words.Find(t) {
			if m.Action == WordBlock {
				e := Errorf(ESENSITIVE_WORD, "原短信含已列入拦截词库的“%s”（词库：%s），不能重发", m.Word, m.List)
				e.Details = map[string]any{"field": "content", "word": m.Word, "list": m.List}
				return "", nil, e
			}
		}
	}
	return content, resent(texts), nil
}
