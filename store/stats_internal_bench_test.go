package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"smsgw/app"
)

// The counters' cost, side by side in one process: the same work on a
// database that keeps them and on one that does not (its trigger dropped,
// insertBatch's upserts off). Run with
//
//	go test ./store -run XXX -bench Counters -count 5
//
// Accept is one send to 1,000 numbers; Dispatch is the store's part of
// sending 1,000 messages (claim, submitted with an SMSC id, delivered by
// receipt), the engine's writes without SMPP. Both report ns/msg.

func benchCountersDB(b *testing.B, counters bool) (*DB, *app.Principal) {
	b.Helper()
	ctx := context.Background()
	db, err := Open(ctx, Options{Path: filepath.Join(b.TempDir(), "smsgw.db"), Exclusive: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if !counters {
		db.statsOff = true
		if _, err := db.wdb.ExecContext(ctx, `drop trigger `+statsUpdateTrigger); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.CreateSignature(ctx, &app.Signature{DepartmentID: app.RootDepartmentID, Name: "测试单位", Approved: true}); err != nil {
		b.Fatal(err)
	}
	secret, err := db.CreateAPIKey(ctx, &app.APIKey{Name: "bench", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin,
		Scopes: []string{app.ScopeSend, app.ScopeQuery}, AllowFreeText: true})
	if err != nil {
		b.Fatal(err)
	}
	p, err := db.Authenticate(ctx, secret)
	if err != nil {
		b.Fatal(err)
	}
	return db, p
}

func benchNumbers(n int) []string {
	to := make([]string, n)
	for i := range to {
		to[i] = fmt.Sprintf("139%08d", i)
	}
	return to
}

func BenchmarkCounters(b *testing.B) {
	for _, counters := range []bool{false, true} {
		name := "without"
		if counters {
			name = "with"
		}
		b.Run("Accept/"+name, func(b *testing.B) {
			db, p := benchCountersDB(b, counters)
			to := benchNumbers(1000)
			b.ResetTimer()
			for range b.N {
				if _, err := db.Send(context.Background(), p, &app.SendRequest{To: to, Content: "【测试单位】您好，会议改在周五下午三点。"}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(to)), "ns/msg")
		})
		b.Run("Dispatch/"+name, func(b *testing.B) {
			db, p := benchCountersDB(b, counters)
			ctx := context.Background()
			to := benchNumbers(1000)
			var spent time.Duration
			n := 0
			for i := range b.N {
				if _, err := db.Send(ctx, p, &app.SendRequest{To: to, Content: "【测试单位】您好，会议改在周五下午三点。"}); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				var receipts []app.Receipt
				for {
					jobs, err := db.Claim(ctx, 16)
					if err != nil {
						b.Fatal(err)
					}
					if len(jobs) == 0 {
						break
					}
					for _, j := range jobs {
						var outcomes []app.Outcome
						for _, m := range j.Messages {
							id := fmt.Sprintf("%d-%d", i, m.ID)
							outcomes = append(outcomes, app.Outcome{MessageID: m.ID, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{id}, At: time.Now()})
							receipts = append(receipts, app.Receipt{ChannelID: 1, SMSCID: id, Stat: "DELIVRD", Err: "000", At: time.Now()})
							n++
						}
						if err := db.Record(ctx, outcomes, []string{j.ID}); err != nil {
							b.Fatal(err)
						}
					}
				}
				for k := 0; k < len(receipts); k += 100 {
					if err := db.ApplyReceipts(ctx, receipts[k:min(k+100, len(receipts))]); err != nil {
						b.Fatal(err)
					}
				}
				spent += time.Since(start)
			}
			b.ReportMetric(float64(spent.Nanoseconds())/float64(n), "ns/msg")
		})
	}
}
