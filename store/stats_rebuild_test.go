package store_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/store"
)

// onlyDay keeps the counters of day d (keep true) or of every other day.
func onlyDay(in map[statsKey]statsAmount, d int, keep bool) map[statsKey]statsAmount {
	out := map[statsKey]statsAmount{}
	for k, a := range in {
		if (k.day == d) == keep {
			out[k] = a
		}
	}
	return out
}

// TestStatsRebuildOneDay: a rebuild of one day recounts that day from its
// messages (up to its last minute in the platform's zone) and leaves the
// counters of the days beside it, and the months, as they were.
func TestStatsRebuildOneDay(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "smsgw.db")
	cst := time.FixedZone("CST", 8*3600)
	var clock atomic.Int64
	db, err := store.Open(ctx, store.Options{Path: path, Exclusive: true, Now: func() time.Time { return time.UnixMilli(clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw := MustRawDB(t, path)
	p := MustSysadmin(t, db)
	for i, at := range []time.Time{
		time.Date(2026, 3, 1, 10, 0, 0, 0, cst), time.Date(2026, 3, 1, 23, 59, 0, 0, cst),
		time.Date(2026, 3, 2, 0, 1, 0, 0, cst), time.Date(2026, 3, 2, 23, 30, 0, 0, cst),
		time.Date(2026, 3, 3, 0, 10, 0, 0, cst),
	} {
		clock.Store(at.UnixMilli())
		MustSend(t, db, p, &app.SendRequest{To: numbers(i*10, 3), Content: text("你好")})
		jobs := MustClaimAll(t, db)
		m := jobs[0].Messages
		if err := db.Record(ctx, []app.Outcome{
			{MessageID: m[0].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: app.SMPPCode(0x0B), At: at},
			{MessageID: m[1].ID, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{numbers(i, 1)[0]}, At: at},
		}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Exec(`update stat_days set messages = messages + 5`); err != nil {
		t.Fatal(err)
	}
	before, months := storedStats(t, raw), count(t, raw, `select count(*) from stat_months`)
	monthSums := count(t, raw, `select sum(sent * 1000000 + failed * 10000 + pending * 100 + segments) from stat_months`)

	n, err := db.RebuildStats(ctx, time.Date(2026, 3, 2, 0, 0, 0, 0, cst), time.Date(2026, 3, 2, 0, 0, 0, 0, cst))
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Fatalf("the rebuild counted %d messages, want the day's 6", n)
	}
	after := storedStats(t, raw)
	wantStatsEqual(t, "the rebuilt day", onlyDay(after, 20260302, true), onlyDay(recountStats(t, raw), 20260302, true))
	wantStatsEqual(t, "the other days", onlyDay(after, 20260302, false), onlyDay(before, 20260302, false))
	if n := count(t, raw, `select count(*) from (select department_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments
		from stat_day_totals where day = 20260302 except select department_id, channel_id, carrier,
			sum(case when status not in ('rejected', 'cancelled') then messages else 0 end), sum(case when status = 'delivered' then messages else 0 end),
			sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end), sum(case when status = 'pending' then messages else 0 end),
			sum(case when status = 'rejected' then messages else 0 end), sum(case when status = 'cancelled' then messages else 0 end),
			sum(case when status not in ('rejected', 'cancelled') then segments else 0 end)
		from stat_days where day = 20260302 group by 1, 2, 3)`); n != 0 {
		t.Fatalf("%d of the day's totals differ from its counters", n)
	}
	if m, s := count(t, raw, `select count(*) from stat_months`), count(t, raw, `select sum(sent * 1000000 + failed * 10000 + pending * 100 + segments) from stat_months`); m != months || s != monthSums {
		t.Fatalf("the month rollup changed: %d rows summing %d, was %d summing %d", m, s, months, monthSums)
	}
}
