package app

import (
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"
)

// The GSM 03.38 default alphabet in table order (without ESC) and its
// extension table, written out independently of gsmWidth so the tests check
// the implementation against the standard rather than against itself.
const (
	refGSMBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	refGSMExtension = "\f^{}\\[~]|€"
)

// refEncoding is the encoding a handset would pick for s.
func refEncoding(s string) Encoding {
	for _, r := range s {
		if !strings.ContainsRune(refGSMBasic, r) && !strings.ContainsRune(refGSMExtension, r) {
			return UCS2
		}
	}
	return GSM7
}

// refWidth is the units r takes in enc.
func refWidth(enc Encoding, r rune) int {
	switch {
	case enc == GSM7 && strings.ContainsRune(refGSMExtension, r):
		return 2
	case enc == UCS2 && r > 0xFFFF:
		return 2
	}
	return 1
}

func refUnits(enc Encoding, s string) int {
	n := 0
	for _, r := range s {
		n += refWidth(enc, r)
	}
	return n
}

func TestRefGSMAlphabetIsComplete(t *testing.T) {
	// 128 code points minus ESC; guards the reference against a dropped character.
	if n := utf8.RuneCountInString(refGSMBasic); n != 127 {
		t.Fatalf("reference basic table has %d characters, want 127", n)
	}
	for _, r := range refGSMBasic {
		if gsmWidth(r) != 1 {
			t.Errorf("gsmWidth(%q) = %d, want 1", r, gsmWidth(r))
		}
	}
	for _, r := range refGSMExtension {
		if gsmWidth(r) != 2 {
			t.Errorf("gsmWidth(%q) = %d, want 2", r, gsmWidth(r))
		}
	}
}

