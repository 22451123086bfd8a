package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"smsgw/app"
)

// The report benchmarks read counters generated straight into the tables,
// as a year of 100 million messages leaves them, for 300 users and for
// 3,000: 30 departments, 4 channels, 3 carriers, 20 templates (2 a user),
// and among the failures 10 error codes. Run them with
//
//	go test ./store -run XXX -bench StatsReport -benchtime 10x -v
//
// The month rollups hold 12 x 30 x 15 rows (departments; with the
// channel-0 rows a message leaves behind when it is placed), the user
// months 12 x users, the month errors 43,200; March's day totals
// 31 x 30 x 12 rows, user days 31 x users and day errors 33,480; the day counters (stat_days, read for an operator's top codes)
// hold a whole year of one user in a hundred (43,800 rows each: every
// channel, carrier, its two templates and five statuses, every day).

const statsBenchMessages = 100_000_000

// mustStatsYear fills the counters of 2026 for users users (months, and
// March's days), and the day counters of the year of one user in 100.
func mustStatsYear(b *testing.B, raw *sql.DB, users int) {
	b.Helper()
	start := time.Now()
	perRow := statsBenchMessages / (12 * users * 4 * 3)
	perDay := perRow * 12 / 365
	for _, q := range []string{
		// The months of every user, rolled up below.
		`create temp table bench_months (month, department_id, user_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)`,
		`with recursive d(v) as (select 1 union all select v + 1 from d where v < 30)
		insert into departments (id, parent_id, name, created_at) select 100 + v, 1, '部门' || v, 0 from d`,
		fmt.Sprintf(`with recursive u(v) as (select 1 union all select v + 1 from u where v < %d)
		insert or ignore into users (id, department_id, username, display_name, password_hash, role, created_at)
		select v, 101 + v %% 30, 'bench' || v, '用户' || v, '', 'operator', 0 from u`, users),
		// Months: every user on every channel and carrier, and the row of
		// channel 0 each leaves behind (all moved on: zero).
		fmt.Sprintf(`with recursive m(v) as (select 1 union all select v + 1 from m where v < 12),
			u(v) as (select 1 union all select v + 1 from u where v < %d),
			c(v) as (select 0 union all select v + 1 from c where v < 4),
			k(v) as (values ('cmcc'), ('cucc'), ('ctcc')),
			g as (select m.v as month, u.v as user, c.v as channel, k.v as carrier,
				case when c.v = 0 then 0 else %d + abs(random()) %% %d - %d end as sent from m, u, c, k)
		insert into bench_months select 202600 + month, 101 + user %% 30, user, channel, carrier,
			sent, sent * 97 / 100, sent * 25 / 1000, sent - sent * 97 / 100 - sent * 25 / 1000, sent / 100, 0, sent * 12 / 10 from g`,
			users, perRow, perRow/2+1, perRow/4),
		`insert into stat_months select month, department_id, channel_id, carrier, sum(sent), sum(delivered), sum(failed), sum(pending),
			sum(rejected), sum(cancelled), sum(segments) from bench_months group by 1, 2, 3, 4`,
		`insert into stat_month_users select month, department_id, user_id, sum(sent), sum(delivered), sum(failed), sum(pending),
			sum(rejected), sum(cancelled), sum(segments) from bench_months group by 1, 2, 3`,
		`with recursive m(v) as (select 1 union all select v + 1 from m where v < 12),
			u(v) as (select 1 union all select v + 1 from u where v < 30),
			c(v) as (select 1 union all select v + 1 from c where v < 4),
			k(v) as (values ('cmcc'), ('cucc'), ('ctcc')),
			e(status, code) as (values ('undelivered', 'UNDELIV:001'), ('undelivered', 'UNDELIV:013'), ('undelivered', 'UNDELIV:024'),
				('expired', 'EXPIRED:000'), ('expired', 'ENORECEIPT'), ('failed', 'SMPP_0x0B'), ('failed', 'SMPP_0x45'),
				('failed', 'SMPP_0x58'), ('failed', 'SMPP_0x08'), ('failed', 'EVALIDITY'))
		insert into stat_month_errors select 202600 + m.v, 101 + u.v % 30, c.v, k.v, e.status, e.code, 10 + abs(random()) % 1000
		from m, u, c, k, e`,
		// March by day, for every user: the report-shaped day totals.
		fmt.Sprintf(`with recursive d(v) as (select 1 union all select v + 1 from d where v < 31),
			u(v) as (select 1 union all select v + 1 from u where v < %d),
			c(v) as (select 1 union all select v + 1 from c where v < 4),
			k(v) as (values ('cmcc'), ('cucc'), ('ctcc'))
		insert into stat_day_totals select 20260300 + d.v, 101 + u.v %% 30, c.v, k.v, sum(%d), sum(%d * 970 / 1000), sum(%d * 25 / 1000), sum(%d * 5 / 1000), 0, 0, sum(%d * 12 / 10)
		from d, u, c, k group by 1, 2, 3, 4`, users, perDay, perDay, perDay, perDay, perDay),
		fmt.Sprintf(`with recursive d(v) as (select 1 union all select v + 1 from d where v < 31),
			u(v) as (select 1 union all select v + 1 from u where v < %d)
		insert into stat_day_users select 20260300 + d.v, 101 + u.v %% 30, u.v, 12 * %d, 12 * (%d * 970 / 1000), 12 * (%d * 25 / 1000), 12 * (%d * 5 / 1000), 0, 0, 12 * (%d * 12 / 10)
		from d, u`, users, perDay, perDay, perDay, perDay, perDay),
		`with recursive d(v) as (select 1 union all select v + 1 from d where v < 31),
			u(v) as (select 1 union all select v + 1 from u where v < 30),
			c(v) as (select 1 union all select v + 1 from c where v < 4),
			k(v) as (values ('cmcc'), ('cucc'), ('ctcc')),
			e(status, code) as (values ('undelivered', 'UNDELIV:001'), ('expired', 'ENORECEIPT'), ('failed', 'SMPP_0x0B'))
		insert into stat_day_errors select 20260300 + d.v, 101 + u.v % 30, c.v, k.v, e.status, e.code, 1 + abs(random()) % 100
		from d, u, c, k, e`,
		// The day counters of the whole year for one user in a hundred
		// (the operator's top codes read its own): each with its two
		// templates, delivered, pending and three failure codes.
		fmt.Sprintf(`with recursive d(v) as (select 0 union all select v + 1 from d where v < 364),
			u(v) as (select 5 union all select v + 100 from u where v + 100 <= %d),
			c(v) as (select 1 union all select v + 1 from c where v < 4),
			k(v) as (values ('cmcc'), ('cucc'), ('ctcc')),
			t(v) as (values (0), (7)),
			s(status, code, share) as (values ('delivered', '', 970), ('pending', '', 5), ('undelivered', 'UNDELIV:001', 15),
				('expired', 'ENORECEIPT', 5), ('failed', 'SMPP_0x0B', 5))
		insert into stat_days select cast(strftime('%%Y%%m%%d', '2026-01-01', '+' || d.v || ' days') as integer), 101 + u.v %% 30, u.v, c.v, k.v,
			(u.v + t.v) %% 20 + 1, s.status, s.code, %d * s.share / 1000 + 1, (%d * s.share / 1000 + 1) * 12 / 10 from d, u, c, k, t, s`,
			users, perDay/2, perDay/2),
	} {
		if _, err := raw.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	var sent, months, monthUsers, dayTotals, days int64
	if err := raw.QueryRow(`select sum(sent), count(*), (select count(*) from stat_month_users), (select count(*) from stat_day_totals),
		(select count(*) from stat_days) from stat_months`).Scan(&sent, &months, &monthUsers, &dayTotals, &days); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d users: counters for %d messages (%d month rows, %d user month rows, %d day totals, %d day counters) in %v",
		users, sent, months, monthUsers, dayTotals, days, time.Since(start).Round(time.Millisecond))
}

