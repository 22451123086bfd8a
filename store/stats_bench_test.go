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
// as a year of 100 million messages leaves them: 30 departments, 300 users
// (10 a department), 4 channels, 3 carriers, 20 templates (2 a user), and
// among the failures 10 error codes. Run them with
//
//	go test ./store -run XXX -bench StatsReport -benchtime 20x
//
// The month rollups hold 54,000 rows (with the channel-0 rows a message
// leaves behind when it is placed), the error rollups 43,200, the day
// counters of one month about 1.1 million, their day totals 111,600 and
// day errors 33,480.

const statsBenchMessages = 100_000_000

// mustStatsYear fills the counters of 2026 (months) and of 2026-03 (days).
func mustStatsYear(b *testing.B, raw *sql.DB) {
	b.Helper()
	start := time.Now()
	perRow := statsBenchMessages / (12 * 300 * 4 * 3)
	for _, q := range []string{
		`with recursive d(v) as (select 1 union all select v + 1 from d where v < 30)
		insert into departments (id, parent_id, name, created_at) select 100 + v, 1, '部门' || v, 0 from d`,
		// Months: every user on every channel and carrier, and the row of
		// channel 0 each leaves behind (all moved on: zero).
		fmt.Sprintf(`with recursive m(v) as (select 1 union all select v + 1 from m where v < 12),
			u(v) as (select 1 union all select v + 1 from u where v < 300),
			c(v) as (select 0 union all select v + 1 from c where v < 4),
			k(v) as (values ('cmcc'), ('cucc'), ('ctcc')),
			g as (select m.v as month, u.v as user, c.v as channel, k.v as carrier,
				case when c.v = 0 then 0 else %d + abs(random()) %% 200 - 100 end as sent from m, u, c, k)
		insert into stat_months select 202600 + month, 101 + user %% 30, user, channel, carrier,
			sent, sent * 97 / 100, sent * 25 / 1000, sent - sent * 97 / 100 - sent * 25 / 1000, sent / 100, 0, sent * 12 / 10 from g`, perRow),
		`with recursive m(v) as (select 1 union all select v + 1 from m where v < 12),
			u(v) as (select 1 union all select v + 1 from u where v < 300),
			c(v) as (select 1 union all select v + 1 from c where v < 4),
			k(v) as (values ('cmcc'), ('cucc'), ('ctcc')),
			e(status, code) as (values ('undelivered', 'UNDELIV:001'), ('undelivered', 'UNDELIV:013'), ('undelivered', 'UNDELIV:024'),
				('expired', 'EXPIRED:000'), ('expired', 'ENORECEIPT'), ('failed', 'SMPP_0x0B'), ('failed', 'SMPP_0x45'),
				('failed', 'SMPP_0x58'), ('failed', 'SMPP_0x08'), ('failed', 'EVALIDITY'))
		insert into stat_month_errors select 202600 + m.v, 101 + u.v % 30, c.v, k.v, e.status, e.code, sum(1 + abs(random()) % 10)
		from m, u, c, k, e group by 1, 2, 3, 4, 5, 6`,
		// The days of March: each user with its two templates, delivered,
		// pending and three failure codes.
		fmt.Sprintf(`with recursive d(v) as (select 1 union all select v + 1 from d where v < 31),
			u(v) as (select 1 union all select v + 1 from u where v < 300),
			c(v) as (select 1 union all select v + 1 from c where v < 4),
			k(v) as (values ('cmcc'), ('cucc'), ('ctcc')),
			t(v) as (values (0), (7)),
			s(status, code, share) as (values ('delivered', '', 970), ('pending', '', 5), ('undelivered', 'UNDELIV:001', 15),
				('expired', 'ENORECEIPT', 5), ('failed', 'SMPP_0x0B', 5))
		insert into stat_days select 20260300 + d.v, 101 + u.v %% 30, u.v, c.v, k.v, (u.v + t.v) %% 20 + 1, s.status, s.code,
			%d * s.share / 1000, %d * s.share / 1000 * 12 / 10 from d, u, c, k, t, s`, perRow/31/2, perRow/31/2),
		`insert into stat_day_totals select day, department_id, user_id, channel_id, carrier, sum(messages),
			sum(case when status = 'delivered' then messages else 0 end), sum(case when status in ('undelivered', 'expired', 'failed') then messages else 0 end),
			sum(case when status = 'pending' then messages else 0 end), 0, 0, sum(segments) from stat_days group by 1, 2, 3, 4, 5`,
		`insert into stat_day_errors select day, department_id, channel_id, carrier, status, error_code, sum(messages)
			from stat_days where status in ('undelivered', 'expired', 'failed') group by 1, 2, 3, 4, 5, 6`,
	} {
		if _, err := raw.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	var sent int64
	if err := raw.QueryRow(`select sum(sent) from stat_months`).Scan(&sent); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated counters for %d messages in %v", sent, time.Since(start).Round(time.Millisecond))
}

func BenchmarkStatsReport(b *testing.B) {
	ctx := context.Background()
	db, path := MustOpenDBPath(b)
	mustStatsYear(b, MustRawDB(b, path))
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
		{"YearTopErrorsOperator", func() error { _, err := db.StatsErrors(ctx, operator, year, 10); return err }},
		{"MonthByDay", func() error { _, err := db.Stats(ctx, sys, march); return err }},
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
