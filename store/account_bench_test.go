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
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					if _, err := db.Send(ctx, p, &app.SendRequest{To: []string{fmt.Sprintf("139%08d", i)}, Content: text("您好，会议改在周五下午三点。")}); err != nil {
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
