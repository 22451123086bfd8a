package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"smsgw/app"
)

// BenchmarkAcceptChecks measures what the send policy costs a
// 10,000-number batch before it is written: normalising and de-duplicating
// the numbers, the blacklist lookup (against 100,000 listed numbers in the
// global list and the sender's department) and the sensitive-word check of
// a 500-character text against 5,000 words. Issue 7's target is under 50 ms.
// The pure steps alone are app's BenchmarkPlanSend.
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
	if err := db.CreateSignature(ctx, &app.Signature{DepartmentID: app.RootDepartmentID, Name: "测试单位", Approved: true}); err != nil {
		b.Fatal(err)
	}
	// All is the whole send policy with the store's lookups, as DB.Send
	// runs it before writing.
	req := &app.SendRequest{To: to, Content: text}
	b.Run("All", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			plan, err := app.PlanSend(req, admin, db.now(), &sendLookup{ctx: ctx, db: db, p: admin})
			if err != nil {
				b.Fatal(err)
			} else if len(plan.Batch.Rejected) != 100 {
				b.Fatalf("%d rejected, want 100", len(plan.Batch.Rejected))
			}
		}
	})
	b.Run("Blacklist", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if black, err := db.blacklisted(ctx, admin.DepartmentID, to); err != nil || len(black) != 100 {
				b.Fatalf("%d found, %v", len(black), err)
			}
		}
	})
}
