package app

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeNumber(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"AcceptsCanonicalNumber", "13800138000", "13800138000"},
		{"AcceptsEverySecondDigitFrom3To9", "19912345678", "19912345678"},
		{"TrimsSurroundingWhitespace", " \t13800138000\r\n", "13800138000"},
		{"TrimsFullWidthSpace", "\u300013800138000\u3000", "13800138000"},
		{"IgnoresInnerSpaces", "138 0013 8000", "13800138000"},
		{"IgnoresInnerDashes", "138-0013-8000", "13800138000"},
		{"IgnoresInnerFullWidthSpaces", "138\u30000013\u30008000", "13800138000"},
		{"ConvertsFullWidthDigits", "１３８００１３８０００", "13800138000"},
		{"ConvertsMixedWidthDigits", "138００138000", "13800138000"},
		{"StripsPlus86", "+8613800138000", "13800138000"},
		{"StripsPlus86WithSpaces", "+86 138 0013 8000", "13800138000"},
		{"StripsSpaceBetweenPlusAndCode", "+ 86-138-0013-8000", "13800138000"},
		{"StripsFullWidthPlus86", "＋８６１３８００１３８０００", "13800138000"},
		{"Strips0086", "008613800138000", "13800138000"},
		{"Strips0086WithSpaces", "0086 138 0013 8000", "13800138000"},
		{"Strips86WhenElevenDigitsFollow", "8613800138000", "13800138000"},
		{"Strips86WithDash", "86-138-0013-8000", "13800138000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeNumber(tt.raw)
			if err != nil {
				t.Fatalf("NormalizeNumber(%q) error: %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("NormalizeNumber(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestNormalizeNumber_Rejects(t *testing.T) {
	// Each reason has its own message so the console can tell users what to
	// fix; reason is the part of the message that identifies it.
	tests := []struct {
		name   string
		raw    string
		reason string
	}{
		{"RejectsEmpty", "", "号码为空"},
		{"RejectsWhitespaceOnly", " \t\u3000 ", "号码为空"},
		{"RejectsSeparatorsOnly", "- -", "号码为空"},
		{"RejectsPlusOnly", "+", "号码为空"},
		{"RejectsLetters", "1380013800O", "非法字符「O」"},
		{"RejectsDot", "138.0013.8000", "非法字符「.」"},
		{"RejectsParentheses", "(+86)13800138000", "非法字符「(」"},
		{"RejectsInnerTab", "138\t00138000", "非法字符（U+0009）"},
		{"RejectsFullWidthHyphen", "138－0013－8000", "非法字符「－」"},
		{"RejectsPlusInTheMiddle", "138+00138000", "“+”只能写在号码开头"},
		{"RejectsSecondPlus", "++8613800138000", "“+”只能写在号码开头"},
		{"RejectsInvalidUTF8", "138\xff00138000", "无法识别的字符编码"},
		{"RejectsTenDigits", "1380013800", "位数不对：应为11位手机号，实际为10位"},
		{"RejectsTwelveDigits", "138001380001", "实际为12位"},
		{"RejectsLongDigitString", strings.Repeat("1", 40), "实际为40位"},
		{"RejectsPlus86WithTenDigits", "+861380013800", "实际为10位"},
		{"Rejects0086WithTwelveDigits", "0086138001380001", "实际为12位"},
		{"RejectsTrunkZero", "013800138000", "实际为12位"},
		{"RejectsBare86WithTenDigits", "861380013800", "实际为12位"},
		{"RejectsLandline", "01012345678", "不是手机号段"},
		{"RejectsSecondDigit2", "12800138000", "不是手机号段"},
		{"RejectsSecondDigit0", "10086100861", "不是手机号段"},
		{"RejectsPlus86Landline", "+86 010 1234 5678", "不是手机号段"},
		{"Rejects86PrefixedElevenDigitsAsPrefix", "86138001380", "不是手机号段"},
		{"RejectsOtherCountryWithPlus", "+1 415 555 2671", "仅支持中国大陆手机号"},
		{"RejectsHongKongWithPlus", "+852 9123 4567", "仅支持中国大陆手机号"},
		{"RejectsOtherCountryWith00", "00852 9123 4567", "仅支持中国大陆手机号"},
		{"RejectsPlusThen0086", "+008613800138000", "仅支持中国大陆手机号"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeNumber(tt.raw)
			if err == nil {
				t.Fatalf("NormalizeNumber(%q) = %q, want error containing %q", tt.raw, got, tt.reason)
			}
			if code := ErrorCode(err); code != EINVALID_NUMBER {
				t.Errorf("code = %s, want %s", code, EINVALID_NUMBER)
			}
			if msg := ErrorMessage(err); !strings.Contains(msg, tt.reason) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.reason)
			}
			if got != "" {
				t.Errorf("result = %q, want empty on error", got)
			}
		})
	}
}

func TestNormalizeNumber_DoesNotAllocateForCanonicalInput(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := NormalizeNumber("13800138000"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("allocs = %v, want 0", allocs)
	}
}

func TestNormalizeNumber_AllocatesOnlyTheResultForFormattedInput(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := NormalizeNumber("+86 １３８-0013-8000"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("allocs = %v, want at most 1", allocs)
	}
}

func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138-0013-8000", "００８６１３８００１３８０００", "8613800138000", "+1 415", "abc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := NormalizeNumber(raw)
		if err != nil {
			if ErrorCode(err) != EINVALID_NUMBER {
				t.Fatalf("NormalizeNumber(%q) error code %s, want %s", raw, ErrorCode(err), EINVALID_NUMBER)
			}
			return
		}
		if !isMobileNumber(got) {
			t.Fatalf("NormalizeNumber(%q) = %q, not a canonical mobile number", raw, got)
		}
		// The result is the last 11 digits the user typed: only prefixes
		// and separators are ever dropped.
		var typed []rune
		for _, r := range raw {
			if '0' <= r && r <= '9' {
				typed = append(typed, r)
			} else if '０' <= r && r <= '９' {
				typed = append(typed, r-'０'+'0')
			}
		}
		if len(typed) < 11 || string(typed[len(typed)-11:]) != got {
			t.Fatalf("NormalizeNumber(%q) = %q, want the last 11 typed digits of %q", raw, got, string(typed))
		}
		if again, err := NormalizeNumber(got); err != nil || again != got {
			t.Fatalf("NormalizeNumber(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}

func TestMaskNumber(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"MasksMiddleOfMobileNumber", "13800138000", "138****8000"},
		{"ShowsAtMostFirst3AndLast4OfLongInput", "+8613800138000", "+86*******8000"},
		{"HidesAtLeast4OfTen", "1380013800", "13****3800"},
		{"HidesAtLeast4OfNine", "138001380", "13****380"},
		{"HidesAtLeast4OfEight", "13800138", "13****38"},
		{"ShowsFirst2OfSeven", "1380013", "13*****"},
		{"ShowsFirst2OfFive", "13800", "13***"},
		{"ShowsFirst1OfFour", "1380", "1***"},
		{"ShowsFirst1OfThree", "138", "1**"},
		{"HidesAllOfTwo", "13", "**"},
		{"HidesAllOfOne", "1", "*"},
		{"KeepsEmptyEmpty", "", ""},
		{"MasksByCharacterNotByte", "一二三四五六七八九十一", "一二三****八九十一"},
		{"ReplacesInvalidUTF8InVisibleParts", "\xff3800138000", "\uFFFD38****8000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MaskNumber(tt.in)
			if got != tt.want {
				t.Errorf("MaskNumber(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("MaskNumber(%q) = %q, not valid UTF-8", tt.in, got)
			}
		})
	}
}

func BenchmarkNormalizeNumber(b *testing.B) {
	for _, bm := range []struct{ name, raw string }{
		{"Canonical", "13800138000"},
		{"Formatted", "+86 138-0013-8000"},
		{"FullWidth", "１３８００１３８０００"},
		{"Invalid", "1380013800O"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = NormalizeNumber(bm.raw)
			}
		})
	}
}
