package app

import (
	"strings"
	"testing"
	"unicode/utf16"
)

// FuzzSegments holds segmenting to what goes over the air and what is
// billed: the parts join back to the text (checkSplit), each part fits a
// 140-octet SMS in its encoding with the 6-octet concatenation header when
// there are several, every part but the last is full bar one unit (a
// 2-unit character moved whole), and the send policy bills a free text the
// count SplitText cuts it into.
func FuzzSegments(f *testing.F) {
	for _, s := range []string{
		"", "a", "【示例单位】您好", "hello\r\nworld",
		strings.Repeat("a", 160), strings.Repeat("a", 161), strings.Repeat("€", 80), strings.Repeat("€", 81),
		strings.Repeat("中", 70), strings.Repeat("中", 71), strings.Repeat("😀", 35), strings.Repeat("😀", 36),
		strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152),
		strings.Repeat("中", 66) + "😀" + strings.Repeat("中", 66),
		"【示例单位】" + strings.Repeat("验证码😀", 120),
		"a\xffb", "\xed\xa0\x80", "\U0010FFFF", "ç", "Ç", "\x1b", "`",
	} {
		f.Add(s)
	}
	look := world()
	f.Fuzz(func(t *testing.T, s string) {
		checkSplit(t, s)
		seg := CountSegments(s)
		parts := SplitText(s)
		multi := len(parts) > 1
		for i, p := range parts {
			if n := airOctets(seg.Encoding, p, multi); n > 140 {
				t.Fatalf("%q: part %d %q is %d octets on the air, want at most 140", s, i, p, n)
			}
			if multi && i < len(parts)-1 {
				capacity := ucs2Multi
				if seg.Encoding == GSM7 {
					capacity = gsmMulti
				}
				if u := refUnits(seg.Encoding, p); u < capacity-1 {
					t.Fatalf("%q: part %d has %d units, want %d or %d", s, i, u, capacity-1, capacity)
				}
			}
		}

		// What the API and the console bill is the policy's count, which
		// must be the parts the engine sends.
		text := "【示例单位】" + s
		if ValidateContent(text) != nil {
			return
		}
		plan, err := PlanSend(&SendRequest{To: []string{"13800138000"}, Content: text}, freeApp, now, look)
		if err != nil {
			if c := ErrorCode(err); c != ESENSITIVE_WORD {
				t.Fatalf("%q: a valid free text refused: %v", text, err)
			}
			return
		}
		want := len(SplitText(text))
		if plan.Batch.Segments != want || plan.Messages[0].Segments != want {
			t.Fatalf("%q: billed %d (batch) and %d (message), sent as %d parts", text, plan.Batch.Segments, plan.Messages[0].Segments, want)
		}
	})
}

// airOctets is the size of a part in the 140-octet user data of an SMS:
// GSM7 septets packed 8 to 7 octets, UCS2 two octets per UTF-16 unit, plus
// the 6-octet concatenation header (UDH) of a multi-part message. It
// encodes with the standard library, independently of segment.
func airOctets(enc Encoding, part string, multi bool) int {
	udh := 0
	if multi {
		udh = 6
	}
	if enc == UCS2 {
		return udh + 2*len(utf16.Encode([]rune(part)))
	}
	septets := refUnits(GSM7, part)
	if multi {
		// The header is padded to a septet boundary: 6 octets take 7 septets.
		return (7 + septets) * 7 / 8
	}
	return (septets*7 + 7) / 8
}
