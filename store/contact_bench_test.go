package store_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"smsgw/app"
)

// BenchmarkImport100k imports 100,000 rows (in seven groups) into an empty
// book: the time to the last row and the heap at its peak, sampled.
func BenchmarkImport100k(b *testing.B) {
	for range b.N {
		db := MustOpenDB(b)
		rows := contactRows(100000)
		runtime.GC()
		var peak uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			var m runtime.MemStats
			for {
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		})
		start := time.Now()
		imp := &app.ContactImport{FileName: "big.xlsx", Book: app.BookOrg, OnDuplicate: app.DuplicateSkip}
		if err := db.StartImport(context.Background(), importer, imp, rows); err != nil {
			b.Fatal(err)
		}
		res := waitImport(b, db, imp.ID)
		took := time.Since(start)
		close(stop)
		wg.Wait()
		if res.Imported != 100000 {
			b.Fatalf("imported %+v", res)
		}
		b.ReportMetric(took.Seconds(), "s/import")
		b.ReportMetric(100000/took.Seconds(), "rows/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	}
}

// BenchmarkSendDuringImport is the accept path (one number per send, eight
// callers, 4,000 sends) alone and while a 100,000-row import runs: an
// import must not stall sending.
func BenchmarkSendDuringImport(b *testing.B) {
	for _, importing := range []bool{false, true} {
		name := "idle"
		if importing {
			name = "importing"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				db := MustOpenDB(b)
				p := MustSysadmin(b, db)
				ctx := context.Background()
				var imp *app.ContactImport
				if importing {
					imp = &app.ContactImport{FileName: "big.xlsx", Book: app.BookOrg, OnDuplicate: app.DuplicateSkip}
					if err := db.StartImport(ctx, importer, imp, contactRows(100000)); err != nil {
						b.Fatal(err)
					}
				}
				const callers, each = 8, 500
				lat := make([][]time.Duration, callers)
				var wg sync.WaitGroup
				start := time.Now()
				for c := range callers {
					wg.Go(func() {
						for i := range each {
							t := time.Now()
							if _, err := db.Send(ctx, p, &app.SendRequest{To: []string{fmt.Sprintf("137%04d%04d", c, i)}, Content: text("您好，会议改在周五下午三点。")}); err != nil {
								b.Error(err)
								return
							}
							lat[c] = append(lat[c], time.Since(t))
						}
					})
				}
				wg.Wait()
				took := time.Since(start)
				all := slices.Concat(lat...)
				slices.Sort(all)
				b.ReportMetric(float64(len(all))/took.Seconds(), "sends/s")
				b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
				if importing {
					res, _ := db.ContactImport(ctx, importer, imp.ID)
					b.ReportMetric(float64(res.Done()), "rows-imported-meanwhile")
					waitImport(b, db, imp.ID)
				}
			}
		})
	}
}
