package app

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNumber feeds anything a user could paste into a number field to the
// number rules: normalising, the carrier lookup and the log mask. A valid
// number normalises to a canonical one that normalises to itself and has a
// carrier entry or none, never a panic; invalid input is an
// EINVALID_NUMBER error with a message; the mask never shows more than
// 7 characters nor changes the length.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{
		"13800138000", " 138 0013 8000 ", "+86 138-0013-8000", "＋８６１３８００１３８０００",
		"0086 13800138000", "8613800138000", "86138001380", "+8613800138000\u3000",
		"12800138000", "1380013800", "138001380000", "+1 415 555 0100", "0013800138000",
		"138\x000138000", "1\xff3800138000", "١٣٨٠٠١٣٨٠٠٠", "138-0013-800a", "+", "+-", "",
		"19212345678", "17012345678", "1440000000", strings.Repeat("1", 40),
	} {
		f.Add(s)
	}
	table := DefaultCarrierTable()
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := NormalizeNumber(raw)
		table.Lookup(raw) // odd input is CarrierUnknown, never a panic
		checkMask(t, raw)
		if err != nil {
			if ErrorCode(err) != EINVALID_NUMBER || ErrorMessage(err) == "" {
				t.Fatalf("NormalizeNumber(%q): error %v, want %s with a message", raw, err, EINVALID_NUMBER)
			}
			if !utf8.ValidString(ErrorMessage(err)) {
				t.Fatalf("NormalizeNumber(%q): message %q is not UTF-8", raw, ErrorMessage(err))
			}
			return
		}
		if len(got) != 11 || got[0] != '1' || got[1] < '3' || got[1] > '9' || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("NormalizeNumber(%q) = %q, not 1[3-9] and 9 digits", raw, got)
		}
		if again, err := NormalizeNumber(got); err != nil || again != got {
			t.Fatalf("NormalizeNumber(%q) = %q, %v: not a fixed point", got, again, err)
		}
		// Formatting does not change the answer: the forms a user may
		// type the same number in all normalise to it.
		for _, form := range []string{"+86" + got, "0086 " + got, "86" + got, got[:3] + "-" + got[3:7] + "-" + got[7:], " " + got + "\u3000"} {
			if again, err := NormalizeNumber(form); err != nil || again != got {
				t.Fatalf("NormalizeNumber(%q) = %q, %v; want %q", form, again, err, got)
			}
		}
		info := table.Lookup(got)
		if info.Carrier != CarrierUnknown && !info.Carrier.Valid() {
			t.Fatalf("Lookup(%q) = %+v, not a carrier", got, info)
		}
		if m := MaskNumber(got); m[:3] != got[:3] || m[7:] != got[7:] || m[3:7] != "****" {
			t.Fatalf("MaskNumber(%q) = %q, want the middle four hidden", got, m)
		}
	})
}

// checkMask holds MaskNumber to its doc: the same number of characters,
// valid UTF-8, characters shown unchanged, at most 7 of them (the first 3
// and last 4), and at least 4 hidden of a string of 8 or more.
func checkMask(t *testing.T, raw string) {
	t.Helper()
	m := MaskNumber(raw)
	if !utf8.ValidString(m) {
		t.Fatalf("MaskNumber(%q) = %q, not UTF-8", raw, m)
	}
	in, out := []rune(raw), []rune(m)
	if len(in) != len(out) {
		t.Fatalf("MaskNumber(%q) = %q: %d characters, want %d", raw, m, len(out), len(in))
	}
	shown := 0
	for i, r := range out {
		if r != '*' {
			shown++
			if in[i] != r && !(in[i] == utf8.RuneError && r == utf8.RuneError) {
				t.Fatalf("MaskNumber(%q) = %q: character %d changed", raw, m, i)
			}
		}
	}
	hidden := 0
	for i, r := range out {
		if r == '*' && in[i] != '*' {
			hidden++
		}
	}
	if shown > 7 || len(in) >= 8 && hidden < 4 && !strings.Contains(raw, "*") {
		t.Fatalf("MaskNumber(%q) = %q: %d shown, %d hidden", raw, m, shown, hidden)
	}
}
