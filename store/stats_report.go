package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"smsgw/app"
)

// A report reads the report-shaped rollups, stat_day_totals for a day
// report and stat_months for a month or year report: a year of months is
// thousands of rows where the days with every dimension are millions.
// Neither has a user: a report that needs one (the breakdown by user, an
// operator's own report) reads stat_day_users or stat_month_users, which
// have no channel or carrier, and with a channel or carrier the day
// counters, stat_days (an operator's through stat_days_user). The top error codes read
// stat_day_errors or stat_month_errors, and stat_days for an operator.

// statsSource is where a report reads: the table, its period column (in
// the condition), the period reported (key: the column, or the month of
// a day) and the sums of its columns named sent, delivered, failed,
// pending, segments.
type statsSource struct {
	table, period, key, sums string
	from, to                 int // period numbers, both included
}

// statsSourceFor is the source of a report for p, by a breakdown (by,
// or "" for a report by period).
func statsSourceFor(p *app.Principal, f *app.StatsFilter, by string) statsSource {
	sums := `coalesce(sum(s.sent), 0) as sent, coalesce(sum(s.delivered), 0) as delivered, coalesce(sum(s.failed), 0) as failed,
			coalesce(sum(s.pending), 0) as pending, coalesce(sum(s.segments), 0) as segments`
	byDay := f.GroupBy == app.StatsByDay
	from, to := dayNumber(f.From), dayNumber(f.To)
	user := p.Role == app.RoleOperator && !p.SeesAll() || by == app.StatsByUser
	switch {
	case !user && byDay:
		return statsSource{table: "stat_day_totals", period: "s.day", key: "s.day", sums: sums, from: from, to: to}
	case !user:
		return statsSource{table: "stat_months", period: "s.month", key: "s.month", sums: sums, from: from / 100, to: to / 100}
	case f.ChannelID == 0 && f.Carrier == nil && by != app.StatsByCarrier && by != app.StatsByChannel && byDay:
		return statsSource{table: "stat_day_users", period: "s.day", key: "s.day", sums: sums, from: from, to: to}
	case f.ChannelID == 0 && f.Carrier == nil && by != app.StatsByCarrier && by != app.StatsByChannel:
		return statsSource{table: "stat_month_users", period: "s.month", key: "s.month", sums: sums, from: from / 100, to: to / 100}
	}
	sent := `s.status not in ('` + string(app.StatusRejected) + `', '` + string(app.StatusCancelled) + `')`
	sums = `coalesce(sum(case when ` + sent + ` then s.messages else 0 end), 0) as sent,
			coalesce(sum(case when s.status = 'delivered' then s.messages else 0 end), 0) as delivered,
			coalesce(sum(case when s.status in (` + statusList(app.Status.StatsFailure) + `) then s.messages else 0 end), 0) as failed,
			coalesce(sum(case when s.status = '` + app.StatsPending + `' then s.messages else 0 end), 0) as pending,
			coalesce(sum(case when ` + sent + ` then s.segments else 0 end), 0) as segments`
	if byDay {
		return statsSource{table: "stat_days", period: "s.day", key: "s.day", sums: sums, from: from, to: to}
	}
	return statsSource{table: "stat_days", period: "s.day", key: "s.day / 100", sums: sums, from: from / 100 * 100, to: to/100*100 + 99}
}

// dayNumber is t's date as 20261129.
func dayNumber(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }

