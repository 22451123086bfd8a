package app

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzTemplate runs a template through its life: the variables are read
// from any content (a bad ${...} is an ETEMPLATE_CHECK error, not a panic),
// the automatic checks give every variable a valid rule or refuse with a
// code and a field, and filling it with any values either refuses with an
// EPARAM_ code naming the variable or gives the text with every ${name}
// replaced by a value that keeps its rule.
func FuzzTemplate(f *testing.F) {
	f.Add("验证码${code}，5分钟内有效。", "code", "123456", "x", byte(1), byte(1), 6)
	f.Add("您好${name}，您的订单${order}已发货", "name", "张三", "A123", byte(0), byte(0), 0)
	f.Add("金额${amount}元", "amount", "-12.50", "1.", byte(0), byte(2), 10)
	f.Add("优惠${x}，拒收请回复R", "x", "ok", "", byte(2), byte(3), 35)
	f.Add("${a}${a}${b}", "a", "evil。cn/x", "bit.ly/abc", byte(0), byte(0), 35)
	f.Add("${", "", "", "", byte(0), byte(0), 0)
	f.Add("${a${b}}", "b", "${c}", "}", byte(0), byte(0), 0)
	f.Add("${1a} ${_} ${}", "_", "\u202e", "【银行】", byte(0), byte(4), -1)
	f.Add("含赌博${v}", "v", "赌", "博", byte(0), byte(0), 2)
	words := NewMatcher([]WordList{{Name: "违禁", Action: WordBlock, Words: []string{"赌博"}},
		{Name: "营销", Action: WordReview, Words: []string{"优惠"}}})
	kinds := []TemplateKind{KindNotice, KindCode, KindMarketing}
	types := []VarType{"", VarText, VarDigits, VarNumber, VarAlnum, "bogus"}
	f.Fuzz(func(t *testing.T, content, name, v1, v2 string, kind, typ byte, maxLen int) {
		names, err := TemplateVars(content)
		if err != nil {
			checkRefusal(t, err, "content", ETEMPLATE_CHECK)
		}
		for _, n := range names {
			if !refVarName.MatchString(n) || !strings.Contains(content, "${"+n+"}") {
				t.Fatalf("TemplateVars(%q) gave %q", content, n)
			}
		}

		tpl := &Template{Name: "模板", Kind: kinds[int(kind)%len(kinds)], Content: content}
		if name != "" {
			tpl.Vars = map[string]VarRule{name: {Type: types[int(typ)%len(types)], MaxLen: maxLen}}
		}
		if _, err := CheckTemplate(tpl, words); err != nil {
			checkRefusal(t, err, "", EINVALID, ETEMPLATE_CHECK, ESENSITIVE_WORD)
			return
		}
		if len(tpl.Vars) != len(names) {
			t.Fatalf("%q: rules %v for variables %v", content, tpl.Vars, names)
		}
		for _, n := range names {
			r, ok := tpl.Vars[n]
			if !ok || r.MaxLen < 1 || r.MaxLen > MaxVarLen {
				t.Fatalf("%q: variable %s has rule %+v", content, n, r)
			}
		}

		params := map[string]string{}
		for i, n := range names {
			params[n] = []string{v1, v2}[i%2]
		}
		filled, err := FillTemplate(tpl.Content, tpl.Vars, params)
		if err != nil {
			checkRefusal(t, err, "params.", EPARAM_MISSING, EPARAM_INVALID)
			return
		}
		for n, v := range params {
			if !refRuleOK(tpl.Vars[n], v) {
				t.Fatalf("%q: value %q of %s breaks its rule %+v", content, v, n, tpl.Vars[n])
			}
		}
		want := varPattern.ReplaceAllStringFunc(tpl.Content, func(m string) string { return params[m[2:len(m)-1]] })
		if filled != want {
			t.Fatalf("%q filled with %v = %q, want %q", content, params, filled, want)
		}
		if !strings.Contains(v1+v2, "${") && strings.Contains(filled, "${") {
			t.Fatalf("%q filled with %v = %q, a variable left", content, params, filled)
		}
		if n := utf8.RuneCountInString(filled); n+22 > MaxContentChars {
			t.Fatalf("%q filled is %d characters, more than the checks allow", content, n)
		}

		// A value for a variable the template lacks, or none for one it
		// has, is refused naming it.
		params["zz_not_a_var"] = "1"
		if _, err := FillTemplate(tpl.Content, tpl.Vars, params); ErrorCode(err) != EPARAM_UNKNOWN {
			t.Fatalf("an unknown variable: %v", err)
		}
		delete(params, "zz_not_a_var")
		if len(names) > 0 {
			delete(params, names[0])
			if _, err := FillTemplate(tpl.Content, tpl.Vars, params); ErrorCode(err) != EPARAM_MISSING {
				t.Fatalf("a missing variable: %v", err)
			}
		}
	})
}

var refVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,31}$`)

// checkRefusal requires err to be an *Error with one of codes, whose
// details name a field starting with prefix.
func checkRefusal(t *testing.T, err error, prefix string, codes ...string) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("refused with %T %v, not an *Error", err, err)
	}
	found := false
	for _, c := range codes {
		found = found || e.Code == c
	}
	field, _ := e.Details["field"].(string)
	if !found || field == "" || !strings.HasPrefix(field, prefix) || e.Message == "" {
		t.Fatalf("refused with %s (field %q): %s; want one of %v on a field %s…", e.Code, field, e.Message, codes, prefix)
	}
}

// refRuleOK is what a value may be, written apart from VarRule.check.
func refRuleOK(r VarRule, v string) bool {
	if v == "" || utf8.RuneCountInString(v) > r.MaxLen || !utf8.ValidString(v) {
		return false
	}
	switch r.Type {
	case VarDigits:
		return regexp.MustCompile(`^[0-9]+$`).MatchString(v)
	case VarNumber:
		return regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`).MatchString(v)
	case VarAlnum:
		return regexp.MustCompile(`^[A-Za-z0-9]+$`).MatchString(v)
	}
	for _, c := range v {
		if c == '【' || c == '】' || c == utf8.RuneError || unicode.IsControl(c) || c >= 0x202A && c <= 0x202E || c >= 0x2066 && c <= 0x2069 {
			return false
		}
	}
	return true
}
