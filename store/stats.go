package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"smsgw/app"
)

// The statistics counters (migration 0023) are kept by two triggers made
// here from app's status classes: every message inserted adds itself to
// its key, every change of its status class, channel or (for a failure)
// error code takes it from its old key and adds it to the new one, in the
// transaction of the write. No status write can forget them, and a delete
// (the retention prune) fires nothing: the counters outlive the detail.
//
// The day is the message's creation day in the platform's zone, with the
// zone's offset written into the triggers (China keeps no summer time);
// installStatsCounters makes them again when the offset changes.

const (
	statsInsertTrigger = "messages_stats_insert"
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
	insert into stat_month_errors (month, department_id, user_id, channel_id, carrier, status, error_code, messages)
		select ` + e.day + ` / 100, ` + r + `.department_id, ` + r + `.user_id, ` + r + `.channel_id, ` + r + `.carrier, ` + r + `.status, ` + r + `.error_code, ` + sign + `1
		where ` + e.failure + `
		on conflict (month, department_id, user_id, channel_id, carrier, status, error_code)
		do update set messages = messages + excluded.messages;`
}

// statsTriggers returns the counters' triggers, by name, for a zone offset
// in seconds.
func statsTriggers(offset int) map[string]string {
	o, n := statsExprsFor("old", offset), statsExprsFor("new", offset)
	return map[string]string{
		statsInsertTrigger: `CREATE TRIGGER ` + statsInsertTrigger + ` AFTER INSERT ON messages
	BEGIN ` + statsCount("new", "", offset) + ` END`,
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
	want := statsTriggers(db.zoneOffset())
	tx, err := db.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	changed := false
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
	db.log.Info("statistics counters installed", "zone_offset", db.zoneOffset())
	return tx.Commit()
}

// Location is the platform's time zone, whose days the statistics count.
func (db *DB) Location() *time.Location { return db.opts.Location }
