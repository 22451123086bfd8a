package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"smsgw/app"
)

// The statistics counters (migration 0023) are kept in the transaction of
// every write that makes or moves a message. A trigger made here from
// app's status classes takes a message whose counter key changes from its
// old key and adds it to the new one: no status write can forget it.
// Inserts are counted by insertBatch itself (countInserted), one upsert per
// distinct key of the request instead of three per row: a per-row insert
// trigger cost the 1,000-number send half as much again (BENCHMARKS.md).
// insertBatch is the only statement that inserts messages. A delete (the
// retention prune) changes nothing: the counters outlive the detail.
//
// Two choices keep the trigger cheap on the dispatch path, where every
// message changes status three or four times:
//   - the day a message counts on is stored on it at accept (stat_day, in
//     the platform's zone), so the trigger computes no date;
//   - a message not final yet counts under channel 0, whatever channel it
//     is on: claiming, submitting and retrying change no key, and the
//     trigger does its work once per message, when it becomes final.

// statsUpdateTrigger is the counters' trigger.
const statsUpdateTrigger = "messages_stats_update"

// shanghai is the default platform zone.
func shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// statusList is "'a', 'b'" of the statuses for which keep says true.
func statusList(keep func(app.Status) bool) string {
	var out []string
	for _, s := range app.Statuses {
		if keep(s) {
			out = append(out, "'"+string(s)+"'")
		}
	}
	return strings.Join(out, ", ")
}

// statsExprs are the SQL expressions of a message row's counter key and
// status classes.
type statsExprs struct{ class, channel, errorCode, sent, failure, pending string }

func statsExprsFor(r string) statsExprs {
	// A status is tested against a string of ",a,b," with instr, not with
	// IN: an IN list builds an ephemeral table each time the trigger runs,
	// which doubled the store's dispatch cost (BENCHMARKS.md).
	in := func(keep func(app.Status) bool) string {
		list := ","
		for _, s := range app.Statuses {
			if keep(s) {
				list += string(s) + ","
			}
		}
		return `(instr('` + list + `', ',' || ` + r + `.status || ',') > 0)`
	}
	pending := in(func(s app.Status) bool { return s.StatsClass() == app.StatsPending })
	failure := in(app.Status.StatsFailure)
	return statsExprs{
		class:     `(case when ` + pending + ` then '` + app.StatsPending + `' else ` + r + `.status end)`,
		channel:   `(case when ` + pending + ` then 0 else ` + r + `.channel_id end)`,
		errorCode: `(case when ` + failure + ` then ` + r + `.error_code else '' end)`,
		sent:      `(` + r + `.status != '` + string(app.StatusRejected) + `' and ` + r + `.status != '` + string(app.StatusCancelled) + `')`,
		failure:   failure,
		pending:   pending,
	}
}

// statsDayOf is the SQL of the day the message row r counts on: its
// stat_day, or for a message final before migration 0023 (stat_day 0, see
// there) the day of its creation at the zone offset (seconds) given.
func statsDayOf(r string, offset int) string {
	return `(case when ` + r + `.stat_day != 0 then ` + r + `.stat_day else cast(strftime('%Y%m%d', ` + r + `.created_at / 1000 + ` +
		strconv.Itoa(offset) + `, 'unixepoch') as integer) end)`
}

// statsTemplateOf is the SQL of the template the message row r counts
// under: its own, or its batch's for one final before migration 0023.
func statsTemplateOf(r string) string {
	return `(case when ` + r + `.stat_day != 0 then ` + r + `.template_id else coalesce((select template_id from batches where id = ` + r + `.batch_id), 0) end)`
}

// statsCount is the SQL that adds (sign "") or takes away (sign "-") the
// message row r (new or old) from its counters; offset as in statsDayOf.
func statsCount(r, sign string, offset int) string {
	e := statsExprsFor(r)
	day := statsDayOf(r, offset)
	return `insert into stat_days (day, department_id, user_id, channel_id, carrier, template_id, status, error_code, messages, segments)
		values (` + day + `, ` + r + `.department_id, ` + r + `.user_id, ` + e.channel + `, ` + r + `.carrier, ` + statsTemplateOf(r) + `, ` + e.class + `, ` + e.errorCode + `, ` + sign + `1, ` + sign + r + `.segments)
		on conflict (day, department_id, user_id, channel_id, carrier, template_id, status, error_code)
		do update set messages = messages + excluded.messages, segments = segments + excluded.segments;
	` + statsTotals("stat_day_totals", "day", day, r, sign) + `
	` + statsTotals("stat_months", "month", day+" / 100", r, sign) + `
	` + statsErrors("stat_day_errors", "day", day, r, sign) + `
	` + statsErrors("stat_month_errors", "month", day+" / 100", r, sign)
}