func BenchmarkStatsReport(b *testing.B) {
	for _, users := range []int{300, 3000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) { benchStatsReport(b, users) })
	}
}

func benchStatsReport(b *testing.B, users int) {
	ctx := context.Background()
	db, path := MustOpenDBPath(b)
	mustStatsYear(b, MustRawDB(b, path), users)
	sys := &app.Principal{UserID: 1, DepartmentID: 1, Role: app.RoleSysadmin}
	admin := &app.Principal{UserID: 2, DepartmentID: 105, Role: app.RoleDeptAdmin}
	operator := &app.Principal{UserID: 5, DepartmentID: 106, Role: app.RoleOperator}
	year := &app.StatsFilter{GroupBy: app.StatsByMonth, From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}
	byYear := *year
	byYear.GroupBy = app.StatsByYear
	march := &app.StatsFilter{GroupBy: app.StatsByDay, From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)}
	carrier := app.CarrierUnicom
	yearUnicom := *year
	yearUnicom.Carrier = &carrier
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"YearByMonth", func() error { _, err := db.Stats(ctx, sys, year); return err }},
		{"YearTotal", func() error { _, err := db.Stats(ctx, sys, &byYear); return err }},
		{"YearByMonthOneCarrier", func() error { _, err := db.Stats(ctx, sys, &yearUnicom); return err }},
		{"YearByMonthDeptAdmin", func() error { _, err := db.Stats(ctx, admin, year); return err }},
		{"YearByCarrier", func() error { _, err := db.StatsBreakdown(ctx, sys, year, app.StatsByCarrier); return err }},
		{"YearByDepartment", func() error { _, err := db.StatsBreakdown(ctx, sys, year, app.StatsByDepartment); return err }},
		{"YearByUser", func() error { _, err := db.StatsBreakdown(ctx, sys, year, app.StatsByUser); return err }},
		{"YearTopErrors", func() error { _, err := db.StatsErrors(ctx, sys, year, 10); return err }},
		{"YearByMonthOperator", func() error { _, err := db.Stats(ctx, operator, year); return err }},
		{"YearByChannelOperator", func() error { _, err := db.StatsBreakdown(ctx, operator, year, app.StatsByChannel); return err }},
		{"YearTopErrorsOperator", func() error { _, err := db.StatsErrors(ctx, operator, year, 10); return err }},
		{"MonthByDay", func() error { _, err := db.Stats(ctx, sys, march); return err }},
		{"MonthByUser", func() error { _, err := db.StatsBreakdown(ctx, sys, march, app.StatsByUser); return err }},
		{"MonthByDayTopErrors", func() error { _, err := db.StatsErrors(ctx, sys, march, 10); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/report")
		})
	}
}
