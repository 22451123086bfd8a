package store_test

import (
	"context"
	"fmt"
	"testing"

	"smsgw/app"
)

// BenchmarkSendThousand is one send to 1,000 numbers: the multi-row insert
// path, where every message's id is given (see ids.go), per message.
func BenchmarkSendThousand(b *testing.B) {
	db := MustOpenDB(b)
	p := MustSysadmin(b, db)
	to := make([]string, 1000)
	for i := range to {
		to[i] = fmt.Sprintf("139%08d", i)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := db.Send(context.Background(), p, &app.SendRequest{To: to, Content: text("您好，会议改在周五下午三点。")}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(to)), "ns/msg")
}