// statsErrors is the upsert of the row r (sign as in statsCount) into an
// error rollup, when it is a failure: stat_day_errors or stat_month_errors.
func statsErrors(table, periodColumn, period, r, sign string) string {
	e := statsExprsFor(r)
	return `insert into ` + table + ` (` + periodColumn + `, department_id, channel_id, carrier, status, error_code, messages)
		select ` + period + `, ` + r + `.department_id, ` + r + `.channel_id, ` + r + `.carrier, ` + r + `.status, ` + r + `.error_code, ` + sign + `1
		where ` + e.failure + `
		on conflict (` + periodColumn + `, department_id, channel_id, carrier, status, error_code)
		do update set messages = messages + excluded.messages;`
}

// statsTotals is the upsert of the row r (sign as in statsCount) into a
// report-shaped rollup: stat_day_totals by day, stat_months by month.
func statsTotals(table, periodColumn, period, r, sign string) string {
	e := statsExprsFor(r)
	return `insert into ` + table + ` (` + periodColumn + `, department_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)
		values (` + period + `, ` + r + `.department_id, ` + e.channel + `, ` + r + `.carrier, ` +
		sign + e.sent + `, ` + sign + `(` + r + `.status = 'delivered'), ` + sign + e.failure + `, ` + sign + e.pending + `, ` +
		sign + `(` + r + `.status = 'rejected'), ` + sign + `(` + r + `.status = 'cancelled'), ` + sign + `(` + e.sent + ` * ` + r + `.segments))
		on conflict (` + periodColumn + `, department_id, channel_id, carrier)
		do update set sent = sent + excluded.sent, delivered = delivered + excluded.delivered, failed = failed + excluded.failed,
			pending = pending + excluded.pending, rejected = rejected + excluded.rejected, cancelled = cancelled + excluded.cancelled,
			segments = segments + excluded.segments;`
}

// statsUserMove is the upserts of a status change into the user
// rollups, stat_day_users and stat_month_users: the old and new rows of a
// message share its day, department and user, so the change of each class
// is added at once (new minus old), and not at all when the class stays
// (a channel or error code moved).
func statsUserMove(offset int) string {
	o, n := statsExprsFor("old"), statsExprsFor("new")
	cls := func(e statsExprs, r string) [6]string {
		return [6]string{e.sent, `(` + r + `.status = 'delivered')`, e.failure, e.pending, `(` + r + `.status = 'rejected')`, `(` + r + `.status = 'cancelled')`}
	}
	oc, nc := cls(o, "old"), cls(n, "new")
	var d []string
	for i := range oc {
		d = append(d, nc[i]+` - `+oc[i])
	}
	d = append(d, n.sent+` * new.segments - `+o.sent+` * old.segments`)
	day := statsDayOf("new", offset)
	var out string
	for _, t := range [][3]string{{"stat_day_users", "day", day}, {"stat_month_users", "month", day + ` / 100`}} {
		out += `insert into ` + t[0] + ` (` + t[1] + `, department_id, user_id, sent, delivered, failed, pending, rejected, cancelled, segments)
		select ` + t[2] + `, new.department_id, new.user_id, ` + strings.Join(d, `, `) + `
		where ` + o.class + ` IS NOT ` + n.class + `
		on conflict (` + t[1] + `, department_id, user_id)
		do update set sent = sent + excluded.sent, delivered = delivered + excluded.delivered, failed = failed + excluded.failed,
			pending = pending + excluded.pending, rejected = rejected + excluded.rejected, cancelled = cancelled + excluded.cancelled,
			segments = segments + excluded.segments;
	`
	}
	return out
}

// statsTriggers returns the counters' trigger, by name, for a platform
// zone at offset (seconds east of UTC).
func statsTriggers(offset int) map[string]string {
	o, n := statsExprsFor("old"), statsExprsFor("new")
	return map[string]string{
		statsUpdateTrigger: `CREATE TRIGGER ` + statsUpdateTrigger + ` AFTER UPDATE OF status, channel_id, error_code ON messages
	WHEN ` + o.class + ` IS NOT ` + n.class + ` OR ` + o.channel + ` IS NOT ` + n.channel + ` OR ` + o.errorCode + ` IS NOT ` + n.errorCode + `
	BEGIN ` + statsCount("old", "-", offset) + `
	` + statsCount("new", "", offset) + `
	` + statsUserMove(offset) + ` END`,
	}
}

// installStatsCounters (re)creates the counters' trigger when app's status
// classes changed since it was made; an unchanged database is not written.
func (db *DB) installStatsCounters(ctx context.Context) error {
	// The zone's offset now: it only places a message final before
	// migration 0023, which the status machine never lets move again (this
	// is for safety), and a zone whose offset changes gets its trigger made
	// again at the next start.
	_, offset := db.now().In(db.opts.Location).Zone()
	return db.installTriggers(ctx, statsTriggers(offset), "statistics counters installed")
}

