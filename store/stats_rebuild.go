package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"smsgw/app"
)

// statsPrunedTo is the upkeep entry holding the creation time (ms) of the
// newest message the retention prune deleted: counters of days up to it
// can no longer be recounted from detail.
const statsPrunedTo = "messages_pruned_to"

// RebuildStats recounts the day counters of the days from..to (dates in
// the platform's zone, both included) from message detail, and answers
// how many messages it counted. A day whose detail the retention prune
// has touched is refused (EINVALID, field from): its counters are all
// that is left of it. Errors: EINVALID, EUNAVAILABLE.
//
// It works one day per transaction, and reads only that day's messages
// (an id range found by bisection: ids follow accept order), so a server
// running beside it waits for one day's recount at most, never for a
// scan of the whole messages table. Each day's transaction takes the
// day's old totals out of its month rollups and adds the new ones, so
// the months agree with the days after every commit.
func (db *DB) RebuildStats(ctx context.Context, from, to time.Time) (int64, error) {
	if err := db.enter(); err != nil {
		return 0, err
	}
	defer db.leave()
	loc := db.opts.Location
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	to = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, loc)
	if to.Before(from) {
		return 0, app.FieldError("to", "结束日期早于开始日期")
	}
	var counted int64
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if day.Equal(from) {
				if err := refusePruned(ctx, tx, from, loc); err != nil {
					return err
				}
			}
			n, err := db.rebuildDay(ctx, tx, day)
			counted += n
			return err
		})
		if err != nil {
			return counted, err
		}
	}
	return counted, nil
}

// refusePruned refuses a rebuild from a day whose detail was pruned.
func refusePruned(ctx context.Context, tx *sql.Tx, from time.Time, loc *time.Location) error {
	pruned, err := upkeepValue(ctx, tx, statsPrunedTo)
	if err != nil {
		return err
	}
	if pruned != 0 && ms(from) <= pruned {
		first := time.UnixMilli(pruned).In(loc)
		return app.FieldError("from", "%s 及以前的短信明细已按保留期清理，这些天的统计无法重建（计数仍保留）；请从 %s 起重建",
			first.Format("2006-01-02"), first.AddDate(0, 0, 1).Format("2006-01-02"))
	}
	return nil
}

// rebuildDay recounts the counters of one day (midnight in the platform's
// zone) inside tx and answers how many messages it counted.
func (db *DB) rebuildDay(ctx context.Context, tx *sql.Tx, day time.Time) (int64, error) {
	d := dayNumber(day)
	start, end := ms(day), ms(day.AddDate(0, 0, 1))
	// A message counts on the day stored on it (stat_day), fixed at accept.
	// One final before migration 0023 has none (0): it counts on the day
	// of its creation, in the platform's zone, with its batch's template.
	// The ids read are those created a day either side, for a message whose
	// stat_day was fixed in another zone.
	lo, err := firstIDFrom(ctx, tx, start-dayMillis)
	if err != nil {
		return 0, err
	}
	hi, err := firstIDFrom(ctx, tx, end+dayMillis)
	if err != nil {
		return 0, err
	}
	e := statsExprsFor("m")
	if err := addDayToMonths(ctx, tx, d, "-"); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `delete from stat_days where day = ?`, d); err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `insert into stat_days (day, department_id, user_id, channel_id, carrier, template_id, status, error_code, messages, segments)
		select ?, m.department_id, m.user_id, `+e.channel+`, m.carrier,
			case when m.stat_day = 0 then coalesce((select b.template_id from batches b where b.id = m.batch_id), 0) else m.template_id end,
			`+e.class+`, `+e.errorCode+`, count(*), sum(m.segments)
		from messages m where m.id >= ? and m.id < ? and (m.stat_day = ? or m.stat_day = 0 and m.created_at >= ? and m.created_at < ?)
		group by 2, 3, 4, 5, 6, 7, 8`, d, lo, hi, d, start, end)
	if err != nil {
		return 0, err
	}
	var counted int64
	if err := tx.QueryRowContext(ctx, `select coalesce(sum(messages), 0) from stat_days where day = ?`, d).Scan(&counted); err != nil {
		return 0, err
	}
	if err := rollUpDay(ctx, tx, d); err != nil {
		return 0, err
	}
	return counted, addDayToMonths(ctx, tx, d, "")
}

const dayMillis = 24 * 60 * 60 * 1000

// firstIDFrom is the first message id created at or after at (ms), found
// by bisection over the primary key (ids follow accept order); past the
// last message, one more than the largest id.
func firstIDFrom(ctx context.Context, tx *sql.Tx, at int64) (int64, error) {
	var lo, hi sql.NullInt64
	if err := tx.QueryRowContext(ctx, `select min(id), max(id) from messages`).Scan(&lo, &hi); err != nil || !lo.Valid {
		return 0, err
	}
	l, h := lo.Int64, hi.Int64+1 // the answer is in [l, h]
	for l < h {
		mid := l + (h-l)/2
		var created int64
		err := tx.QueryRowContext(ctx, `select created_at from messages where id >= ? order by id limit 1`, mid).Scan(&created)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		if err == nil && created < at {
			l = mid + 1
		} else {
			h = mid
		}
	}
	return l, nil
}

