package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"smsgw/app"
)

// The statistics counters (migration 0023) are kept in the transaction of
// every write that makes or moves a message. A trigger made here from
// app's status classes takes a message whose status class, channel or
// (for a failure) error code changes from its old key and adds it to the
// new one: no status write can forget it. Inserts are counted by
// insertBatch itself (countInserted), one upsert per distinct key of the
// request instead of three per row: a per-row insert trigger cost the
// 1,000-number send half as much again (BENCHMARKS.md). insertBatch is the
// only statement that inserts messages. A delete (the retention prune)
// changes nothing: the counters outlive the detail.
//
// The day is the message's creation day in the platform's zone, with the
// zone's offset written into the trigger (China keeps no summer time);
// installStatsCounters makes it again when the offset changes.

const (
	statsInsertTrigger = "messages_stats_insert" // the insert trigger of the first version; dropped
	statsUpdateTrigger = "messages_stats_update"
)

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

// statsExprs are the SQL expressions of a message row's counter key.
type statsExprs struct{ day, class, errorCode, sent, failure, pending string }

func statsExprsFor(r string, offset int) statsExprs {
	pending := statusList(func(s app.Status) bool { return s.StatsClass() == app.StatsPending })
	failure := statusList(app.Status.StatsFailure)
	return statsExprs{
		day:       `cast(strftime('%Y%m%d', ` + r + `.created_at / 1000 + ` + strconv.Itoa(offset) + `, 'unixepoch') as integer)`,
		class:     `(case when ` + r + `.status in (` + pending + `) then '` + app.StatsPending + `' else ` + r + `.status end)`,
		errorCode: `(case when ` + r + `.status in (` + failure + `) then ` + r + `.error_code else '' end)`,
		sent:      `(` + r + `.status not in ('` + string(app.StatusRejected) + `', '` + string(app.StatusCancelled) + `'))`,
		failure:   `(` + r + `.status in (` + failure + `))`,
		pending:   `(` + r + `.status in (` + pending + `))`,
	}
}

// statsCount is the SQL that adds (sign "") or takes away (sign "-") the
// message row r (new or old) from its counters.
func statsCount(r, sign string, offset int) string {
	e := statsExprsFor(r, offset)
	return `insert into stat_days (day, department_id, user_id, channel_id, carrier, template_id, status, error_code, messages, segments)
		values (` + e.day + `, ` + r + `.department_id, ` + r + `.user_id, ` + r + `.channel_id, ` + r + `.carrier, ` + r + `.template_id, ` + e.class + `, ` + e.errorCode + `, ` + sign + `1, ` + sign + r + `.segments)
		on conflict (day, department_id, user_id, channel_id, carrier, template_id, status, error_code)
		do update set messages = messages + excluded.messages, segments = segments + excluded.segments;
	insert into stat_months (month, department_id, user_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)
		values (` + e.day + ` / 100, ` + r + `.department_id, ` + r + `.user_id, ` + r + `.channel_id, ` + r + `.carrier, ` +
		sign + e.sent + `, ` + sign + `(` + r + `.status = 'delivered'), ` + sign + e.failure + `, ` + sign + e.pending + `, ` +
		sign + `(` + r + `.status = 'rejected'), ` + sign + `(` + r + `.status = 'cancelled'), ` + sign + `(` + e.sent + ` * ` + r + `.segments))
		on conflict (month, department_id, user_id, channel_id, carrier)
		do update set sent = sent + excluded.sent, delivered = delivered + excluded.delivered, failed = failed + excluded.failed,
			pending = pending + excluded.pending, rejected = rejected + excluded.rejected, cancelled = cancelled + excluded.cancelled,
			segments = segments + excluded.segments;
	insert into stat_month_errors (month, department_id, channel_id, carrier, status, error_code, messages)
		select ` + e.day + ` / 100, ` + r + `.department_id, ` + r + `.channel_id, ` + r + `.carrier, ` + r + `.status, ` + r + `.error_code, ` + sign + `1
		where ` + e.failure + `
		on conflict (month, department_id, channel_id, carrier, status, error_code)
		do update set messages = messages + excluded.messages;`
}

// statsTriggers returns the counters' triggers, by name, for a zone offset
// in seconds.
func statsTriggers(offset int) map[string]string {
	o, n := statsExprsFor("old", offset), statsExprsFor("new", offset)
	return map[string]string{
		statsUpdateTrigger: `CREATE TRIGGER ` + statsUpdateTrigger + ` AFTER UPDATE OF status, channel_id, error_code ON messages
	WHEN ` + o.class + ` IS NOT ` + n.class + ` OR old.channel_id IS NOT new.channel_id OR ` + o.errorCode + ` IS NOT ` + n.errorCode + `
	BEGIN ` + statsCount("old", "-", offset) + `
	` + statsCount("new", "", offset) + ` END`,
	}
}

// zoneOffset is the platform zone's offset from UTC now, in seconds.
func (db *DB) zoneOffset() int {
	_, off := db.now().In(db.opts.Location).Zone()
	return off
}

// installStatsCounters (re)creates the counters' triggers when app's
// status classes or the zone's offset changed since they were made; an
// unchanged database is not written.
func (db *DB) installStatsCounters(ctx context.Context) error {
	db.statsOffset = db.zoneOffset()
	want := statsTriggers(db.statsOffset)
	tx, err := db.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	changed := false
	var old int
	if err := tx.QueryRowContext(ctx, `select count(*) from sqlite_master where type = 'trigger' and name = ?`, statsInsertTrigger).Scan(&old); err != nil {
		return err
	} else if old > 0 {
		if _, err := tx.ExecContext(ctx, `drop trigger `+statsInsertTrigger); err != nil {
			return err
		}
		changed = true
	}
	for name, body := range want {
		var have string
		err := tx.QueryRowContext(ctx, `select sql from sqlite_master where type = 'trigger' and name = ?`, name).Scan(&have)
		if err == nil && have == body {
			continue
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `drop trigger if exists `+name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, body); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	db.log.Info("statistics counters installed", "zone_offset", db.statsOffset)
	return tx.Commit()
}

// Location is the platform's time zone, whose days the statistics count.
func (db *DB) Location() *time.Location { return db.opts.Location }

// The counters of a request's new messages, written by countInserted.
const (
	qStatsDayAdd = `insert into stat_days (day, department_id, user_id, channel_id, carrier, template_id, status, error_code, messages, segments)
		values (?, ?, ?, 0, ?, ?, ?, '', ?, ?)
		on conflict (day, department_id, user_id, channel_id, carrier, template_id, status, error_code)
		do update set messages = messages + excluded.messages, segments = segments + excluded.segments`
	qStatsMonthAdd = `insert into stat_months (month, department_id, user_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)
		values (?, ?, ?, 0, ?, ?, 0, 0, ?, ?, 0, ?)
		on conflict (month, department_id, user_id, channel_id, carrier)
		do update set sent = sent + excluded.sent, pending = pending + excluded.pending, rejected = rejected + excluded.rejected,
			segments = segments + excluded.segments`
)

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
	day := statsDay(ms(b.CreatedAt), db.statsOffset)
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
		if _, err := db.exec(ctx, tx, qStatsMonthAdd, day/100, b.DepartmentID, b.UserID, string(k.carrier), sent, pending, rejected, segments); err != nil {
			return err
		}
	}
	return nil
}

// statsDay is the day number (20261129) of a time in ms, at a zone offset
// in seconds: the triggers' strftime, in Go.
func statsDay(at int64, offset int) int {
	return dayNumber(time.Unix(at/1000+int64(offset), 0).UTC())
}
