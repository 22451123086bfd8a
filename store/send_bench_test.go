package store_test

import (
	"context"
	"fmt"
	"testing"

	"smsgw/app"
)

// BenchmarkSendOne is the API's most frequent call, one number per send,
// from eight callers at once: what the accept path costs per call.
func BenchmarkSendOne(b *testing.B) {
	db := MustOpenDB(b)
	p := MustSysadmin(b, db)
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
}
