package store_test

import (
	"context"
	"path/filepath"
	"reflect"
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

// TestStatsReportsAgreeAcrossRollups: a report reads the user-free
// rollups, the user rollups (stat_day_users, stat_month_users) or the day
// counters (stat_days) by what it needs; over the same messages they all
// answer the same.
func TestStatsReportsAgreeAcrossRollups(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "smsgw.db")
	cst := time.FixedZone("CST", 8*3600)
	var clock atomic.Int64
	db, err := store.Open(ctx, store.Options{Path: path, Exclusive: true, Location: cst, Now: func() time.Time { return time.UnixMilli(clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw := MustRawDB(t, path)
	p := MustSysadmin(t, db)
	for i, at := range []time.Time{time.Date(2026, 3, 1, 10, 0, 0, 0, cst), time.Date(2026, 3, 2, 9, 0, 0, 0, cst), time.Date(2026, 4, 1, 8, 0, 0, 0, cst)} {
		clock.Store(at.UnixMilli())
		MustSend(t, db, p, &app.SendRequest{To: append(numbers(i*10, 3), "1860000000"+string(rune('0'+i))), Content: text("你好")})
		m := MustClaimAll(t, db)[0].Messages
		if err := db.Record(ctx, []app.Outcome{
			{MessageID: m[0].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: app.SMPPCode(0x0B), At: at},
			{MessageID: m[1].ID, ChannelID: 2, Kind: app.OutcomeSubmitted, SMSCIDs: []string{numbers(i, 1)[0]}, At: at},
		}, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Two users: the messages of even ids are user 7's, counted again.
	if _, err := raw.Exec(`update messages set user_id = 7 where id % 2 = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RebuildStats(ctx, time.Date(2026, 3, 1, 0, 0, 0, 0, cst), time.Date(2026, 4, 1, 0, 0, 0, 0, cst)); err != nil {
		t.Fatal(err)
	}
	operator := &app.Principal{UserID: 7, DepartmentID: app.RootDepartmentID, Role: app.RoleOperator}
	days := &app.StatsFilter{GroupBy: app.StatsByDay, From: time.Date(2026, 3, 1, 0, 0, 0, 0, cst), To: time.Date(2026, 4, 30, 0, 0, 0, 0, cst)}
	months := &app.StatsFilter{GroupBy: app.StatsByMonth, From: days.From, To: days.To}
	sum := func(rows []app.StatsRow, err error) app.StatsCounts {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var c app.StatsCounts
		for _, r := range rows {
			c.Sent, c.Delivered, c.Failed, c.Pending, c.Segments = c.Sent+r.Sent, c.Delivered+r.Delivered, c.Failed+r.Failed, c.Pending+r.Pending, c.Segments+r.Segments
		}
		return c
	}
	byUser := func(p *app.Principal, f *app.StatsFilter) map[string]app.StatsCounts {
		t.Helper()
		rows, err := db.StatsBreakdown(ctx, p, f, app.StatsByUser)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]app.StatsCounts{}
		for _, r := range rows {
			out[r.Key] = r.StatsCounts
		}
		return out
	}
	users := byUser(p, months)
	if len(users) != 2 || users["7"].Sent == 0 || users["0"].Sent == 0 || users["7"].Failed+users["0"].Failed != 3 {
		t.Fatalf("by user over the months: %+v", users)
	}
	if got := byUser(p, days); !reflect.DeepEqual(got, users) {
		t.Errorf("by user over the days (stat_day_users) %+v, over the months (stat_month_users) %+v", got, users)
	}
	// Filtered by carrier, the user breakdown reads stat_days.
	carriers := map[string]app.StatsCounts{}
	for _, c := range []app.Carrier{app.CarrierMobile, app.CarrierUnicom, app.CarrierTelecom, app.CarrierBroadnet} {
		f := *months
		f.Carrier = &c
		for k, v := range byUser(p, &f) {
			a := carriers[k]
			a.Sent, a.Delivered, a.Failed, a.Pending, a.Segments = a.Sent+v.Sent, a.Delivered+v.Delivered, a.Failed+v.Failed, a.Pending+v.Pending, a.Segments+v.Segments
			carriers[k] = a
		}
	}
	if !reflect.DeepEqual(carriers, users) {
		t.Errorf("by user summed over the carriers (stat_days) %+v, want %+v", carriers, users)
	}
	own := users["7"]
	for _, c := range []struct {
		name string
		got  app.StatsCounts
	}{
		{"operator by month (stat_month_users)", sum(db.Stats(ctx, operator, months))},
		{"operator by day (stat_day_users)", sum(db.Stats(ctx, operator, days))},
		{"operator by channel (stat_days)", sum(db.StatsBreakdown(ctx, operator, days, app.StatsByChannel))},
		{"operator by carrier (stat_days)", sum(db.StatsBreakdown(ctx, operator, months, app.StatsByCarrier))},
	} {
		if c.got != own {
			t.Errorf("%s: %+v, want user 7's %+v", c.name, c.got, own)
		}
	}
	all := sum(db.Stats(ctx, p, months))
	if d := sum(db.Stats(ctx, p, days)); d != all || users["0"].Sent+own.Sent != all.Sent {
		t.Errorf("by day %+v, by month %+v, users %+v", d, all, users)
	}
	var perChannel app.StatsCounts
	for _, ch := range []int64{1, 2} { // channel 0 (pending, not placed) may not be filtered on
		f := *months
		f.ChannelID = ch
		c := sum(db.Stats(ctx, operator, &f))
		perChannel.Sent, perChannel.Failed, perChannel.Pending = perChannel.Sent+c.Sent, perChannel.Failed+c.Failed, perChannel.Pending+c.Pending
	}
	if byCh := sum(db.StatsBreakdown(ctx, operator, months, app.StatsByChannel)); perChannel.Sent > byCh.Sent || perChannel.Failed != byCh.Failed {
		t.Errorf("operator filtered by channel (stat_days): %+v; by channel %+v", perChannel, byCh)
	}
}
