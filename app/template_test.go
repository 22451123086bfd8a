package app

import (
	"strings"
	"testing"
)

func TestFillTemplate(t *testing.T) {
	rules := map[string]VarRule{"code": {Type: VarDigits, MaxLen: 6}, "amount": {Type: VarNumber, MaxLen: 8},
		"room": {Type: VarAlnum, MaxLen: 4}, "name": {Type: VarText, MaxLen: 5}}
	content := "${name}：验证码${code}，金额${amount}，会议室${room}，再说一次${code}"
	ok := map[string]string{"code": "012345", "amount": "-12.50", "room": "A301", "name": "张三"}
	got, err := FillTemplate(content, rules, ok)
	if err != nil || got != "张三：验证码012345，金额-12.50，会议室A301，再说一次012345" {
		t.Fatalf("fill = %q, %v", got, err)
	}
	for _, tt := range []struct {
		name, key, value, code string
	}{
		{"DigitsWithLetter", "code", "12a4", EPARAM_INVALID},
		{"DigitsTooLong", "code", "1234567", EPARAM_INVALID},
		{"NumberTwoDots", "amount", "1.2.3", EPARAM_INVALID},
		{"AlnumFullWidth", "room", "Ａ301", EPARAM_INVALID},
		{"TextWithSignature", "name", "【假】", EPARAM_INVALID},
		{"TextWithLink", "name", "a.cn", EPARAM_INVALID},
		{"TextTooLong", "name", "一二三四五六", EPARAM_INVALID},
		{"Empty", "name", "", EPARAM_MISSING},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := map[string]string{}
			for k, v := range ok {
				p[k] = v
			}
			p[tt.key] = tt.value
			_, err := FillTemplate(content, rules, p)
			if ErrorCode(err) != tt.code {
				t.Fatalf("error %v, want %s", err, tt.code)
			}
			if f := err.(*Error).Details["field"]; f != "params."+tt.key {
				t.Fatalf("field %v", f)
			}
		})
	}
}

func TestUnsubscribeHint(t *testing.T) {
	for text, want := range map[string]bool{
		"年终八折，拒收请回复R":    true,
		"年终八折。回T退订":      true,
		"年终八折，退订回TD。":    true,
		"年终八折，拒收请回复Ｒ！":   false, // full-width R is not what carriers match
		"年终八折":           false,
		"拒收请回复R，年终八折大酬宾": false, // the hint must end the text
	} {
		if got := HasUnsubscribeHint(text); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}

func TestIsUnsubscribe(t *testing.T) {
	for text, want := range map[string]bool{
		"TD": true, " td ": true, "ｔｄ": true, "T D": true, "退订": true, "退订。": true, "r": true,
		"TD一下": false, "不要退订": false, "": false, "  ": false,
	} {
		if got := IsUnsubscribe(text, DefaultUnsubscribeWords); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}

func TestParseWordList(t *testing.T) {
	words, err := ParseWordList("\ufeff# 注释\r\n发票\r\n\r\n赌 博\n")
	if err != nil || strings.Join(words, "|") != "发票|赌 博" {
		t.Fatalf("words = %q, %v", words, err)
	}
	if _, err := ParseWordList("好\n。。。\n"); err == nil || !strings.Contains(ErrorMessage(err), "第2行") {
		t.Fatalf("a line of punctuation only: %v", err)
	}
	if _, err := ParseWordList(strings.Repeat("词\n", MaxWords+1)); err == nil || !strings.Contains(ErrorMessage(err), "第100001行") {
		t.Fatalf("too many words: %v", err)
	}
	if _, err := ParseWordList("\xff\xfe"); err == nil {
		t.Fatal("not UTF-8 accepted")
	}
}

// A text variable refuses anything a handset would show as a link, however
// its dots are written and whatever its top-level domain, and characters no
// message may hold (control characters, line breaks included, bidi
// controls, U+FFFD).
func TestTextVariableRefusesLinksAndUnsendable(t *testing.T) {
	rule := VarRule{Type: VarText, MaxLen: 40}
	for _, tt := range []struct {
		name, value string
		link        bool
	}{
		{"IdeographicFullStop", "evil。cn/x", true},
		{"FullWidthFullStop", "evil．cn", true},
		{"HalfWidthIdeographicFullStop", "evil｡cn", true},
		{"FullWidthLetters", "ｅｖｉｌ．ｃｎ", true},
		{"MathematicalLetters", "𝐞𝐯𝐢𝐥.𝐜𝐧", true},
		{"UnlistedTLD", "bit.ly/3xYz", true},
		{"ShortTLD", "见t.co", true},
		{"Subdomains", "a.b.example.shop/p?q=1", true},
		{"Punycode", "xn--fiqs8s.xn--fiqs8s", true},
		{"FullWidthScheme", "ｈｔｔｐ：／／x", true},
		{"Www", "www。x", true},
		{"Name", "张三", false},
		{"ChineseSentence", "收到。谢谢", false},
		{"Decimal", "3.5", false},
		{"Version", "v1.2", false},
		{"Quantity", "1.5kg", false},
		{"Abbreviation", "e.g.张三", false},
		{"Ellipsis", "稍等...", false},
		{"NUL", "张\x00三", true},
		{"LineBreak", "张\n三", true},
		{"RightToLeftOverride", "张\u202e三", true},
		{"ReplacementCharacter", "张\ufffd", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := rule.check("name", tt.value)
			if tt.link && ErrorCode(err) != EPARAM_INVALID {
				t.Errorf("%q passed as text: %v", tt.value, err)
			} else if !tt.link && err != nil {
				t.Errorf("%q refused: %v", tt.value, err)
			}
		})
	}
}

// The reviewer is told of links however they are written.
func TestCheckTemplateNotesLinks(t *testing.T) {
	for _, content := range []string{"详见 evil。cn/x", "详见bit.ly/3xYz", "详见ｅｖｉｌ．ｃｎ"} {
		tpl := &Template{Name: "通知", Kind: KindNotice, Content: content}
		notes, err := CheckTemplate(tpl, NewMatcher(nil))
		if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "含链接") {
			t.Errorf("CheckTemplate(%q) = %v, %v; want a note about the link", content, notes, err)
		}
	}
	notes, err := CheckTemplate(&Template{Name: "通知", Kind: KindNotice, Content: "明天3.5点开会。请准时"}, NewMatcher(nil))
	if err != nil || len(notes) != 0 {
		t.Errorf("a plain notice: %v, %v", notes, err)
	}
}

// A template whose every text would be refused is refused at once.
func TestCheckTemplateRefusesUnsendableContent(t *testing.T) {
	for _, content := range []string{"您好\x00", "您好\u202e", "您\t好", "您好\ufffd"} {
		_, err := CheckTemplate(&Template{Name: "通知", Kind: KindNotice, Content: content}, NewMatcher(nil))
		if ErrorCode(err) != EINVALID {
			t.Errorf("CheckTemplate(%q) = %v, want %s", content, err, EINVALID)
		}
	}
	if _, err := CheckTemplate(&Template{Name: "通知", Kind: KindNotice, Content: "${name}您好：\n明天开会"}, NewMatcher(nil)); err != nil {
		t.Errorf("line breaks: %v", err)
	}
}
