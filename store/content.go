package store

import (
	"context"
	"sort"

	"smsgw/app"
)

// rowTexts gives each number of a request its own text.
type rowTexts interface {
	text(phone string) (string, error)
}

// sendContent works out the batch's text: the free text, checked; or the
// templated text with the signature in front, filled with the shared
// params, or (personalised) a filler for each number's; or, resending a
// batch's failures, what each number was sent before. hold says why a
// free text must wait for a reviewer ("" when it need not).
func (db *DB) sendContent(ctx context.Context, p *app.Principal, req *app.SendRequest) (content string, texts rowTexts, hold string, err error) {
	words, err := db.wordMatcher(ctx)
	if err != nil {
		return "", nil, "", err
	}
	if req.ResendOf != 0 && req.Content == "" && req.TemplateID == 0 {
		content, texts, err = db.resendTexts(ctx, p, req.ResendOf, words)
		return content, texts, "", err
	}
	if req.TemplateID == 0 {
		if err := db.checkFreeText(ctx, p, req.Content); err != nil {
			return "", nil, "", err
		}
		hold, err := app.CheckText(req.Content, words)
		return req.Content, nil, hold, err
	}
	t, err := db.sendTemplate(ctx, p, req.TemplateID)
	if err != nil {
		return "", nil, "", err
	}
	sig, err := db.sendSignature(ctx, p, req.Signature)
	if err != nil {
		return "", nil, "", err
	}
	f := &filler{prefix: "【" + sig + "】", t: t, words: words}
	if req.PerNumber == nil {
		text, err := f.fill(req.Params)
		return text, nil, "", err
	}
	if f.params, err = byNumber(req.PerNumber, req.To); err != nil {
		return "", nil, "", err
	}
	return f.prefix + t.LiveContent, f, "", nil
}

// filler fills one approved template for many numbers.
type filler struct {
	prefix string // 【signature】
	t      *app.Template
	words  *app.Matcher
	params map[string]map[string]string // by normalised number

	inTemplate map[string]bool // see reviewed
}

// fill makes one message text. The whole text is checked for sensitive
// words, so that none is made of two values or of a value and the text
// around it: a blocking word refuses it, even one in the template's own
// text added to a list since its review; a reviewable word refuses it
// unless the reviewed template holds it itself.
func (f *filler) fill(params map[string]string) (string, error) {
	text, err := app.FillTemplate(f.t.LiveContent, f.t.LiveVars, params)
	if err != nil {
		return "", err
	}
	text = f.prefix + text
	for _, m := range f.words.Find(text) {
		if m.Action == app.WordBlock || !f.reviewed()[m.Word] {
			field := "params"
			if f.reviewed()[m.Word] {
				field = "template_id"
			}
			e := app.Errorf(app.ESENSITIVE_WORD, "短信内容含敏感词“%s”（词库：%s）", m.Word, m.List)
			e.Details = map[string]any{"field": field, "word": m.Word, "list": m.List}
			return "", e
		}
	}
	if err := app.ValidateContent(text); err != nil {
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

func (f *filler) text(phone string) (string, error) { return f.fill(f.params[phone]) }

// ownTexts gives each row its own text; a number whose text cannot be made
// is rejected with the reason, and the others go on.
func ownTexts(rows []msgRow, rejected []app.Rejection, texts rowTexts) ([]msgRow, []app.Rejection, error) {
	kept := rows[:0]
	for _, r := range rows {
		text, err := texts.text(r.phone)
		if app.ErrorCode(err) == app.EINTERNAL {
			return nil, nil, err
		} else if err != nil {
			rejected = append(rejected, app.Rejection{To: r.phone, Code: app.ErrorCode(err), Message: app.ErrorMessage(err)})
			continue
		}
		r.content, r.segs = text, app.CountSegments(text).Count
		kept = append(kept, r)
	}
	return kept, rejected, nil
}

// byNumber keys per-number params by normalised number. A number that is
// not in the request is a mistake worth naming.
func byNumber(per map[string]map[string]string, to []string) (map[string]map[string]string, error) {
	want := make(map[string]bool, len(to))
	for _, raw := range to {
		if n, err := app.NormalizeNumber(raw); err == nil {
			want[n] = true
		}
	}
	out := make(map[string]map[string]string, len(per))
	for _, raw := range sortedNames(per) {
		n, err := app.NormalizeNumber(raw)
		if err != nil || !want[n] {
			return nil, app.FieldError("params", "params 中的号码 %s 不在 to 中", raw)
		}
		out[n] = per[raw]
	}
	return out, nil
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// resent is the texts of a batch's failed messages, by number.
type resent map[string]string

func (r resent) text(phone string) (string, error) {
	if t, ok := r[phone]; ok {
		return t, nil
	}
	return "", app.Errorf(app.EINVALID_NUMBER, "不是原批次中发送失败的号码")
}

// resendTexts reads what the failed messages of batch sent, for 失败重发:
// each number gets its own text again, without the free-text rules (the
// text passed them, or was a reviewed template, when first sent). Words
// blocked since then still refuse it.
func (db *DB) resendTexts(ctx context.Context, p *app.Principal, batch int64, words *app.Matcher) (string, rowTexts, error) {
	scope, args := messageScope(p)
	rows, err := db.rdb.QueryContext(ctx, `select m.phone, coalesce(m.content, b.content), b.content from messages m join batches b on b.id = m.batch_id
		where m.batch_id = ? and m.status in ('undelivered', 'expired', 'failed') and `+scope, append([]any{batch}, args...)...)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	texts, content := resent{}, ""
	for rows.Next() {
		var phone, text string
		if err := rows.Scan(&phone, &text, &content); err != nil {
			return "", nil, err
		}
		texts[phone] = text
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	if len(texts) == 0 {
		e := app.Errorf(app.ENOTFOUND, "原批次没有可重发的失败号码")
		e.Details = map[string]any{"field": "resend_of"}
		return "", nil, e
	}
	checked := map[string]bool{}
	for _, t := range texts {
		if checked[t] {
			continue
		}
		checked[t] = true
		for _, m := range words.Find(t) {
			if m.Action == app.WordBlock {
				e := app.Errorf(app.ESENSITIVE_WORD, "原短信含已列入拦截词库的“%s”（词库：%s），不能重发", m.Word, m.List)
				e.Details = map[string]any{"field": "content", "word": m.Word, "list": m.List}
				return "", nil, e
			}
		}
	}
	return content, texts, nil
}