// The counters of a request's new messages, written by countInserted.
var (
	qStatsDayAdd = `insert into stat_days (day, department_id, user_id, channel_id, carrier, template_id, status, error_code, messages, segments)
		values (?, ?, ?, 0, ?, ?, ?, '', ?, ?)
		on conflict (day, department_id, user_id, channel_id, carrier, template_id, status, error_code)
		do update set messages = messages + excluded.messages, segments = segments + excluded.segments`
	qStatsMonthAdd     = qStatsTotalsAdd("stat_months", "month")
	qStatsDayTotalAdd  = qStatsTotalsAdd("stat_day_totals", "day")
	qStatsMonthUserAdd = qStatsUsersAdd("stat_month_users", "month")
	qStatsDayUserAdd   = qStatsUsersAdd("stat_day_users", "day")
)

func qStatsUsersAdd(table, periodColumn string) string {
	return `insert into ` + table + ` (` + periodColumn + `, department_id, user_id, sent, delivered, failed, pending, rejected, cancelled, segments)
		values (?, ?, ?, ?, 0, 0, ?, ?, 0, ?)
		on conflict (` + periodColumn + `, department_id, user_id)
		do update set sent = sent + excluded.sent, pending = pending + excluded.pending, rejected = rejected + excluded.rejected,
			segments = segments + excluded.segments`
}

func qStatsTotalsAdd(table, periodColumn string) string {
	return `insert into ` + table + ` (` + periodColumn + `, department_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)
		values (?, ?, 0, ?, ?, 0, 0, ?, ?, 0, ?)
		on conflict (` + periodColumn + `, department_id, channel_id, carrier)
		do update set sent = sent + excluded.sent, pending = pending + excluded.pending, rejected = rejected + excluded.rejected,
			segments = segments + excluded.segments`
}

// statsInsertKey is what differs among a request's new messages: they share
// day, department, user, template and channel (none yet).
type statsInsertKey struct {
	carrier app.Carrier
	status  app.Status
}

// countInserted adds a request's new messages to the counters, inside the
// accept's transaction. New messages are pending (accepted, queued) or
// rejected (blacklisted): neither has a failure's error code.
func (db *DB) countInserted(ctx context.Context, tx *sql.Tx, b *app.Batch, templateID int64, rows []app.PlannedMessage, status app.Status) error {
	if db.statsOff {
		return nil
	}
	type amount struct{ n, segments int64 }
	sums := map[statsInsertKey]amount{}
	var order []statsInsertKey
	for _, m := range rows {
		k := statsInsertKey{m.Carrier, status}
		if m.Code != "" {
			k.status = app.StatusRejected
		}
		a, seen := sums[k]
		if !seen {
			order = append(order, k)
		}
		sums[k] = amount{a.n + 1, a.segments + int64(m.Segments)}
	}
	day := db.statsDay(b.CreatedAt)
	var all statsUserSums
	for _, k := range order {
		a := sums[k]
		if k.status.StatsFailure() || k.status.Final() && k.status != app.StatusRejected {
			return fmt.Errorf("stats: a message stored %s", k.status)
		}
		if _, err := db.exec(ctx, tx, qStatsDayAdd, day, b.DepartmentID, b.UserID, string(k.carrier), templateID, k.status.StatsClass(), a.n, a.segments); err != nil {
			return err
		}
		var sent, pending, rejected, segments int64
		if k.status == app.StatusRejected {
			rejected = a.n
		} else {
			sent, pending, segments = a.n, a.n, a.segments
		}
		if _, err := db.exec(ctx, tx, qStatsDayTotalAdd, day, b.DepartmentID, string(k.carrier), sent, pending, rejected, segments); err != nil {
			return err
		}
		if _, err := db.exec(ctx, tx, qStatsMonthAdd, day/100, b.DepartmentID, string(k.carrier), sent, pending, rejected, segments); err != nil {
			return err
		}
		all.sent, all.pending, all.rejected, all.segments = all.sent+sent, all.pending+pending, all.rejected+rejected, all.segments+segments
	}
	if len(order) == 0 {
		return nil
	}
	// The user rollups have no carrier: one upsert each for the request.
	if _, err := db.exec(ctx, tx, qStatsDayUserAdd, day, b.DepartmentID, b.UserID, all.sent, all.pending, all.rejected, all.segments); err != nil {
		return err
	}
	_, err := db.exec(ctx, tx, qStatsMonthUserAdd, day/100, b.DepartmentID, b.UserID, all.sent, all.pending, all.rejected, all.segments)
	return err
}

// statsUserSums sums a request's new messages for the user rollups.
type statsUserSums struct{ sent, pending, rejected, segments int64 }

// statsDay is the day a message made at t counts on (20261129), in the
// platform's zone: stored on it as stat_day.
func (db *DB) statsDay(t time.Time) int { return dayNumber(t.In(db.opts.Location)) }

// Location is the platform's time zone, whose days the statistics count.
func (db *DB) Location() *time.Location { return db.opts.Location }