// rollUpDay makes the day's report-shaped rollups, stat_day_totals,
// stat_day_users and stat_day_errors, again from its day counters.
func rollUpDay(ctx context.Context, tx *sql.Tx, day int) error {
	failure := `s.status in (` + statusList(app.Status.StatsFailure) + `)`
	for _, q := range []string{
		`delete from stat_day_totals where day = ?`,
		`delete from stat_day_errors where day = ?`,
		`delete from stat_day_users where day = ?`,
		`insert into stat_day_users (day, department_id, user_id, sent, delivered, failed, pending, rejected, cancelled, segments)
			select s.day, s.department_id, s.user_id, ` + statsClassSums + `
			from stat_days s where s.day = ? group by 1, 2, 3`,
		`insert into stat_day_errors (day, department_id, channel_id, carrier, status, error_code, messages)
			select s.day, s.department_id, s.channel_id, s.carrier, s.status, s.error_code, sum(s.messages)
			from stat_days s where s.day = ? and ` + failure + ` group by 1, 2, 3, 4, 5, 6`,
		`insert into stat_day_totals (day, department_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)
			select s.day, s.department_id, s.channel_id, s.carrier, ` + statsClassSums + `
			from stat_days s where s.day = ? group by 1, 2, 3, 4`,
	} {
		if _, err := tx.ExecContext(ctx, q, day); err != nil {
			return err
		}
	}
	return nil
}

// statsClassSums are the status classes' sums of the day counters s, in
// the column order of stat_day_totals, stat_months and the user rollups.
var statsClassSums = func() string {
	sent := `s.status not in ('` + string(app.StatusRejected) + `', '` + string(app.StatusCancelled) + `')`
	failure := `s.status in (` + statusList(app.Status.StatsFailure) + `)`
	return `sum(case when ` + sent + ` then s.messages else 0 end), sum(case when s.status = 'delivered' then s.messages else 0 end),
		sum(case when ` + failure + ` then s.messages else 0 end), sum(case when s.status = '` + app.StatsPending + `' then s.messages else 0 end),
		sum(case when s.status = 'rejected' then s.messages else 0 end), sum(case when s.status = 'cancelled' then s.messages else 0 end),
		sum(case when ` + sent + ` then s.segments else 0 end)`
}()

// addDayToMonths adds (sign "") or takes away (sign "-") a day's rollups
// from its month's, then drops the month's rows left at zero.
func addDayToMonths(ctx context.Context, tx *sql.Tx, day int, sign string) error {
	const set = `do update set sent = sent + excluded.sent, delivered = delivered + excluded.delivered, failed = failed + excluded.failed,
				pending = pending + excluded.pending, rejected = rejected + excluded.rejected, cancelled = cancelled + excluded.cancelled,
				segments = segments + excluded.segments`
	for _, q := range []string{
		`insert into stat_month_users (month, department_id, user_id, sent, delivered, failed, pending, rejected, cancelled, segments)
			select day / 100, department_id, user_id, ` + sign + `sent, ` + sign + `delivered, ` + sign + `failed, ` +
			sign + `pending, ` + sign + `rejected, ` + sign + `cancelled, ` + sign + `segments
			from stat_day_users where day = ?
			on conflict (month, department_id, user_id) ` + set,
		`delete from stat_month_users where month = ? / 100 and sent = 0 and delivered = 0 and failed = 0 and pending = 0
			and rejected = 0 and cancelled = 0 and segments = 0`,
		`insert into stat_months (month, department_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)
			select day / 100, department_id, channel_id, carrier, ` + sign + `sent, ` + sign + `delivered, ` + sign + `failed, ` +
			sign + `pending, ` + sign + `rejected, ` + sign + `cancelled, ` + sign + `segments
			from stat_day_totals where day = ?
			on conflict (month, department_id, channel_id, carrier)
			do update set sent = sent + excluded.sent, delivered = delivered + excluded.delivered, failed = failed + excluded.failed,
				pending = pending + excluded.pending, rejected = rejected + excluded.rejected, cancelled = cancelled + excluded.cancelled,
				segments = segments + excluded.segments`,
		`insert into stat_month_errors (month, department_id, channel_id, carrier, status, error_code, messages)
			select day / 100, department_id, channel_id, carrier, status, error_code, ` + sign + `messages
			from stat_day_errors where day = ?
			on conflict (month, department_id, channel_id, carrier, status, error_code)
			do update set messages = messages + excluded.messages`,
		`delete from stat_months where month = ? / 100 and sent = 0 and delivered = 0 and failed = 0 and pending = 0
			and rejected = 0 and cancelled = 0 and segments = 0`,
		`delete from stat_month_errors where month = ? / 100 and messages = 0`,
	} {
		if _, err := tx.ExecContext(ctx, q, day); err != nil {
			return err
		}
	}
	return nil
}
