package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"smsgw/app"
)

// BenchmarkAcceptChecks measures what the compliance checks add to accepting
// a 10,000-number batch: normalising and de-duplicating the numbers, the
// blacklist lookup (against 100,000 listed numbers in the global list and
// the sender's department) and the sensitive-word check of a 500-character
// text against 5,000 words. Issue 7's target is under 50 ms.
func BenchmarkAcceptChecks(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, Options{Path: filepath.Join(b.TempDir(), "smsgw.db"), Exclusive: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	admin := &app.Principal{UserID: 1, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}
	var entries []*app.BlacklistEntry
	for i := 0; i < 100000; i++ {
		dept := int64(app.GlobalBlacklist)
		if i%2 == 1 {
			dept = app.RootDepartmentID
		}
		// Every 100th number of the batch below is listed; the rest of the
		// list is numbers the batch does not hold.
		n := fmt.Sprintf("137%08d", i)
		if i < 100 {
			n = fmt.Sprintf("139%08d", i*100)
		}
		entries = append(entries, &app.BlacklistEntry{DepartmentID: dept, Phone: n, Source: app.SourceImport})
	}
	if _, err := db.AddToBlacklist(ctx, admin, entries); err != nil {
		b.Fatal(err)
	}
	words := make([]string, 5000)
	for i := range words {
		words[i] = fmt.Sprintf("违%d禁词%d", i, i*7)
	}
	if err := db.SaveWordList(ctx, admin, app.WordList{Name: "bench", Action: app.WordBlock, Words: words}); err != nil {
		b.Fatal(err)
	}
	to := make([]string, app.MaxRecipients)
	for i := range to {
		to[i] = fmt.Sprintf("139%08d", i)
	}
	text := "【测试单位】"
	for len([]rune(text)) < 494 {
		text += "尊敬的客户您好，本次会议改在周五下午三点召开。"
	}
	text = string([]rune(text)[:500])
	matcher, err := db.wordMatcher(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("All", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := app.CheckText(text, matcher); err != nil {
				b.Fatal(err)
			}
			rows, rejected := sortNumbers(to)
			rejected, err = db.markBlacklisted(ctx, admin.DepartmentID, rows, rejected)
			if err != nil {
				b.Fatal(err)
			} else if len(rejected) != 100 {
				b.Fatalf("%d rejected, want 100", len(rejected))
			}
		}
	})
	b.Run("Numbers", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sortNumbers(to)
		}
	})
	rows, _ := sortNumbers(to)
	b.Run("Blacklist", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := db.markBlacklisted(ctx, admin.DepartmentID, rows, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A personalised batch: each number's values checked and filled in.
	tpl := &app.Template{LiveContent: "${name}您好，您本月应缴水费${amount}元，请于${date}前缴纳。",
		LiveVars: map[string]app.VarRule{"name": {Type: app.VarText, MaxLen: 10}, "amount": {Type: app.VarNumber, MaxLen: 10},
			"date": {Type: app.VarText, MaxLen: 10}}, LiveVersion: 1}
	per := make(map[string]map[string]string, len(rows))
	for i, r := range rows {
		per[r.phone] = map[string]string{"name": fmt.Sprintf("用户%d", i), "amount": fmt.Sprintf("%d.50", i%300), "date": "12月10日"}
	}
	f := &filler{prefix: "【测试单位】", t: tpl, words: matcher, params: per}
	b.Run("Personalised", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			own := append([]msgRow(nil), rows...)
			if kept, _, err := ownTexts(own, nil, f); err != nil || len(kept) != len(rows) {
				b.Fatalf("kept %d, %v", len(kept), err)
			}
		}
	})
	b.Run("Words", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := app.CheckText(text, matcher); err != nil {
				b.Fatal(err)
			}
		}
	})
}
