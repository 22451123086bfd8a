package app

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TemplateKind is what a template is for; carriers treat them differently.
type TemplateKind string

// The kinds of templates.
const (
	KindNotice    TemplateKind = "notice"    // 通知
	KindCode      TemplateKind = "code"      // 验证码
	KindMarketing TemplateKind = "marketing" // 营销 (must carry an unsubscribe hint)
)

// ReviewStatus is where a template or a signature is in its review.
type ReviewStatus string

// The review statuses: pending -> approved | rejected.
const (
	ReviewPending  ReviewStatus = "pending"
	ReviewApproved ReviewStatus = "approved"
	ReviewRejected ReviewStatus = "rejected"
)

// VarType is the kind of value a template variable takes.
type VarType string

// The variable types.
const (
	VarText   VarType = "text"   // anything but a link or a 【】 signature
	VarDigits VarType = "digits" // 0-9 only, e.g. a verification code
	VarNumber VarType = "number" // a decimal number, e.g. an amount
	VarAlnum  VarType = "alnum"  // letters and digits
)

// VarRule says what values a template variable takes.
type VarRule struct {
	Type   VarType `json:"type"`
	MaxLen int     `json:"max_len"` // in characters
}

// Default variable rules: carriers accept at most 35 characters per
// variable, and most templates need far fewer.
const (
	DefaultVarLen = 20
	MaxVarLen     = 35
)