// statsWhere is the filter and the caller's scope as a condition on the
// counters s. Errors: ENOTFOUND (a department the caller may not see),
// EFORBIDDEN (an app acting for no user), EINVALID.
func (db *DB) statsWhere(ctx context.Context, p *app.Principal, f *app.StatsFilter, src statsSource) (string, []any, error) {
	if !p.HasScope(app.ScopeQuery) {
		return "", nil, app.Errorf(app.EFORBIDDEN, "该应用没有查询权限 (scope query)")
	}
	if err := f.Validate(); err != nil {
		return "", nil, err
	}
	where, args := src.period+` between ? and ?`, []any{src.from, src.to}
	switch {
	case p.SeesAll():
	case p.Role == app.RoleOperator:
		if p.UserID == 0 {
			return "", nil, app.Errorf(app.EFORBIDDEN, "该应用不属于任何用户，不能查看统计")
		}
		where, args = where+` and s.user_id = ?`, append(args, p.UserID)
	default:
		where, args = where+` and s.department_id in (`+subtreeSQL+`)`, append(args, p.DepartmentID)
	}
	if f.DepartmentID != 0 {
		if err := reachable(ctx, db.rdb, p, f.DepartmentID, true); err != nil {
			return "", nil, err
		}
		where, args = where+` and s.department_id in (`+subtreeSQL+`)`, append(args, f.DepartmentID)
	}
	if f.ChannelID != 0 {
		where, args = where+` and s.channel_id = ?`, append(args, f.ChannelID)
	}
	if f.Carrier != nil {
		where, args = where+` and s.carrier = ?`, append(args, string(*f.Carrier))
	}
	return where, args, nil
}

