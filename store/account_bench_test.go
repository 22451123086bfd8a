package store_test

import (
	"context"
	"fmt"
	"testing"

	"smsgw/app"
	"smsgw/store"
)

// BenchmarkSendLedger is the accept path with the quota ledger off (an
// unmetered platform) and on (the root department has an account, so
// every send is a guarded debit, a ledger row and a consumption upsert in
// its transaction), side by side: one number per call from parallel
// callers, and batches of 1,000 numbers.
func BenchmarkSendLedger(b *testing.B) {
	for _, metered := range []bool{false, true} {
		name := "unmetered"
		if metered {
			name = "metered"
		}
		b.Run("one/"+name, func(b *testing.B) {
			db := MustOpenDB(b)
			p := MustSysadmin(b, db)
			if metered {
				mustTopUpB(b, db, app.MaxTopUp)
			}
			ctx := context.Background()
			b.SetParallelism(8) // 8 x GOMAXPROCS callers: the writer merges their sends into group commits
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					if _, err := db.Send(ctx, p, &app.SendRequest{To: []string{fmt.Sprintf("13%09d", i)}, Content: text("您好，会议改在周五下午三点。")}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		b.Run("batch1000/"+name, func(b *testing.B) {
			db := MustOpenDB(b)
			p := MustSysadmin(b, db)
			if metered {
				mustTopUpB(b, db, app.MaxTopUp)
			}
			ctx := context.Background()
			to := numbers(0, 1000)
			b.ResetTimer()
			for range b.N {
				if _, err := db.Send(ctx, p, &app.SendRequest{To: to, Content: text("您好，会议改在周五下午三点。")}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

func mustTopUpB(b *testing.B, db *store.DB, n int64) {
	b.Helper()
	if _, err := db.TopUp(context.Background(), admin, app.RootDepartmentID, n, "压测"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRefundTrigger is what the refund trigger of migration 0022
// costs the status writes of the dispatch path, per message, on bulk
// updates of 100,000 rows (the other triggers on messages dropped: the
// status machine's, so rows can go back and forth, and the statistics
// counters'): a write to delivered (the trigger's WHEN is
// false), the same without the trigger, and a write to failed from queued
// (the trigger adds the message to its batch's pending refund).
func BenchmarkRefundTrigger(b *testing.B) {
	db, path := MustOpenDBPath(b)
	p := MustSysadmin(b, db)
	for i := range 100 {
		MustSend(b, db, p, &app.SendRequest{To: numbers(i*1000, 1000), Content: text("触发器")})
	}
	db.Close()
	raw := MustRawDB(b, path)
	// Every other trigger on messages goes too (the status machine's, the
	// statistics counters' of migration 0023): this measures the refund
	// trigger alone.
	rows, err := raw.Query(`select name from sqlite_master where type = 'trigger' and tbl_name = 'messages' and name != 'messages_refund'`)
	if err != nil {
		b.Fatal(err)
	}
	var others []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			b.Fatal(err)
		}
		others = append(others, name)
	}
	rows.Close()
	for _, name := range others {
		if _, err := raw.Exec(`drop trigger "` + name + `"`); err != nil {
			b.Fatal(err)
		}
	}
	run := func(b *testing.B, to string) {
		for range b.N {
			for _, q := range []string{`update messages set status = 'queued'`, `update messages set status = '` + to + `'`, `delete from refund_pending`} {
				if _, err := raw.Exec(q); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100000)/1000, "µs/msg")
	}
	b.Run("delivered", func(b *testing.B) { run(b, "delivered") })
	b.Run("failed", func(b *testing.B) { run(b, "failed") })
	if _, err := raw.Exec(`drop trigger messages_refund`); err != nil {
		b.Fatal(err)
	}
	b.Run("delivered-without-trigger", func(b *testing.B) { run(b, "delivered") })
	b.Run("failed-without-trigger", func(b *testing.B) { run(b, "failed") })
}
