package app

import (
	"context"
	"time"
)

// The statistics (统计报表) count messages by the day they were accepted,
// their department, user, channel, carrier, template and status class. A
// message refused before sending (rejected: blacklist, sensitive words, a
// reviewer; cancelled) is not sent; numbers refused as invalid never become
// messages at all. The rates count final messages only, as R3.2 counts
// success from the receipt:
//
//	success_rate = delivered / (delivered + failed)
//	failure_rate = failed / (delivered + failed)
//
// so a message still on its way weighs on neither.

// StatsPending is the status class the statistics give every status that
// is not final yet: moves among them (queued, submitting, submitted, a
// retry back to queued) change no counter.
const StatsPending = "pending"

// StatsClass is the status as the statistics count it: a final status as
// itself, any other as StatsPending.
func (s Status) StatsClass() string {
	if s.Final() {
		return string(s)
	}
	return StatsPending
}

// StatsSent reports whether the statistics count a message in status s as
// sent: everything but rejected and cancelled.
func (s Status) StatsSent() bool { return s != StatusRejected && s != StatusCancelled }

// StatsFailure reports whether s counts as failed: undelivered, expired or
// failed. Only these keep their error code in the counters.
func (s Status) StatsFailure() bool {
	return s == StatusUndelivered || s == StatusExpired || s == StatusFailed
}

// The periods a report groups by.
const (
	StatsByDay   = "day"
	StatsByMonth = "month"
	StatsByYear  = "year"
)

// The breakdowns of a report (StatsFilter.By).
const (
	StatsByCarrier    = "carrier"
	StatsByDepartment = "department"
	StatsByUser       = "user"
	StatsByChannel    = "channel"
)

// StatsFilter selects what a report counts. From and To are days in the
// platform's time zone, both included; a month or year report covers
// whole months (From and To are widened to their months).
type StatsFilter struct {
	GroupBy      string // StatsByDay, StatsByMonth or StatsByYear
	From, To     time.Time
	DepartmentID int64    // 0: every department in scope; else it and its sub-departments
	ChannelID    int64    // 0: every channel
	Carrier      *Carrier // nil: every carrier
}

// Validate checks the filter. Errors: EINVALID.
func (f *StatsFilter) Validate() error {
	switch f.GroupBy {
	case StatsByDay, StatsByMonth, StatsByYear:
	default:
		return FieldError("group_by", "统计周期须为 day、month 或 year")
	}
	if f.To.Before(f.From) {
		return FieldError("to", "结束日期早于开始日期")
	}
	if f.Carrier != nil && *f.Carrier != CarrierUnknown && !f.Carrier.Valid() {
		return FieldError("carrier", "运营商无效")
	}
	return nil
}

// StatsCounts are the numbers of one row of a report. Segments counts the
// segments (计费条数) of the sent messages.
type StatsCounts struct {
	Sent, Delivered, Failed, Pending, Segments int64
}

// SuccessRate is delivered / (delivered + failed); 0 when nothing is final.
func (c StatsCounts) SuccessRate() float64 { return rate(c.Delivered, c.Delivered+c.Failed) }

// FailureRate is failed / (delivered + failed); 0 when nothing is final.
func (c StatsCounts) FailureRate() float64 { return rate(c.Failed, c.Delivered+c.Failed) }

func rate(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// StatsRow is one period (Period: "2026-11-29", "2026-11" or "2026") or
// one breakdown entry (Key and Name: a carrier, department, user or
// channel) of a report.
type StatsRow struct {
	Period string
	Key    string
	Name   string
	StatsCounts
}

// StatsError is one error code among a report's failed messages.
type StatsError struct {
	Status    Status // undelivered, expired or failed
	ErrorCode string
	Messages  int64
}

// StatsService answers the statistics reports. Every method reads only
// what the caller may see: a system administrator everything, a department
// administrator or auditor its department's subtree, an operator its own
// messages. Errors: EINVALID, ENOTFOUND (a department the caller may not
// see, as a missing one), EFORBIDDEN (an app without the query scope, or
// an operator's app acting for no user).
type StatsService interface {
	// Stats answers the report by period, oldest first.
	Stats(ctx context.Context, p *Principal, f *StatsFilter) ([]StatsRow, error)
	// StatsBreakdown answers the report's totals by carrier, department,
	// user or channel (StatsByCarrier, ...), the most sent first.
	StatsBreakdown(ctx context.Context, p *Principal, f *StatsFilter, by string) ([]StatsRow, error)
	// StatsErrors answers the most frequent error codes of the failed
	// messages, at most limit.
	StatsErrors(ctx context.Context, p *Principal, f *StatsFilter, limit int) ([]StatsError, error)
}