func TestCountSegments(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	zh := func(n int) string { return strings.Repeat("中", n) }
	tests := []struct {
		name  string
		text  string
		want  Segments
		parts []int // runes per part, when the split itself is the point
	}{
		{"EmptyIsZeroSegments", "", Segments{GSM7, 0, 0}, []int{}},
		{"OneGSMChar", "a", Segments{GSM7, 1, 1}, nil},
		{"160GSMCharsFitOnePart", a(160), Segments{GSM7, 160, 1}, []int{160}},
		{"161GSMCharsTakeTwoParts", a(161), Segments{GSM7, 161, 2}, []int{153, 8}},
		{"306GSMCharsFitTwoParts", a(306), Segments{GSM7, 306, 2}, nil},
		{"307GSMCharsTakeThreeParts", a(307), Segments{GSM7, 307, 3}, nil},
		{"ExtensionCharCountsTwoSeptets", "{€}", Segments{GSM7, 6, 1}, nil},
		{"ExtensionCharFillsSinglePartExactly", a(158) + "€", Segments{GSM7, 160, 1}, nil},
		{"ExtensionCharCrossesSinglePartBoundary", a(159) + "€", Segments{GSM7, 161, 2}, []int{153, 7}},
		{"ExtensionCharIsNotSplitAcrossParts", a(152) + "^" + a(152), Segments{GSM7, 306, 3}, []int{152, 152, 1}},
		{"ExtensionCharFillsMultiPartExactly", a(151) + "^" + a(10), Segments{GSM7, 163, 2}, []int{152, 10}},
		{"FormFeedIsExtension", a(159) + "\f", Segments{GSM7, 161, 2}, nil},
		{"GreekAndAccentsStayGSM", "ΔΩ éàü ¿¡ £¥§", Segments{GSM7, 13, 1}, nil},
		{"SmallCCedillaForcesUCS2", "ç", Segments{UCS2, 1, 1}, nil},
		{"TabForcesUCS2", "a\tb", Segments{UCS2, 3, 1}, nil},
		{"BacktickForcesUCS2", "`", Segments{UCS2, 1, 1}, nil},
		{"70ChineseCharsFitOnePart", zh(70), Segments{UCS2, 70, 1}, []int{70}},
		{"71ChineseCharsTakeTwoParts", zh(71), Segments{UCS2, 71, 2}, []int{67, 4}},
		{"134ChineseCharsFitTwoParts", zh(134), Segments{UCS2, 134, 2}, nil},
		{"135ChineseCharsTakeThreeParts", zh(135), Segments{UCS2, 135, 3}, nil},
		{"500ChineseCharsTakeEightParts", zh(500), Segments{UCS2, 500, 8}, nil},
		{"EmojiCountsTwoUnits", "😀", Segments{UCS2, 2, 1}, nil},
		{"68ChinesePlusEmojiFitOnePart", zh(68) + "😀", Segments{UCS2, 70, 1}, nil},
		{"69ChinesePlusEmojiTakeTwoParts", zh(69) + "😀", Segments{UCS2, 71, 2}, []int{67, 3}},
		{"EmojiIsNotSplitAcrossParts", zh(66) + "😀" + zh(66), Segments{UCS2, 134, 3}, []int{66, 66, 1}},
		{"EmojiFillsMultiPartExactly", zh(65) + "😀" + zh(5), Segments{UCS2, 72, 2}, []int{66, 5}},
		{"OneChineseCharForcesUCS2ForAll", a(69) + "中", Segments{UCS2, 70, 1}, nil},
		{"MixedLatinAndChineseSplitInUCS2", a(159) + "中", Segments{UCS2, 160, 3}, []int{67, 67, 26}},
		{"ExtensionCharIsOneUnitInUCS2", "€中", Segments{UCS2, 2, 1}, nil},
		{"InvalidUTF8IsOneUnitPerByte", "a\xff\xfeb", Segments{UCS2, 4, 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CountSegments(tt.text); got != tt.want {
				t.Errorf("CountSegments = %+v, want %+v", got, tt.want)
			}
			parts := SplitText(tt.text)
			if len(parts) != tt.want.Count {
				t.Errorf("len(SplitText) = %d, want %d", len(parts), tt.want.Count)
			}
			if tt.parts != nil {
				got := make([]int, len(parts))
				for i, p := range parts {
					got[i] = utf8.RuneCountInString(p)
				}
				if !equalInts(got, tt.parts) {
					t.Errorf("runes per part = %v, want %v", got, tt.parts)
				}
			}
			checkSplit(t, tt.text)
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkSplit asserts the invariants that keep billing and sending in step:
// SplitText gives exactly CountSegments' parts, loses nothing, never
// overfills a part and packs greedily (a part only ends when the next
// character would not fit).
func checkSplit(t rapid.TB, s string) {
	t.Helper()
	seg := CountSegments(s)
	parts := SplitText(s)

	enc := refEncoding(s)
	if seg.Encoding != enc {
		t.Fatalf("%q: Encoding = %v, want %v", s, seg.Encoding, enc)
	}
	if want := refUnits(enc, s); seg.Units != want {
		t.Fatalf("%q: Units = %d, want %d", s, seg.Units, want)
	}
	if len(parts) != seg.Count {
		t.Fatalf("%q: len(SplitText) = %d, CountSegments.Count = %d", s, len(parts), seg.Count)
	}
	if joined := strings.Join(parts, ""); joined != s {
		t.Fatalf("%q: parts join to %q", s, joined)
	}
	if s == "" {
		return
	}

	single, multi := 160, 153
	if enc == UCS2 {
		single, multi = 70, 67
	}
	if (seg.Units <= single) != (seg.Count == 1) {
		t.Fatalf("%q: %d units in %d parts, want one part exactly when units <= %d", s, seg.Units, seg.Count, single)
	}
	capacity := single
	if seg.Count > 1 {
		capacity = multi
	}
	for i, p := range parts {
		units := refUnits(enc, p)
		if p == "" || units > capacity {
			t.Fatalf("%q: part %d %q has %d units, want 1..%d", s, i, p, units, capacity)
		}
		if utf8.ValidString(s) && !utf8.ValidString(p) {
			t.Fatalf("%q: part %d %q cuts a character", s, i, p)
		}
		if i+1 < len(parts) {
			next, _ := utf8.DecodeRuneInString(parts[i+1])
			if units+refWidth(enc, next) <= capacity {
				t.Fatalf("%q: part %d ends with room for the next character %q", s, i, next)
			}
		}
	}
}

// textGen draws texts that reach the interesting boundaries: long runs of
// GSM text with extension characters, Chinese with emoji, mixtures, and
// arbitrary strings.
func textGen() *rapid.Generator[string] {
	joined := func(pieces ...string) *rapid.Generator[string] {
		return rapid.Custom(func(t *rapid.T) string {
			// rapid favours short slices; drawing the length first makes
			// multi-part texts (over 70 or 160 units) as common as short ones.
			n := rapid.IntRange(0, 400).Draw(t, "n")
			return strings.Join(rapid.SliceOfN(rapid.SampledFrom(pieces), n, n).Draw(t, "pieces"), "")
		})
	}
	return rapid.OneOf(
		joined("a", "Z", "0", " ", "\n", "é", "Ω", "€", "^", "{", "\\", "\f"),
		joined("中", "文", "，", "😀", "👍🏽", "a", "€"),
		joined("a", "a", "a", "a", "中", "😀", "€", "\t", "\xff", "\u3000"),
		// Dense 2-unit characters, so parts often end one unit short.
		joined("€", "€", "a"),
		joined("😀", "😀", "中"),
		rapid.String(),
	)
}

func TestSplitText_WideCharAtEveryPositionAroundBoundaries(t *testing.T) {
	// Random texts rarely put a 2-unit character exactly across a cut, the
	// one place a ceil(units/capacity) count would be wrong, so try them all.
	tests := []struct {
		name         string
		filler, wide string
		single       int
	}{
		{"GSMExtensionChar", "a", "€", gsmSingle},
		{"UCS2Emoji", "中", "😀", ucs2Single},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for n := tt.single - 2; n <= 2*tt.single; n++ {
				for p := 0; p <= n; p++ {
					checkSplit(t, strings.Repeat(tt.filler, p)+tt.wide+strings.Repeat(tt.filler, n-p))
				}
			}
		})
	}
}

func TestSplitText_Properties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkSplit(t, textGen().Draw(t, "text"))
	})
}