// Template is a reviewed message pattern (短信模板). Content excludes the
// signature and holds variables as ${name}.
//
// Editing an approved template makes a new pending version; the approved
// one (Live*) stays usable until the new one is approved.
type Template struct {
	ID           int64
	DepartmentID int64
	UserID       int64 // who submitted it (console), or the app's user
	APIKeyID     int64 // the app that submitted it, if any
	Name         string
	Kind         TemplateKind
	Content      string             // the newest version
	Vars         map[string]VarRule // rules of the newest version, one per variable
	Version      int                // of the newest version, from 1
	Status       ReviewStatus       // of the newest version
	Reason       string             // why it was rejected
	Notes        []string           // what the automatic checks want a reviewer to look at
	LiveContent  string             // the approved version sent with; "" before any approval
	LiveVars     map[string]VarRule
	LiveVersion  int
	ReviewedBy   int64
	ReviewedAt   time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Usable reports whether messages can be sent with t.
func (t *Template) Usable() bool { return t.LiveVersion > 0 }

// varPattern finds ${name} in a template.
var varPattern = regexp.MustCompile(`\$\{([^{}]*)\}`)

// varName is what a variable may be called.
var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,31}$`)

// TemplateVars returns the variables of content in order of first use.
// Errors: ETEMPLATE_CHECK naming a bad ${...} or a lone "${".
func TemplateVars(content string) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	for _, m := range varPattern.FindAllStringSubmatch(content, -1) {
		if !varName.MatchString(m[1]) {
			return nil, checkError("content", "变量名 ${%s} 不合规：只能用字母、数字和下划线，以字母开头，最长32位", m[1])
		}
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	if rest := varPattern.ReplaceAllString(content, ""); strings.Contains(rest, "${") {
		return nil, checkError("content", "变量写法有误：${ 没有配对的 }")
	}
	return names, nil
}

func checkError(field, format string, args ...any) *Error {
	e := Errorf(ETEMPLATE_CHECK, format, args...)
	e.Details = map[string]any{"field": field}
	return e
}

// unsubscribeTail finds an unsubscribe hint at the end of a marketing text:
// 拒收请回复R, 回T退订, 退订回TD and the like.
var unsubscribeTail = regexp.MustCompile(`(?i)(拒收|退订)[^。！!，,]{0,6}回复?\s*(td|t|n|r|退订)|回复?\s*(td|t|n|r)\s*(退订|拒收)`)

// HasUnsubscribeHint reports whether text ends (bar punctuation) with an
// unsubscribe hint.
func HasUnsubscribeHint(text string) bool {
	text = strings.TrimRightFunc(text, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
	tail := text
	if n := utf8.RuneCountInString(text); n > 12 {
		tail = string([]rune(text)[n-12:])
	}
	return unsubscribeTail.MatchString(tail)
}

// linkPattern finds web addresses a reviewer should look at, in a text as
// linkForm has it: a scheme or www., or any domain-like name (labels joined
// by dots, the last of two letters or more, or punycode) whatever its
// top-level domain, with or without a path. New TLDs appear every year and
// short links (bit.ly, t.co) use country codes nobody lists; "3.5", "v1.2"
// and "1.5kg" are not names.
var linkPattern = regexp.MustCompile(`(?i)(https?://|www\.)\S+|\b[a-z0-9-]+(\.[a-z0-9-]+)*\.([a-z]{2,63}|xn--[a-z0-9-]+)\b(/\S*)?`)

// linkForm is s as linkPattern reads it: compatibility forms as plain
// characters (NFKC: full-width ．／：, mathematical letters, ｡) and the
// ideographic full stop as a dot, so that evil。cn and ｅｖｉｌ．ｃｎ are
// evil.cn.
func linkForm(s string) string {
	return strings.ReplaceAll(norm.NFKC.String(s), "。", ".")
}

// findLink returns the first link in s, in linkForm, or "".
func findLink(s string) string {
	s = linkForm(s)
	if !strings.Contains(s, ".") && !strings.Contains(s, "://") { // most texts have neither, every link one
		return ""
	}
	return linkPattern.FindString(s)
}

// CheckTemplate runs the automatic checks a template passes before a person
// reviews it: its name, kind, length, signature, variables and their rules,
// sensitive words and, for marketing, the unsubscribe hint. It fills in
// default rules for variables without one, and returns notes for the
// reviewer (links, reviewable words). Errors: EINVALID (shape),
// ETEMPLATE_CHECK, ESENSITIVE_WORD (a blocked word).
func CheckTemplate(t *Template, words *Matcher) (notes []string, err error) {
	if n := strings.TrimSpace(t.Name); n == "" || utf8.RuneCountInString(n) > 64 {
		return nil, FieldError("name", "模板名称不能为空且最长64个字")
	}
	switch t.Kind {
	case KindNotice, KindCode, KindMarketing:
	default:
		return nil, FieldError("kind", "模板类型应为 notice（通知）、code（验证码）或 marketing（营销），而不是%q", t.Kind)
	}
	if strings.TrimSpace(t.Content) == "" {
		return nil, FieldError("content", "模板内容不能为空")
	}
	if strings.ContainsAny(t.Content, "【】") {
		return nil, checkError("content", "模板内容不含签名：签名【】在发送时自动加在开头")
	}
	if err := ValidateContent(t.Content); err != nil {
		return nil, err // what every text sent from it would be refused for
	}
	names, err := TemplateVars(t.Content)
	if err != nil {
		return nil, err
	}
	if t.Vars == nil {
		t.Vars = map[string]VarRule{}
	}
	used := map[string]bool{}
	for _, n := range names {
		used[n] = true
	}
	for n := range t.Vars {
		if !used[n] {
			return nil, checkError("vars."+n, "变量规则 %s 在模板内容中没有出现", n)
		}
	}
	if t.Kind == KindCode && len(names) == 0 {
		return nil, checkError("content", "验证码模板须含一个变量，如 ${code}")
	}
	longest := utf8.RuneCountInString(varPattern.ReplaceAllString(t.Content, "")) + 22 // 【20-character signature】
	for _, n := range names {
		r := t.Vars[n]
		if r.Type == "" {
			r.Type = VarText
		}
		if r.MaxLen == 0 {
			r.MaxLen = DefaultVarLen
		}
		switch r.Type {
		case VarText, VarDigits, VarNumber, VarAlnum:
		default:
			return nil, checkError("vars."+n, "变量 %s 的类型应为 text、digits、number 或 alnum，而不是%q", n, r.Type)
		}
		if r.MaxLen < 1 || r.MaxLen > MaxVarLen {
			return nil, checkError("vars."+n, "变量 %s 的最大长度应在1到%d之间", n, MaxVarLen)
		}
		t.Vars[n] = r
		longest += r.MaxLen * strings.Count(t.Content, "${"+n+"}")
	}
	if longest > MaxContentChars {
		return nil, checkError("content", "模板填入最长的变量和签名后可达%d字，超过%d字", longest, MaxContentChars)
	}
	if t.Kind == KindMarketing && !HasUnsubscribeHint(t.Content) {
		return nil, checkError("content", "营销模板须以退订提示结尾，如“拒收请回复R”")
	}
	for _, m := range words.Find(t.Content) {
		if m.Action == WordBlock {
			return nil, sensitiveError(m)
		}
		notes = append(notes, "含需审核的敏感词“"+m.Word+"”（词库："+m.List+"）")
	}
	if l := findLink(t.Content); l != "" {
		notes = append(notes, "含链接 "+l+"，请核实其归属")
	}
	return notes, nil
}

// sensitiveError says which word of which list refused a text.
func sensitiveError(m WordMatch) *Error {
	e := Errorf(ESENSITIVE_WORD, "内容含敏感词“%s”（词库：%s）", m.Word, m.List)
	e.Details = map[string]any{"field": "content", "word": m.Word, "list": m.List, "action": string(m.Action)}
	return e
}

// CheckText refuses a free text holding a blocking sensitive word, and
// says why one holding only reviewable words must wait for a reviewer ("":
// it need not). Errors: ESENSITIVE_WORD.
func CheckText(text string, words *Matcher) (hold string, err error) {
	found := words.Find(text)
	if len(found) == 0 {
		return "", nil
	} else if found[0].Action == WordBlock { // blocking words come first
		return "", sensitiveError(found[0])
	}
	var notes []string
	for _, m := range found {
		notes = append(notes, "“"+m.Word+"”（词库："+m.List+"）")
	}
	return "含需审核的敏感词" + strings.Join(notes, "、"), nil
}

// FillTemplate puts params into the template's approved version. Every
// variable needs a value that keeps its rule, and every value a variable.
// Errors: EPARAM_MISSING, EPARAM_UNKNOWN, EPARAM_INVALID, naming the
// variable in details.field as "params.<name>".
func FillTemplate(content string, rules map[string]VarRule, params map[string]string) (string, error) {
	// The error names the first variable in name order, found without
	// sorting: a personalised batch fills 10,000 texts.
	if n := firstNotIn(params, rules); n != "" {
		return "", paramError(EPARAM_UNKNOWN, n, "模板没有变量 %s", n)
	}
	if n := firstNotIn(rules, params); n != "" {
		return "", paramError(EPARAM_MISSING, n, "缺少变量 %s 的值", n)
	}
	var first string
	var firstErr error
	for n, r := range rules {
		if err := r.check(n, params[n]); err != nil && (firstErr == nil || n < first) {
			first, firstErr = n, err
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return fill(content, params), nil
}

// fill replaces each ${name} of a checked template with its value, in one
// pass (a regular expression costs five times as much, and a personalised
// batch fills 10,000 texts).
func fill(content string, params map[string]string) string {
	var b strings.Builder
	b.Grow(len(content) + 64)
	for {
		i := strings.Index(content, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(content[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(content[:i])
		b.WriteString(params[content[i+2:i+j]])
		content = content[i+j+1:]
	}
	b.WriteString(content)
	return b.String()
}

func (r VarRule) check(name, v string) error {
	if v == "" {
		return paramError(EPARAM_MISSING, name, "变量 %s 的值不能为空", name)
	}
	if n := utf8.RuneCountInString(v); n > r.MaxLen {
		return paramError(EPARAM_INVALID, name, "变量 %s 的值有%d个字，最多%d个", name, n, r.MaxLen)
	}
	ok := true
	switch r.Type {
	case VarDigits:
		ok = strings.Trim(v, "0123456789") == ""
	case VarNumber:
		ok = isDecimal(v)
	case VarAlnum:
		ok = strings.IndexFunc(v, func(c rune) bool { return c > unicode.MaxASCII || !unicode.IsLetter(c) && !unicode.IsDigit(c) }) < 0
	default:
		ok = !strings.ContainsAny(v, "【】") && strings.IndexFunc(v, unsendable) < 0 && findLink(v) == ""
	}
	if !ok {
		return paramError(EPARAM_INVALID, name, "变量 %s 的值不符合类型 %s", name, r.Type)
	}
	return nil
}

// isDecimal reports whether v is -?[0-9]+(\.[0-9]+)?.
func isDecimal(v string) bool {
	v = strings.TrimPrefix(v, "-")
	whole, frac, dot := strings.Cut(v, ".")
	digits := func(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }
	return digits(whole) && (!dot || digits(frac))
}

func paramError(code, name, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	e.Details = map[string]any{"field": "params." + name}
	return e
}

// firstNotIn returns the least key of a that b lacks, "" when none.
func firstNotIn[A, B any](a map[string]A, b map[string]B) string {
	first := ""
	for k := range a {
		if _, ok := b[k]; !ok && (first == "" || k < first) {
			first = k
		}
	}
	return first
}

// TemplateFilter selects templates in a listing.
type TemplateFilter struct {
	Status ReviewStatus // "" for all
	// ForSending keeps the approved templates p may send with: those of
	// its department and the departments above it.
	ForSending bool
	Cursor     string
	Limit      int
}

// SignatureFilter selects signatures in a listing.
type SignatureFilter struct {
	Status     ReviewStatus // "" for all
	ForSending bool         // the approved ones of p's department and those above it
}

// TemplateUpdate changes a template; nil fields stay. Changing the content
// or its rules makes a new pending version.
type TemplateUpdate struct {
	Name    *string
	Kind    *TemplateKind
	Content *string
	Vars    *map[string]VarRule
}

// Review is a reviewer's decision on a template or a signature.
type Review struct {
	Decision string // "approve" or "reject"
	Reason   string // required to reject
	// Version is the template version the reviewer read; a newer one
	// makes the review ECONFLICT. 0: the newest, whatever it is.
	Version int
}

// Validate checks a decision.
func (r *Review) Validate() error {
	switch r.Decision {
	case "approve":
	case "reject":
		if strings.TrimSpace(r.Reason) == "" {
			return FieldError("reason", "驳回须写明原因")
		}
	default:
		return FieldError("decision", "decision 应为 approve 或 reject")
	}
	if utf8.RuneCountInString(r.Reason) > 200 {
		return FieldError("reason", "原因最长200字")
	}
	return nil
}

// CanReview reports whether p reviews templates and signatures: system
// administrators (their apps need the templates scope).
func (p *Principal) CanReview() bool {
	return p.Role == RoleSysadmin && p.HasScope(ScopeTemplates)
}

// TemplateService keeps templates and signatures and their reviews. Every
// method checks the caller's scope: a department sees its subtree's.
type TemplateService interface {
	// CreateTemplate checks t and stores it as version 1, pending.
	// Errors: EINVALID, ETEMPLATE_CHECK, ESENSITIVE_WORD, EFORBIDDEN.
	CreateTemplate(ctx context.Context, p *Principal, t *Template) error
	FindTemplateByID(ctx context.Context, p *Principal, id int64) (*Template, error)
	FindTemplates(ctx context.Context, p *Principal, f TemplateFilter) ([]*Template, string, error)
	// UpdateTemplate edits a template: new content makes a new pending version.
	UpdateTemplate(ctx context.Context, p *Principal, id int64, u *TemplateUpdate) (*Template, error)
	DeleteTemplate(ctx context.Context, p *Principal, id int64) error
	// ReviewTemplate approves or rejects the newest version.
	// Errors: EFORBIDDEN (not a reviewer), ECONFLICT (not pending).
	ReviewTemplate(ctx context.Context, p *Principal, id int64, r *Review) (*Template, error)

	// SubmitSignature stores a signature for p's department (or one it
	// reaches), pending review. Errors: EINVALID, ECONFLICT, EFORBIDDEN.
	SubmitSignature(ctx context.Context, p *Principal, s *Signature) error
	FindSignatures(ctx context.Context, p *Principal, f SignatureFilter) ([]*Signature, error)
	DeleteSignature(ctx context.Context, p *Principal, id int64) error
	ReviewSignature(ctx context.Context, p *Principal, id int64, r *Review) (*Signature, error)
}