// Stats answers the report's rows by period, oldest first; periods with
// nothing counted are left out. Errors: EINVALID, ENOTFOUND, EFORBIDDEN, EUNAVAILABLE.
func (db *DB) Stats(ctx context.Context, p *app.Principal, f *app.StatsFilter) ([]app.StatsRow, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	src := statsSourceFor(p, f, "")
	where, args, err := db.statsWhere(ctx, p, f, src)
	if err != nil {
		return nil, err
	}
	// A year report sums the months here: grouped by the table's first
	// key column, SQLite aggregates in key order without sorting, which
	// grouping by month / 100 made it do (twice the time at 3,000 users).
	rows, err := db.rdb.QueryContext(ctx, `select `+src.key+`, `+src.sums+` from `+src.table+` s where `+where+
		` group by 1 order by 1`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.StatsRow
	for rows.Next() {
		var r app.StatsRow
		var n int
		c := &r.StatsCounts
		if err := rows.Scan(&n, &c.Sent, &c.Delivered, &c.Failed, &c.Pending, &c.Segments); err != nil {
			return nil, err
		}
		if *c == (app.StatsCounts{}) {
			continue
		}
		if f.GroupBy == app.StatsByYear {
			n /= 100
		}
		r.Period = periodName(f.GroupBy, n)
		if last := len(out) - 1; last >= 0 && out[last].Period == r.Period {
			a := &out[last].StatsCounts
			a.Sent, a.Delivered, a.Failed = a.Sent+c.Sent, a.Delivered+c.Delivered, a.Failed+c.Failed
			a.Pending, a.Segments = a.Pending+c.Pending, a.Segments+c.Segments
			continue
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// periodName writes a day (20261129), month (202611) or year number as
// "2026-11-29", "2026-11" or "2026".
func periodName(groupBy string, n int) string {
	switch groupBy {
	case app.StatsByDay:
		return fmt.Sprintf("%04d-%02d-%02d", n/10000, n/100%100, n%100)
	case app.StatsByMonth:
		return fmt.Sprintf("%04d-%02d", n/100, n%100)
	}
	return strconv.Itoa(n)
}

// statsKeys are the breakdowns: the column grouped by and the name of
// each key.
var statsKeys = map[string]struct{ column, name, within string }{
	app.StatsByCarrier:    {"s.carrier", `''`, ""},
	app.StatsByDepartment: {"s.department_id", `coalesce((select name from departments where id = k), '')`, ""},
	app.StatsByUser:       {"s.user_id", `coalesce((select coalesce(nullif(display_name, ''), username) from users where id = k), '')`, "s.department_id"},
	app.StatsByChannel:    {"s.channel_id", `coalesce((select name from channels where id = k), '')`, "s.department_id"},
}

// StatsBreakdown answers the report's totals over the whole range by
// carrier, department (a message's own, not rolled up), user or channel,
// the most sent first. A channel's name is its own for those who may
// manage channels, "通道N" (its id) for everyone else. Errors: EINVALID, ENOTFOUND, EFORBIDDEN, EUNAVAILABLE.
func (db *DB) StatsBreakdown(ctx context.Context, p *app.Principal, f *app.StatsFilter, by string) ([]app.StatsRow, error) {
	key, ok := statsKeys[by]
	if !ok {
		return nil, app.FieldError("by", "分组须为 carrier、department、user 或 channel")
	}
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	src := statsSourceFor(p, f, by)
	where, args, err := db.statsWhere(ctx, p, f, src)
	if err != nil {
		return nil, err
	}
	name := key.name
	if by == app.StatsByChannel && !p.CanManageChannels() {
		// Channel names are for those who manage channels (an operator
		// may not learn which carrier account or provider carries its
		// messages): the others see "通道3".
		name = `(case when k = 0 then '' else '通道' || k end)`
	}
	// Grouped first by the rollup's leading key columns through the key
	// (period, department, then user or channel): SQLite aggregates those in key
	// order without sorting the rows, and sorts only the groups, which
	// halved a year's breakdown at 3,000 users (BENCHMARKS.md).
	groups := src.period + ", " + key.column
	switch {
	case by == app.StatsByCarrier:
		// The last key column: grouped as it is, sorting every row (a
		// pass summing each carrier's columns measured twice as slow).
		groups = key.column
	case by == app.StatsByChannel && src.table == "stat_days":
		groups = src.period + ", s.department_id, s.user_id, " + key.column
	case key.within != "":
		groups = src.period + ", " + key.within + ", " + key.column
	}
	rows, err := db.rdb.QueryContext(ctx, `select k, `+name+`, sent, delivered, failed, pending, segments from (
		select k, sum(sent) as sent, sum(delivered) as delivered, sum(failed) as failed, sum(pending) as pending, sum(segments) as segments from (
			select `+key.column+` as k, `+src.sums+`
			from `+src.table+` s where `+where+` group by `+groups+`) group by k) order by sent desc, k`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.StatsRow
	for rows.Next() {
		var r app.StatsRow
		c := &r.StatsCounts
		if err := rows.Scan(&r.Key, &r.Name, &c.Sent, &c.Delivered, &c.Failed, &c.Pending, &c.Segments); err != nil {
			return nil, err
		}
		if *c == (app.StatsCounts{}) {
			continue
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// StatsErrors answers the most frequent error codes of the failed
// messages in the report's range, at most limit (default 10). Errors:
// EINVALID, ENOTFOUND, EFORBIDDEN, EUNAVAILABLE.
func (db *DB) StatsErrors(ctx context.Context, p *app.Principal, f *app.StatsFilter, limit int) ([]app.StatsError, error) {
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	// The month error rollup has no user: an operator's own codes come
	// from the day counters (through stat_days_user), as a day report's do.
	src := statsSourceFor(&app.Principal{Role: app.RoleSysadmin}, f, "")
	src.table = "stat_month_errors"
	if f.GroupBy == app.StatsByDay {
		src.table = "stat_day_errors"
	}
	if p.Role == app.RoleOperator && !p.SeesAll() {
		src.table = "stat_days"
		if f.GroupBy != app.StatsByDay {
			src = statsSource{table: "stat_days", period: "s.day", from: src.from * 100, to: src.to*100 + 99}
		}
	}
	where, args, err := db.statsWhere(ctx, p, f, src)
	if err != nil {
		return nil, err
	}
	if src.table == "stat_days" {
		where += ` and s.status in (` + statusList(app.Status.StatsFailure) + `)`
	}
	rows, err := db.rdb.QueryContext(ctx, `select s.status, s.error_code, sum(s.messages) as n from `+src.table+` s where `+where+`
		group by 1, 2 having n > 0 order by n desc, 1, 2 limit ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.StatsError
	for rows.Next() {
		var e app.StatsError
		if err := rows.Scan(&e.Status, &e.ErrorCode, &e.Messages); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
