package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"smsgw/app"
)

// BenchmarkSaveReplies measures replies stored a second in batches of 500,
// as the engine's recorder writes them: whole replies, and the parts of
// three-part replies (each batch completing a third of its sets' replies).
func BenchmarkSaveReplies(b *testing.B) {
	const batch = 500
	for _, parts := range []int{1, 3} {
		b.Run(fmt.Sprintf("parts=%d", parts), func(b *testing.B) {
			db := MustOpenDB(b)
			ctx := context.Background()
			now := time.Now()
			n := 0
			b.ResetTimer()
			for range b.N {
				rs := make([]*app.Reply, batch)
				for i := range rs {
					r := &app.Reply{ChannelID: 1, From: fmt.Sprintf("138%08d", n/parts), To: "10690001",
						Content: "收到，谢谢", ReceivedAt: now.Add(time.Duration(n) * time.Millisecond)}
					if parts > 1 {
						r.Part = &app.ReplyPart{Ref: 1, Total: parts, Seq: n%parts + 1}
					}
					rs[i] = r
					n++
				}
				if err := db.SaveReplies(ctx, rs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "parts/s")
		})
	}
}
