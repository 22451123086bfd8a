package app

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// bidiControl reports whether r is a bidirectional embedding, override or
// isolate (U+202A–U+202E, U+2066–U+2069): they reorder what the reader
// sees, so the reviewer and the handset would not read the same text.
func bidiControl(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// unsendable reports whether r may not be in a message: a control
// character (line breaks are checked by the caller), a bidi control, or
// U+FFFD, which a decoder upstream (JSON's, a spreadsheet's) put in place
// of bytes that were not UTF-8 and a handset would show as is.
func unsendable(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || bidiControl(r)
}

// Encoding is how a message's text is carried over the air. It decides how
// many characters fit in one SMS, and so what the customer is billed.
type Encoding int

// The two encodings handsets and SMSCs agree on. GSM7 packs 7-bit septets;
// UCS2 is used as soon as one character is outside the GSM alphabet, which
// any Chinese character is.
const (
	GSM7 Encoding = iota
	UCS2
)

// String returns the name used in logs and the API: "gsm7" or "ucs2".
func (e Encoding) String() string {
	switch e {
	case GSM7:
		return "gsm7"
	case UCS2:
		return "ucs2"
	}
	return fmt.Sprintf("Encoding(%d)", int(e))
}

// MaxContentChars is the longest message a user may send, in characters
// (runes). 500 Chinese characters is 8 segments, the most carriers
// reliably reassemble on every handset.
const MaxContentChars = 500

// Per-part capacities. A message that fits one part uses all of it; a longer
// one loses room in every part to the concatenation header (UDH), which takes
// 6 bytes: 7 septets in GSM7, 3 UTF-16 units in UCS2.
const (
	gsmSingle  = 160
	gsmMulti   = 153
	ucs2Single = 70
	ucs2Multi  = 67
)

// Segments describes how a text goes over the air.
type Segments struct {
	Encoding Encoding
	// Units is the length in the encoding's units: septets for GSM7, where
	// extension-table characters (^{}[]~|€\ and form feed) take 2, and UTF-16
	// code units for UCS2, where characters outside the BMP such as emoji
	// take 2.
	Units int
	// Count is the number of SMS parts, as the SMSC will split and bill it.
	Count int
}

// CountSegments returns how text will be sent: its encoding, its length in
// units and how many parts it takes. It agrees with SplitText part for part
// (both use one packing routine) and does not allocate, since it runs for
// every message in a batch.
func CountSegments(text string) Segments {
	return segment(text, nil)
}

// SplitText cuts text into the parts it is sent as, exactly
// CountSegments(text).Count of them, joining back to text. A cut never falls
// inside a UTF-16 surrogate pair or a GSM escape sequence: the character
// goes whole to the next part, as handsets expect, even if that leaves the
// previous part a unit short.
func SplitText(text string) []string {
	var parts []string
	segment(text, &parts)
	return parts
}

// segment is the one packing routine behind CountSegments and SplitText, so
// the count billed can never drift from the parts sent. When parts is not
// nil the parts are appended to it.
//
// Count cannot be computed as ceil(Units/67): a 2-unit character that does
// not fit the room left in a part moves whole to the next one, so parts can
// carry less than their capacity and the text may need one more part.
func segment(text string, parts *[]string) Segments {
	// One pass to learn the encoding and both lengths; the text is GSM7
	// only if every character is.
	gsm := true
	septets, units := 0, 0
	for _, r := range text {
		if gsm {
			if w := gsmWidth(r); w == 0 {
				gsm = false
			} else {
				septets += w
			}
		}
		units += utf16Width(r)
	}

	s := Segments{Encoding: GSM7, Units: septets}
	single, multi := gsmSingle, gsmMulti
	if !gsm {
		s = Segments{Encoding: UCS2, Units: units}
		single, multi = ucs2Single, ucs2Multi
	}
	if s.Units == 0 {
		return s
	}
	if s.Units <= single {
		s.Count = 1
		if parts != nil {
			*parts = append(*parts, text)
		}
		return s
	}

	if parts != nil && *parts == nil {
		// Usually exact; at worst one append grows it.
		*parts = make([]string, 0, s.Units/multi+1)
	}
	start, used := 0, 0
	for i, r := range text {
		var w int
		if gsm {
			w = gsmWidth(r)
		} else {
			w = utf16Width(r)
		}
		if used+w > multi {
			s.Count++
			if parts != nil {
				*parts = append(*parts, text[start:i])
			}
			start, used = i, 0
		}
		used += w
	}
	s.Count++
	if parts != nil {
		*parts = append(*parts, text[start:])
	}
	return s
}

// utf16Width is the number of UTF-16 code units r takes in UCS2: 2 for a
// surrogate pair (outside the BMP), else 1. Invalid UTF-8 reaches here as
// utf8.RuneError and is sent as U+FFFD, one unit.
func utf16Width(r rune) int {
	if r > 0xFFFF {
		return 2
	}
	return 1
}

// gsmWidth is the number of septets r takes in the GSM 03.38 alphabet: 1 for
// the default table, 2 for the extension table (escape + character), 0 if r
// cannot be sent in GSM7 at all. Code 0x09 is taken as 'Ç' (capital), as in
// the Unicode mapping of GSM 03.38; a small 'ç' forces UCS2 rather than risk
// reaching the handset as the wrong letter.
func gsmWidth(r rune) int {
	if r < utf8.RuneSelf {
		return int(gsmASCII[r])
	}
	switch r {
	case '£', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', 'Ø', 'ø', 'Å', 'å',
		'Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', 'Æ', 'æ', 'ß', 'É',
		'¤', '¡', 'Ä', 'Ö', 'Ñ', 'Ü', '§', '¿', 'ä', 'ö', 'ñ', 'ü', 'à':
		return 1
	case '€':
		return 2
	}
	return 0
}

// gsmASCII holds gsmWidth for ASCII, the bulk of GSM7 text, so the common
// case is one array read. It is computed once and never written again.
// Notably absent: tab, other control characters, '`' and DEL, which force
// UCS2; ESC is absent too, because a raw ESC would be read as the start of an
// extension sequence.
var gsmASCII = func() (t [utf8.RuneSelf]uint8) {
	const basic = "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@" +
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
	const extension = "\f^{}\\[~]|"
	for i := 0; i < len(basic); i++ {
		t[basic[i]] = 1
	}
	for i := 0; i < len(extension); i++ {
		t[extension[i]] = 2
	}
	return t
}()

// ValidateContent checks a message text before it is accepted: it must not
// be blank, must be valid UTF-8 (anything else would reach handsets as
// garbage), at most MaxContentChars characters, hold something after its
// 【signature】 and no second 【】 (a handset would show two senders), and
// no control characters but line breaks (\n, \r\n) nor bidirectional
// overrides or isolates (see unsendable). Errors are
// EINVALID on the field "content".
func ValidateContent(text string) error {
	if strings.TrimSpace(text) == "" {
		return FieldError("content", "短信内容不能为空")
	}
	if !utf8.ValidString(text) {
		return FieldError("content", "短信内容含有无法识别的字符编码：请重新输入，不要粘贴乱码")
	}
	if n := utf8.RuneCountInString(text); n > MaxContentChars {
		return FieldError("content", "短信内容过长：共%d字，最多%d字", n, MaxContentChars)
	}
	n := 0
	for i, r := range text {
		n++
		switch {
		case r == '\n' || r == '\r' && strings.HasPrefix(text[i+1:], "\n"):
		case r == utf8.RuneError:
			return FieldError("content", "短信内容含有无法识别的字符（第%d个字为乱码“\uFFFD”）：请重新输入，不要粘贴乱码", n)
		case unicode.IsControl(r):
			return FieldError("content", "短信内容含有控制字符 U+%04X（第%d个字）：除换行外不能含控制字符", r, n)
		case bidiControl(r):
			return FieldError("content", "短信内容含有改变文字方向的字符 U+%04X（第%d个字）：请删除后重试", r, n)
		}
	}
	if sig, body, ok := strings.Cut(text, "】"); ok {
		if strings.ContainsAny(body, "【】") {
			return FieldError("content", "短信内容只能有一个签名：签名%s】之后的正文不能再含【】", sig)
		}
		empty := func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.Is(unicode.Cf, r) }
		if strings.HasPrefix(sig, "【") && strings.TrimFunc(body, empty) == "" {
			return FieldError("content", "短信内容只有签名%s】，没有正文：请在签名后填写内容", sig)
		}
	}
	return nil
}
