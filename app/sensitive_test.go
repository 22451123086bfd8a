package app

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
	"pgregory.net/rapid"
)

func TestMatcherFindsWordsPastEvasion(t *testing.T) {
	m := NewMatcher([]WordList{
		{Name: "违禁", Action: WordBlock, Words: []string{"发票", "代开", "VPN"}},
		{Name: "营销审核", Action: WordReview, Words: []string{"中奖", "免费领取"}},
	})
	tests := []struct {
		text string
		want []string
	}{
		{"【示例单位】明天上午九点开会", nil},
		{"【示例单位】可代开发票", []string{"代开", "发票"}},
		{"【示例单位】可 代 开 发-票", []string{"代开", "发票"}},
		{"【示例单位】翻墙用ＶＰＮ", []string{"VPN"}},
		{"【示例单位】翻墙用v.p.n", []string{"VPN"}},
		{"【示例单位】恭喜您中奖了，免费　领取", []string{"中奖", "免费领取"}},
		{"【示例单位】中奖请回复，另可代开", []string{"代开", "中奖"}}, // blocking first
	}
	for _, tt := range tests {
		got := m.Find(tt.text)
		var words []string
		for _, w := range got {
			words = append(words, w.Word)
		}
		if strings.Join(words, ",") != strings.Join(tt.want, ",") {
			t.Errorf("Find(%q) = %v, want %v", tt.text, words, tt.want)
		}
	}
	if got := m.Find("恭喜中奖"); len(got) != 1 || got[0].List != "营销审核" || got[0].Action != WordReview {
		t.Errorf("the match names its list and action: %+v", got)
	}
}

// Compatibility forms (Unicode's look-alikes of plain characters) are
// matched as the characters they stand for, in texts and in words.
func TestMatcherFindsCompatibilityForms(t *testing.T) {
	m := NewMatcher([]WordList{
		{Name: "违禁", Action: WordBlock, Words: []string{"发票", "VPN", "一号", "ﬁx", "⑴中"}},
	})
	tests := []struct {
		name, text string
		want       []string
	}{
		{"MathematicalBold", "【示例单位】翻墙用𝐕𝐏𝐍", []string{"VPN"}},
		{"MathematicalScript", "【示例单位】翻墙用𝓋𝓅𝓃", []string{"VPN"}},
		{"CircledLetters", "【示例单位】翻墙用ⓋⓅⓃ", []string{"VPN"}},
		{"ParenthesizedLetters", "【示例单位】翻墙用⒱⒫⒩", []string{"VPN"}},
		{"KangxiRadical", "【示例单位】⼀号", []string{"一号"}},
		{"CircledIdeograph", "【示例单位】㊀号", []string{"一号"}},
		{"Ligature", "【示例单位】fix", []string{"ﬁx"}},
		{"WordInCompatibilityForm", "【示例单位】(1)中", []string{"⑴中"}},
		{"CombiningMarks", "【示例单位】ＶＰＮ\u0301", []string{"VPN"}},
		{"Clean", "【示例单位】明天上午九点开会", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var words []string
			for _, w := range m.Find(tt.text) {
				words = append(words, w.Word)
			}
			if strings.Join(words, ",") != strings.Join(tt.want, ",") {
				t.Errorf("Find(%q) = %v, want %v", tt.text, words, tt.want)
			}
		})
	}
	// 豈 (U+F900) is a compatibility ideograph of 豈 (U+8C48).
	if got := NewMatcher([]WordList{{Name: "l", Action: WordBlock, Words: []string{"豈有"}}}).Find("豈有此理"); len(got) != 1 {
		t.Errorf("a CJK compatibility ideograph is its unified ideograph: %v", got)
	}
}

// A clean text allocates nothing, whatever its characters.
func TestMatcherCleanTextAllocatesNothing(t *testing.T) {
	m := NewMatcher([]WordList{{Name: "l", Action: WordBlock, Words: []string{"发票"}}})
	text := "【示例单位】𝐕𝐏𝐍ⓥ⼀豈é，。明天开会"
	if n := testing.AllocsPerRun(10, func() { m.Find(text) }); n != 0 {
		t.Errorf("Find allocated %v times", n)
	}
}

func TestMatcherOverlappingWords(t *testing.T) {
	m := NewMatcher([]WordList{{Name: "l", Action: WordBlock, Words: []string{"he", "she", "his", "hers", "  ", "！"}}})
	var got []string
	for _, w := range m.Find("ushers") {
		got = append(got, w.Word)
	}
	if strings.Join(got, ",") != "she,he,hers" {
		t.Errorf("overlapping words in ushers: %v", got)
	}
}

// The automaton agrees with a plain search of every word in the folded
// text.
func TestMatcherAgreesWithNaiveSearch(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alphabet := rapid.SampledFrom([]rune("ab发票 ，Ａ𝐚ⓑ⼀豈ﬁé\u0301"))
		words := rapid.SliceOfN(rapid.StringOfN(alphabet, 1, 4, -1), 1, 6).Draw(t, "words")
		text := rapid.StringOfN(alphabet, 0, 30, -1).Draw(t, "text")
		m := NewMatcher([]WordList{{Name: "l", Action: WordBlock, Words: words}})
		got := map[string]bool{}
		for _, w := range m.Find(text) {
			got[foldText(w.Word)] = true
		}
		want := map[string]bool{}
		for _, w := range words {
			if k := foldText(w); k != "" && strings.Contains(foldText(text), k) {
				want[k] = true
			}
		}
		if len(got) != len(want) {
			t.Fatalf("in %q found %v, want %v", text, got, want)
		}
		for k := range want {
			if !got[k] {
				t.Fatalf("in %q %q not found", text, k)
			}
		}
	})
}

// Folding ignores Unicode normalisation: a text and its NFKC form are
// the same to the matcher.
func TestFoldTextIgnoresNFKC(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		alphabet := rapid.SampledFrom([]rune("aZ9发 ，Ａ𝐚ⓑ⑴⼀豈ﬁéｶﾞ㊀e\u0301\u3099"))
		text := rapid.StringOfN(alphabet, 0, 20, -1).Draw(t, "text")
		if a, b := foldText(text), foldText(norm.NFKC.String(text)); a != b {
			t.Fatalf("foldText(%q) = %q, but of its NFKC form %q", text, a, b)
		}
	})
}

// BenchmarkMatcherFind: one 500-character message against 5,000 words.
func BenchmarkMatcherFind(b *testing.B) {
	words := make([]string, 5000)
	for i := range words {
		words[i] = "敏感" + strings.Repeat(string(rune('甲'+i%50)), 1+i%3) + string(rune('a'+i%26))
	}
	m := NewMatcher([]WordList{{Name: "l", Action: WordBlock, Words: words}})
	text := "【示例单位】" + strings.Repeat("各部门按时报送材料，", 49) // about 500 characters
	b.ReportAllocs()
	for b.Loop() {
		m.Find(text)
	}
}
