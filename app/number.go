package app

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNumberDigits is the longest digit string a valid number can be typed
// with: "0086" and 11 national digits. Longer input is rejected on length, so
// digits past this point only need counting, not keeping.
const maxNumberDigits = 15

// NormalizeNumber turns what a user typed into the canonical 11-digit Chinese mobile number.
//
// It accepts the forms people paste from spreadsheets and address books:
// surrounding whitespace, inner spaces and '-', full-width digits, space and
// plus (typed with a Chinese IME), and the prefixes +86, 0086 and 86. Every
// other character is rejected rather than dropped, because silently dropping
// a stray letter could turn a typo into somebody else's number.
//
// Errors are *Error with code EINVALID_NUMBER; the message says why in
// Chinese so console users can fix the list themselves.
//
// It runs once per recipient on batches of up to 100,000 numbers, so it uses
// no regexp and allocates nothing but the result (and nothing at all when the
// input is already canonical).
func NormalizeNumber(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if isMobileNumber(s) {
		return s, nil
	}

	var buf [maxNumberDigits]byte
	n := 0 // digits seen; may exceed len(buf), which only matters for the length message
	plus := false
	for i, r := range s {
		var d byte
		switch {
		case '0' <= r && r <= '9':
			d = byte(r)
		case '０' <= r && r <= '９':
			d = byte(r-'０') + '0'
		case r == ' ' || r == '-' || r == '\u3000':
			continue
		case r == '+' || r == '＋':
			if i != 0 {
				return "", Errorf(EINVALID_NUMBER, "号码含有非法字符：“+”只能写在号码开头")
			}
			plus = true
			continue
		default:
			return "", invalidNumberChar(r)
		}
		if n < len(buf) {
			buf[n] = d
		}
		n++
	}
	if n == 0 {
		return "", Errorf(EINVALID_NUMBER, "号码为空")
	}

	digits := buf[:min(n, len(buf))]
	national := n
	switch {
	case plus:
		if n < 2 || digits[0] != '8' || digits[1] != '6' {
			return "", errInternationalNumber()
		}
		digits, national = digits[2:], n-2
	case n >= 4 && string(digits[:4]) == "0086":
		digits, national = digits[4:], n-4
	case n >= 2 && digits[0] == '0' && digits[1] == '0':
		// 00 is the international dialling prefix, so this is another country.
		return "", errInternationalNumber()
	case n == 13 && digits[0] == '8' && digits[1] == '6':
		// A bare 86 is only a country code when 11 digits follow; otherwise
		// it is part of what the user meant as the number.
		digits, national = digits[2:], 11
	}
	if national != 11 {
		return "", Errorf(EINVALID_NUMBER, "号码位数不对：应为11位手机号，实际为%d位", national)
	}
	if !isMobilePrefix(digits[0], digits[1]) {
		return "", Errorf(EINVALID_NUMBER, "不是手机号段：手机号应以13至19开头")
	}
	return string(digits[:11]), nil
}

// isMobileNumber reports whether s is already canonical, so the common case
// returns the input itself without copying.
func isMobileNumber(s string) bool {
	if len(s) != 11 || !isMobilePrefix(s[0], s[1]) {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isMobilePrefix reports whether two leading digits form a mobile prefix
// (1[3-9]); 10, 11 and 12 are service numbers, not handsets.
func isMobilePrefix(a, b byte) bool {
	return a == '1' && '3' <= b && b <= '9'
}

// invalidNumberChar names the offending character so the user can find it in
// a long pasted list; invisible characters are shown by code point.
func invalidNumberChar(r rune) *Error {
	switch {
	case r == utf8.RuneError:
		return Errorf(EINVALID_NUMBER, "号码含有非法字符：存在无法识别的字符编码")
	case unicode.IsPrint(r):
		return Errorf(EINVALID_NUMBER, "号码含有非法字符「%c」：只能包含数字、空格、-和开头的+", r)
	default:
		return Errorf(EINVALID_NUMBER, "号码含有非法字符（U+%04X）：只能包含数字、空格、-和开头的+", r)
	}
}

// errInternationalNumber is the answer for any country code but 86: the
// gateway's carriers deliver only within mainland China.
func errInternationalNumber() *Error {
	return Errorf(EINVALID_NUMBER, "仅支持中国大陆手机号：国际区号只能是+86")
}

// MaskNumber hides the middle of a number for logs: "13800138000" becomes
// "138****8000". Logs are read by more people than the recipient list, so it
// never shows more than the first 3 and last 4 characters, always hides at
// least 4 of 8 or more, shows only the first 1-2 of shorter strings and
// nothing of strings under 3 characters. The length is kept so a log reader
// can still tell a truncated number from a full one. It works on runes, so
// odd input is masked without producing broken UTF-8.
func MaskNumber(n string) string {
	size := utf8.RuneCountInString(n)
	var head, tail int
	switch {
	case size >= 11:
		head, tail = 3, 4
	case size >= 8:
		head, tail = 2, size-6 // keeps 4 hidden
	case size >= 5:
		head = 2
	case size >= 3:
		head = 1
	}

	var b strings.Builder
	b.Grow(len(n))
	i := 0
	for _, r := range n {
		if i < head || i >= size-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}
