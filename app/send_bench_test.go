package app

import (
	"fmt"
	"testing"
)

// BenchmarkPlanSend measures the send policy's pure steps on a
// 10,000-number batch (the store's BenchmarkAcceptChecks adds its lookups):
// the numbers normalised and de-duplicated, a 500-character text checked
// against 5,000 sensitive words, and a personalised batch filled and
// checked number by number.
func BenchmarkPlanSend(b *testing.B) {
	words := make([]string, 5000)
	for i := range words {
		words[i] = fmt.Sprintf("违%d禁词%d", i, i*7)
	}
	matcher := NewMatcher([]WordList{{Name: "bench", Action: WordBlock, Words: words}})
	to := make([]string, MaxRecipients)
	for i := range to {
		to[i] = fmt.Sprintf("139%08d", i)
	}
	text := "【测试单位】"
	for len([]rune(text)) < 494 {
		text += "尊敬的客户您好，本次会议改在周五下午三点召开。"
	}
	text = string([]rune(text)[:500])

	b.Run("Numbers", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sortNumbers(to)
		}
	})
	b.Run("Words", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := CheckText(text, matcher); err != nil {
				b.Fatal(err)
			}
		}
	})
	msgs, _ := sortNumbers(to)
	tpl := &Template{LiveContent: "${name}您好，您本月应缴水费${amount}元，请于${date}前缴纳。",
		LiveVars: map[string]VarRule{"name": {Type: VarText, MaxLen: 10}, "amount": {Type: VarNumber, MaxLen: 10},
			"date": {Type: VarText, MaxLen: 10}}, LiveVersion: 1}
	per := make(map[string]map[string]string, len(msgs))
	for i, m := range msgs {
		per[m.To] = map[string]string{"name": fmt.Sprintf("用户%d", i), "amount": fmt.Sprintf("%d.50", i%300), "date": "12月10日"}
	}
	f := &filler{prefix: "【测试单位】", t: tpl, words: matcher, params: per}
	b.Run("Personalised", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			own := append([]PlannedMessage(nil), msgs...)
			if kept, _, err := ownTexts(own, nil, f); err != nil || len(kept) != len(msgs) {
				b.Fatalf("kept %d, %v", len(kept), err)
			}
		}
	})
}
