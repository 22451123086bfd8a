package store

import (
	"context"
	"database/sql"
	"time"

	"smsgw/app"
)

// statsPrunedTo is the upkeep entry holding the creation time (ms) of the
// newest message the retention prune deleted: counters of days up to it
// can no longer be recounted from detail.
const statsPrunedTo = "messages_pruned_to"

// RebuildStats recounts the day counters of the days from..to (dates in
// the platform's zone, both included) from message detail, then the month
// rollups of their months from the day counters, in one transaction. It
// answers how many messages it counted. A day whose detail the retention
// prune has touched is refused (EINVALID, field from): its counters are
// all that is left of it.
func (db *DB) RebuildStats(ctx context.Context, from, to time.Time) (int64, error) {
	loc := db.opts.Location
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	to = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, loc)
	if to.Before(from) {
		return 0, app.FieldError("to", "结束日期早于开始日期")
	}
	end := to.AddDate(0, 0, 1)
	fromDay, toDay := dayNumber(from), dayNumber(to)
	e := statsExprsFor("m")
	var counted int64
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		pruned, err := upkeepValue(ctx, tx, statsPrunedTo)
		if err != nil {
			return err
		}
		if pruned != 0 && ms(from) <= pruned {
			first := time.UnixMilli(pruned).In(loc)
			return app.FieldError("from", "%s 及以前的短信明细已按保留期清理，这些天的统计无法重建（计数仍保留）；请从 %s 起重建",
				first.Format("2006-01-02"), first.AddDate(0, 0, 1).Format("2006-01-02"))
		}
		if _, err := tx.ExecContext(ctx, `delete from stat_days where day between ? and ?`, fromDay, toDay); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `insert into stat_days (day, department_id, user_id, channel_id, carrier, template_id, status, error_code, messages, segments)
			select m.stat_day, m.department_id, m.user_id, `+e.channel+`, m.carrier, m.template_id, `+e.class+`, `+e.errorCode+`, count(*), sum(m.segments)
			from messages m where m.created_at >= ? and m.created_at < ? and m.stat_day between ? and ?
			group by 1, 2, 3, 4, 5, 6, 7, 8`, ms(from.AddDate(0, 0, -1)), ms(end.AddDate(0, 0, 1)), fromDay, toDay)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `select coalesce(sum(messages), 0) from stat_days where day between ? and ?`, fromDay, toDay).Scan(&counted); err != nil {
			return err
		}
		return rollUpMonths(ctx, tx, fromDay, toDay)
	})
	return counted, err
}

// rollUpMonths makes the report-shaped rollups again from the day
// counters: stat_day_totals and stat_day_errors of the days from..to
// (20261129), stat_months and stat_month_errors of their months.
func rollUpMonths(ctx context.Context, tx *sql.Tx, fromDay, toDay int) error {
	from, to := fromDay/100, toDay/100
	lo, hi := from*100, to*100+99
	sent := `s.status not in ('` + string(app.StatusRejected) + `', '` + string(app.StatusCancelled) + `')`
	failure := `s.status in (` + statusList(app.Status.StatsFailure) + `)`
	sums := `sum(case when ` + sent + ` then s.messages else 0 end), sum(case when s.status = 'delivered' then s.messages else 0 end),
			sum(case when ` + failure + ` then s.messages else 0 end), sum(case when s.status = '` + app.StatsPending + `' then s.messages else 0 end),
			sum(case when s.status = 'rejected' then s.messages else 0 end), sum(case when s.status = 'cancelled' then s.messages else 0 end),
			sum(case when ` + sent + ` then s.segments else 0 end)`
	for _, q := range []struct {
		sql    string
		lo, hi int
	}{
		{`delete from stat_day_totals where day between ? and ?`, fromDay, toDay},
		{`delete from stat_months where month between ? and ?`, from, to},
		{`delete from stat_month_errors where month between ? and ?`, from, to},
		{`delete from stat_day_errors where day between ? and ?`, fromDay, toDay},
		{`insert into stat_day_errors (day, department_id, channel_id, carrier, status, error_code, messages)
			select s.day, s.department_id, s.channel_id, s.carrier, s.status, s.error_code, sum(s.messages)
			from stat_days s where s.day between ? and ? and ` + failure + ` group by 1, 2, 3, 4, 5, 6`, fromDay, toDay},
		{`insert into stat_day_totals (day, department_id, user_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)
			select s.day, s.department_id, s.user_id, s.channel_id, s.carrier, ` + sums + `
			from stat_days s where s.day between ? and ? group by 1, 2, 3, 4, 5`, fromDay, toDay},
		{`insert into stat_months (month, department_id, user_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)
			select s.day / 100, s.department_id, s.user_id, s.channel_id, s.carrier, ` + sums + `
			from stat_days s where s.day between ? and ? group by 1, 2, 3, 4, 5`, lo, hi},
		{`insert into stat_month_errors (month, department_id, channel_id, carrier, status, error_code, messages)
			select s.day / 100, s.department_id, s.channel_id, s.carrier, s.status, s.error_code, sum(s.messages)
			from stat_days s where s.day between ? and ? and ` + failure + ` group by 1, 2, 3, 4, 5, 6`, lo, hi},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, q.lo, q.hi); err != nil {
			return err
		}
	}
	return nil
}
