package app

import (
	"strings"
	"testing"

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
		alphabet := rapid.SampledFrom([]rune("ab发票 ，Ａ"))
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