func FuzzSplitText(f *testing.F) {
	for _, s := range []string{
		"",
		"hello",
		strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152),
		strings.Repeat("中", 66) + "😀" + strings.Repeat("中", 66),
		strings.Repeat("a", 159) + "中",
		"a\xffb",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSplit(t, s)
	})
}

func TestCountSegments_DoesNotAllocate(t *testing.T) {
	text := strings.Repeat("中文短信😀", 100)
	allocs := testing.AllocsPerRun(100, func() { CountSegments(text) })
	if allocs != 0 {
		t.Errorf("allocs = %v, want 0", allocs)
	}
}

func TestEncoding_String(t *testing.T) {
	tests := []struct {
		enc  Encoding
		want string
	}{
		{GSM7, "gsm7"},
		{UCS2, "ucs2"},
		{Encoding(7), "Encoding(7)"},
	}
	for _, tt := range tests {
		if got := tt.enc.String(); got != tt.want {
			t.Errorf("Encoding(%d).String() = %q, want %q", int(tt.enc), got, tt.want)
		}
	}
}

func TestValidateContent(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string // part of the message; "" means valid
	}{
		{"AcceptsShortText", "您好，您的验证码是123456。", ""},
		{"AcceptsBenchTexts", "【示例单位】您好，明天上午九点在三楼会议室召开工作例会，请准时参加。", ""},
		{"AcceptsExactlyMaxChars", strings.Repeat("中", MaxContentChars), ""},
		{"CountsEmojiAsOneChar", strings.Repeat("😀", MaxContentChars), ""},
		{"RejectsEmpty", "", "短信内容不能为空"},
		{"RejectsWhitespaceOnly", " \n\t\u3000", "短信内容不能为空"},
		{"RejectsOverMaxCharsWithCount", strings.Repeat("中", MaxContentChars+1), "共501字，最多500字"},
		{"RejectsOverMaxGSMChars", strings.Repeat("a", 600), "共600字"},
		{"RejectsInvalidUTF8", "验证码\xff", "无法识别的字符编码"},
		{"AcceptsSignatureAndText", "【示例单位】您好", ""},
		{"AcceptsLineBreaks", "【示例单位】第一行\n第二行\r\n第三行", ""},
		{"AcceptsBracketsOtherThanSignature", "【示例单位】请带[身份证]和（户口本）", ""},
		{"RejectsSignatureOnly", "【示例单位】", "只有签名【示例单位】，没有正文"},
		{"RejectsSignatureAndPunctuation", "【示例单位】 。\u200b", "只有签名"},
		{"RejectsSecondSignature", "【示例单位】您好【某银行】", "只能有一个签名"},
		{"RejectsSecondSignatureAtOnce", "【示例单位】【某银行】您好", "只能有一个签名"},
		{"RejectsStrayBracketAfterSignature", "【示例单位】您好】", "只能有一个签名"},
		{"RejectsNUL", "【示例单位】您好\x00", "控制字符 U+0000（第9个字）"},
		{"RejectsTab", "【示例单位】您\t好", "控制字符 U+0009"},
		{"RejectsLoneCarriageReturn", "【示例单位】您\r好", "控制字符 U+000D"},
		{"RejectsEscape", "【示例单位】您\x1b好", "控制字符 U+001B"},
		{"RejectsDEL", "【示例单位】您\x7f好", "控制字符 U+007F"},
		{"RejectsC1Control", "【示例单位】您\u0085好", "控制字符 U+0085"},
		{"RejectsRightToLeftOverride", "【示例单位】您好\u202e", "改变文字方向的字符 U+202E"},
		{"RejectsLeftToRightEmbedding", "【示例单位】\u202a您好", "U+202A"},
		{"RejectsIsolate", "【示例单位】您\u2066好\u2069", "U+2066"},
		{"RejectsReplacementCharacter", "【示例单位】您好\ufffd\ufffd", "乱码"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateContent(tt.text)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("ValidateContent error: %v", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID {
				t.Fatalf("code = %q (%v), want %s", ErrorCode(err), err, EINVALID)
			}
			if msg := ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.want)
			}
			if e := err.(*Error); e.Details["field"] != "content" {
				t.Errorf("details = %v, want field content", e.Details)
			}
		})
	}
}

func BenchmarkCountSegments(b *testing.B) {
	for _, bm := range []struct{ name, text string }{
		{"GSM160", strings.Repeat("a", 160)},
		{"GSM500WithExtension", strings.Repeat("Hello {world} ", 36)},
		{"Chinese70", strings.Repeat("中", 70)},
		{"Chinese500", strings.Repeat("中", 500)},
		{"MixedWithEmoji", strings.Repeat("您好 Hello 😀 ", 40)},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.text)))
			for b.Loop() {
				_ = CountSegments(bm.text)
			}
		})
	}
}

func BenchmarkSplitText(b *testing.B) {
	text := strings.Repeat("中", 500)
	b.ReportAllocs()
	for b.Loop() {
		_ = SplitText(text)
	}
}
