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
// receipt), the engine's writes without SMPP.

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

// BenchmarkCounters runs the work on both databases in turn, each
// iteration, so that the machine's load weighs on both alike; it reports
// ns/msg with and without the counters, and their ratio.
func BenchmarkCounters(b *testing.B) {
	ctx := context.Background()
	content := "【测试单位】您好，会议改在周五下午三点。"
	to := benchNumbers(1000)
	b.Run("Accept", func(b *testing.B) {
		var spent [2]time.Duration
		dbs := [2]*DB{}
		ps := [2]*app.Principal{}
		for i, counters := range []bool{false, true} {
			dbs[i], ps[i] = benchCountersDB(b, counters)
		}
		b.ResetTimer()
		for range b.N {
			for i := range dbs {
				start := time.Now()
				if _, err := dbs[i].Send(ctx, ps[i], &app.SendRequest{To: to, Content: content}); err != nil {
					b.Fatal(err)
				}
				spent[i] += time.Since(start)
			}
		}
		reportCounters(b, spent, b.N*len(to))
	})
	b.Run("Dispatch", func(b *testing.B) {
		var spent [2]time.Duration
		dbs := [2]*DB{}
		ps := [2]*app.Principal{}
		for i, counters := range []bool{false, true} {
			dbs[i], ps[i] = benchCountersDB(b, counters)
		}
		b.ResetTimer()
		for n := range b.N {
			for i, db := range dbs {
				if _, err := db.Send(ctx, ps[i], &app.SendRequest{To: to, Content: content}); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				benchDispatch(b, db, n)
				spent[i] += time.Since(start)
			}
		}
		reportCounters(b, spent, b.N*len(to))
	})
}

func reportCounters(b *testing.B, spent [2]time.Duration, messages int) {
	b.ReportMetric(float64(spent[0].Nanoseconds())/float64(messages), "without_ns/msg")
	b.ReportMetric(float64(spent[1].Nanoseconds())/float64(messages), "with_ns/msg")
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "ratio")
}

// benchDispatch does the store's part of sending what is queued: claim,
// submitted, delivered.
func benchDispatch(b *testing.B, db *DB, round int) {
	ctx := context.Background()
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
				id := fmt.Sprintf("%d-%d", round, m.ID)
				outcomes = append(outcomes, app.Outcome{MessageID: m.ID, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{id}, At: time.Now()})
				receipts = append(receipts, app.Receipt{ChannelID: 1, SMSCID: id, Stat: "DELIVRD", Err: "000", At: time.Now()})
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
}
