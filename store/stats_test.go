package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/store"
)

// statsKey is a day counter's key, as the test recounts it.
type statsKey struct {
	day                           int
	dept, user, channel, template int64
	carrier, status, errorCode    string
}

// statsAmount is a counter's value.
type statsAmount struct{ messages, segments int64 }

// recountStats counts the messages table again, in Go, the way the
// counters are defined: by creation day in Shanghai, status class, and
// error code for failures only.
func recountStats(t *testing.T, raw *sql.DB) map[statsKey]statsAmount {
	t.Helper()
	loc := time.FixedZone("CST", 8*3600)
	// The template is the batch's: a message final before migration 0023
	// has none stored on it.
	rows, err := raw.Query(`select created_at, department_id, user_id, channel_id, carrier,
		coalesce((select template_id from batches b where b.id = messages.batch_id), 0), status, error_code, segments from messages`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[statsKey]statsAmount{}
	for rows.Next() {
		var created, segs int64
		var k statsKey
		var st app.Status
		if err := rows.Scan(&created, &k.dept, &k.user, &k.channel, &k.carrier, &k.template, &st, &k.errorCode, &segs); err != nil {
			t.Fatal(err)
		}
		d := time.UnixMilli(created).In(loc)
		k.day = d.Year()*10000 + int(d.Month())*100 + d.Day()
		k.status = st.StatsClass()
		if !st.StatsFailure() {
			k.errorCode = ""
		}
		if k.status == app.StatsPending {
			k.channel = 0 // counted on its channel once final
		}
		a := out[k]
		a.messages++
		a.segments += segs
		out[k] = a
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// storedStats reads the day counters, leaving out those at zero.
func storedStats(t *testing.T, raw *sql.DB) map[statsKey]statsAmount {
	t.Helper()
	rows, err := raw.Query(`select day, department_id, user_id, channel_id, carrier, template_id, status, error_code, messages, segments
		from stat_days where messages != 0 or segments != 0`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[statsKey]statsAmount{}
	for rows.Next() {
		var k statsKey
		var a statsAmount
		if err := rows.Scan(&k.day, &k.dept, &k.user, &k.channel, &k.carrier, &k.template, &k.status, &k.errorCode, &a.messages, &a.segments); err != nil {
			t.Fatal(err)
		}
		out[k] = a
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantRollupsMatchDays checks the month rollups against the day counters.
func wantRollupsMatchDays(t *testing.T, raw *sql.DB) {
	t.Helper()
	for _, q := range []string{
		`select day, department_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments from stat_day_totals
		where sent != 0 or delivered != 0 or failed != 0 or pending != 0 or rejected != 0 or cancelled != 0 or segments != 0
		except select day, department_id, channel_id, carrier,
			sum(case when status not in ('rejected', 'cancelled') then messages else 0 end), sum(case when status = 'delivered' then messages else 0 end),
			sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end), sum(case when status = 'pending' then messages else 0 end),
			sum(case when status = 'rejected' then messages else 0 end), sum(case when status = 'cancelled' then messages else 0 end),
			sum(case when status not in ('rejected', 'cancelled') then segments else 0 end)
		from stat_days group by 1, 2, 3, 4`,
		`select month, department_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments from stat_months
		except select day / 100, department_id, channel_id, carrier,
			sum(case when status not in ('rejected', 'cancelled') then messages else 0 end), sum(case when status = 'delivered' then messages else 0 end),
			sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end), sum(case when status = 'pending' then messages else 0 end),
			sum(case when status = 'rejected' then messages else 0 end), sum(case when status = 'cancelled' then messages else 0 end),
			sum(case when status not in ('rejected', 'cancelled') then segments else 0 end)
		from stat_days group by 1, 2, 3, 4`,
		`select month, department_id, user_id, sent, delivered, failed, pending, rejected, cancelled, segments from stat_month_users
		where sent != 0 or delivered != 0 or failed != 0 or pending != 0 or rejected != 0 or cancelled != 0 or segments != 0
		except select day / 100, department_id, user_id,
			sum(case when status not in ('rejected', 'cancelled') then messages else 0 end), sum(case when status = 'delivered' then messages else 0 end),
			sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end), sum(case when status = 'pending' then messages else 0 end),
			sum(case when status = 'rejected' then messages else 0 end), sum(case when status = 'cancelled' then messages else 0 end),
			sum(case when status not in ('rejected', 'cancelled') then segments else 0 end)
		from stat_days group by 1, 2, 3`,
		`select day / 100, department_id, user_id,
			sum(case when status not in ('rejected', 'cancelled') then messages else 0 end), sum(case when status = 'delivered' then messages else 0 end),
			sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end), sum(case when status = 'pending' then messages else 0 end),
			sum(case when status = 'rejected' then messages else 0 end), sum(case when status = 'cancelled' then messages else 0 end),
			sum(case when status not in ('rejected', 'cancelled') then segments else 0 end)
		from stat_days group by 1, 2, 3 having sum(messages) != 0 or sum(segments) != 0
		except select month, department_id, user_id, sent, delivered, failed, pending, rejected, cancelled, segments from stat_month_users`,
		`select day, department_id, user_id, sent, delivered, failed, pending, rejected, cancelled, segments from stat_day_users
		where sent != 0 or delivered != 0 or failed != 0 or pending != 0 or rejected != 0 or cancelled != 0 or segments != 0
		except select day, department_id, user_id,
			sum(case when status not in ('rejected', 'cancelled') then messages else 0 end), sum(case when status = 'delivered' then messages else 0 end),
			sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end), sum(case when status = 'pending' then messages else 0 end),
			sum(case when status = 'rejected' then messages else 0 end), sum(case when status = 'cancelled' then messages else 0 end),
			sum(case when status not in ('rejected', 'cancelled') then segments else 0 end)
		from stat_days group by 1, 2, 3`,
		`select day, department_id, user_id,
			sum(case when status not in ('rejected', 'cancelled') then messages else 0 end), sum(case when status = 'delivered' then messages else 0 end),
			sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end), sum(case when status = 'pending' then messages else 0 end),
			sum(case when status = 'rejected' then messages else 0 end), sum(case when status = 'cancelled' then messages else 0 end),
			sum(case when status not in ('rejected', 'cancelled') then segments else 0 end)
		from stat_days group by 1, 2, 3 having sum(messages) != 0 or sum(segments) != 0
		except select day, department_id, user_id, sent, delivered, failed, pending, rejected, cancelled, segments from stat_day_users`,
		`select day, department_id, channel_id, carrier, status, error_code, messages from stat_day_errors where messages != 0
		except select day, department_id, channel_id, carrier, status, error_code, sum(messages) from stat_days
		where status in ('undelivered', 'expired', 'failed') group by 1, 2, 3, 4, 5, 6 having sum(messages) != 0`,
		`select month, department_id, channel_id, carrier, status, error_code, messages from stat_month_errors where messages != 0
		except select day / 100, department_id, channel_id, carrier, status, error_code, sum(messages) from stat_days
		where status in ('undelivered', 'expired', 'failed') group by 1, 2, 3, 4, 5, 6 having sum(messages) != 0`,
	} {
		if n := count(t, raw, `select count(*) from (`+q+`)`); n != 0 {
			t.Fatalf("%d month rollup rows differ from the day counters", n)
		}
	}
}

func wantStatsEqual(t *testing.T, what string, got, want map[statsKey]statsAmount) {
	t.Helper()
	bad := 0
	for k, w := range want {
		if g := got[k]; g != w && bad < 10 {
			t.Errorf("%s: %+v = %+v, recount %+v", what, k, g, w)
			bad++
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && bad < 10 {
			t.Errorf("%s: %+v = %+v, recount has none", what, k, g)
			bad++
		}
	}
	if bad > 0 {
		t.FailNow()
	}
}

// TestStatsCountersMatchRecount drives random traffic through the store's
// status-writing methods, over several days and a month's end: blacklisted
// numbers, reviews rejected and approved, scheduled batches cancelled,
// submits that fail, expire or go back to the queue, receipts delivered,
// undelivered (resent once on a channel that resends) and expired, and
// receipts that never come. The counters must equal a recount of the
// messages, and a rebuild must leave them so.
func TestStatsCountersMatchRecount(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "smsgw.db")
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 30, 9, 0, 0, 0, time.FixedZone("CST", 8*3600)).UnixMilli())
	db, err := store.Open(ctx, store.Options{Path: path, Exclusive: true, Now: func() time.Time { return time.UnixMilli(clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw := MustRawDB(t, path)
	root := MustSysadmin(t, db)
	MustDepartment(t, raw, 2, 1, "销售部")
	sales := MustAPIKey(t, db, 2, app.RoleDeptAdmin)
	for id, resend := range map[int64]int{1: 0, 2: 1} {
		if _, err := raw.Exec(`insert into channels (id, name, host, port, system_id, source_addr, tps, window, resend_undelivered, created_at, updated_at)
			values (?, ?, '127.0.0.1', 2775, 'x', '106', 100, 10, ?, 0, 0)`, id, fmt.Sprint("通道", id), resend); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.Exec(`insert into blacklist (phone, department_id, source, created_at) values (?, 1, 'complaint', 0)`, numbers(7, 1)[0]); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveWordList(ctx, reviewer, app.WordList{Name: "审核", Action: app.WordReview, Words: []string{"贷款"}}); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(16, 16))
	type sent struct {
		channel  int64
		smscIDs  []string
		segments int
	}
	submitted := map[int64]sent{}
	var scheduled, held []int64
	nextSMSC := 0
	for round := 0; round < 40; round++ {
		clock.Add(int64(rng.IntN(9)+1) * int64(time.Hour/time.Millisecond))
		now := time.UnixMilli(clock.Load())
		for range rng.IntN(4) + 1 {
			p := root
			if rng.IntN(2) == 0 {
				p = sales
			}
			body := "短信"
			switch rng.IntN(6) {
			case 0:
				body = strings.Repeat("长", 150)
			case 1:
				body = "贷款"
			}
			req := &app.SendRequest{To: numbers(rng.IntN(10), rng.IntN(6)+1), Content: text(body)}
			if rng.IntN(5) == 0 {
				req.SendAt = now.Add(48 * time.Hour)
			}
			res, err := db.Send(ctx, p, req)
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			switch {
			case res.Review != "":
				held = append(held, res.BatchID)
			case !req.SendAt.IsZero():
				scheduled = append(scheduled, res.BatchID)
			}
		}
		if len(scheduled) > 0 && rng.IntN(3) == 0 {
			if _, err := db.CancelBatch(ctx, root, scheduled[0]); err != nil && app.ErrorCode(err) != app.ECONFLICT { // due already
				t.Fatalf("cancel: %v", err)
			}
			scheduled = scheduled[1:]
		}
		if len(held) > 0 {
			decision := "approve"
			if rng.IntN(2) == 0 {
				decision = "reject"
			}
			if _, err := db.ReviewBatch(ctx, reviewer, held[0], &app.Review{Decision: decision, Reason: "不予发送"}); err != nil {
				t.Fatalf("review: %v", err)
			}
			held = held[1:]
		}
		jobs, err := db.Claim(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, job := range jobs {
			var outcomes []app.Outcome
			for _, m := range job.Messages {
				o := app.Outcome{MessageID: m.ID, ChannelID: int64(rng.IntN(2) + 1), At: now}
				switch r := rng.IntN(20); {
				case r < 13:
					o.Kind = app.OutcomeSubmitted
					for range m.Segments {
						nextSMSC++
						o.SMSCIDs = append(o.SMSCIDs, fmt.Sprint("s", nextSMSC))
					}
					submitted[m.ID] = sent{o.ChannelID, o.SMSCIDs, m.Segments}
				case r < 16:
					o.Kind, o.ErrorCode = app.OutcomeRetry, app.ETIMEOUT
				case r < 18:
					o.Kind, o.ErrorCode = app.OutcomeFailed, app.SMPPCode(0x45)
				default:
					o.Kind, o.ErrorCode = app.OutcomeExpired, app.EVALIDITY
				}
				outcomes = append(outcomes, o)
			}
			if err := db.Record(ctx, outcomes, []string{job.ID}); err != nil {
				t.Fatalf("record: %v", err)
			}
		}
		var receipts []app.Receipt
		for id, s := range submitted {
			stat := []string{"DELIVRD", "DELIVRD", "DELIVRD", "DELIVRD", "UNDELIV", "EXPIRED", ""}[rng.IntN(7)]
			if stat == "" {
				continue // its receipt never comes: it expires in Maintain
			}
			for i, smscID := range s.smscIDs {
				if stat != "DELIVRD" && i > 0 {
					break
				}
				receipts = append(receipts, app.Receipt{ChannelID: s.channel, SMSCID: smscID, Stat: stat, Err: fmt.Sprintf("%03d", rng.IntN(3)), At: now})
			}
			delete(submitted, id)
		}
		if err := db.ApplyReceipts(ctx, receipts); err != nil {
			t.Fatalf("receipts: %v", err)
		}
		if round%10 == 9 {
			if err := db.Maintain(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}

	recount := recountStats(t, raw)
	statuses := map[string]bool{}
	for k := range recount {
		statuses[k.status] = true
	}
	for _, s := range []string{"pending", "delivered", "undelivered", "expired", "failed", "rejected", "cancelled"} {
		if !statuses[s] {
			t.Errorf("the random traffic left no message %s", s)
		}
	}
	if count(t, raw, `select count(*) from messages where resent = 1`) == 0 {
		t.Error("the random traffic resent nothing")
	}
	wantStatsEqual(t, "counters", storedStats(t, raw), recount)
	wantRollupsMatchDays(t, raw)

	// A rebuild of every day recounts the same.
	if _, err := raw.Exec(`update stat_days set messages = messages + 5`); err != nil {
		t.Fatal(err)
	}
	n, err := db.RebuildStats(ctx, time.Date(2026, 1, 29, 0, 0, 0, 0, time.UTC), time.UnixMilli(clock.Load()).In(time.FixedZone("CST", 8*3600)))
	if err != nil {
		t.Fatal(err)
	}
	if total := int64(count(t, raw, `select count(*) from messages`)); n != total {
		t.Fatalf("rebuild counted %d messages, want %d", n, total)
	}
	wantStatsEqual(t, "rebuilt counters", storedStats(t, raw), recount)
	wantRollupsMatchDays(t, raw)
}

// TestStatsMigrationCountsEarlierMessages: migration 0023 counts the
// messages already stored, so the reports start with the detail kept. The
// database is taken back to before it (tables, columns and trigger gone)
// and opened again.
func TestStatsMigrationCountsEarlierMessages(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	p := MustSysadmin(t, db)
	MustSend(t, db, p, &app.SendRequest{To: numbers(0, 4), Content: text("你好")})
	jobs := MustClaimAll(t, db)
	m := jobs[0].Messages
	if err := db.Record(ctx, []app.Outcome{
		{MessageID: m[0].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: app.SMPPCode(0x0B), At: time.Now()},
		{MessageID: m[1].ID, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"x"}, At: time.Now()},
	}, nil); err != nil {
		t.Fatal(err)
	}
	want := recountStats(t, raw)
	db.Close()
	for _, q := range []string{
		`drop trigger messages_stats_update`, `drop table stat_days`, `drop table stat_day_totals`, `drop table stat_day_errors`, `drop table stat_months`, `drop table stat_month_users`, `drop table stat_day_users`, `drop table stat_month_errors`,
		`alter table messages drop column template_id`, `alter table messages drop column stat_day`,
		`delete from migrations where name = 'migrations/0023_stats.sql'`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	MustReopenDB(t, path)
	wantStatsEqual(t, "counters after the migration", storedStats(t, raw), want)
	wantRollupsMatchDays(t, raw)
}

// TestStatsMigrationLeavesFinalMessages: migration 0023 stores the day and
// template only on the messages not final yet (a final one never moves
// again; rewriting every row cost seconds a million messages), yet counts
// them all; the trigger and a rebuild count a final one without them.
func TestStatsMigrationLeavesFinalMessages(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	p := MustSysadmin(t, db)
	MustSend(t, db, p, &app.SendRequest{To: numbers(0, 4), Content: text("你好")})
	m := MustClaimAll(t, db)[0].Messages
	if err := db.Record(ctx, []app.Outcome{
		{MessageID: m[0].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: app.SMPPCode(0x0B), At: time.Now()},
		{MessageID: m[1].ID, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"x"}, At: time.Now()},
	}, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, q := range []string{
		`drop trigger messages_stats_update`, `drop table stat_days`, `drop table stat_day_totals`, `drop table stat_day_errors`, `drop table stat_months`, `drop table stat_month_users`, `drop table stat_day_users`, `drop table stat_month_errors`,
		`alter table messages drop column template_id`, `alter table messages drop column stat_day`,
		`delete from migrations where name = 'migrations/0023_stats.sql'`,
		`update batches set template_id = 7`, // as if sent with template 7
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db = MustReopenDB(t, path)
	if n := count(t, raw, `select count(*) from messages where stat_day = 0 and template_id = 0 and status = 'failed'`); n != 1 {
		t.Fatalf("%d final messages left as they were, want 1", n)
	}
	if n := count(t, raw, `select count(*) from messages where stat_day != 0 and template_id = 7`); n != 3 {
		t.Fatalf("%d messages not final given their day and template, want 3", n)
	}
	wantStatsEqual(t, "counters after the migration", storedStats(t, raw), recountStats(t, raw))
	wantRollupsMatchDays(t, raw)

	// The pending ones move on; the final one is changed behind the status
	// machine's back (nothing in the store does that): the trigger counts
	// it on its day and template all the same.
	if err := db.Record(ctx, []app.Outcome{{MessageID: m[2].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: app.SMPPCode(0x0B), At: time.Now()}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`update messages set error_code = 'SMPP_0x45' where id = ?`, m[0].ID); err != nil {
		t.Fatal(err)
	}
	wantStatsEqual(t, "counters after the moves", storedStats(t, raw), recountStats(t, raw))
	wantRollupsMatchDays(t, raw)

	if _, err := raw.Exec(`delete from stat_days`); err != nil {
		t.Fatal(err)
	}
	today := time.Now()
	if n, err := db.RebuildStats(ctx, today.AddDate(0, 0, -1), today.AddDate(0, 0, 1)); err != nil || n != 4 {
		t.Fatalf("rebuild counted %d (%v), want 4", n, err)
	}
	wantStatsEqual(t, "counters after a rebuild", storedStats(t, raw), recountStats(t, raw))
	wantRollupsMatchDays(t, raw)
}
