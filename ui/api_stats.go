package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// The statistics API (统计报表): GET /api/v1/stats by period, and what the
// console's report page shows beside it: /stats/breakdown, /stats/errors
// and /stats/export. Every one takes the same filters (statsFilter).

// statsCounts is a report row's numbers as the API shows them; the rates
// are fractions of the final messages (app.StatsCounts).
type statsCounts struct {
	Sent        int64   `json:"sent"`
	Delivered   int64   `json:"delivered"`
	Failed      int64   `json:"failed"`
	Pending     int64   `json:"pending"`
	Segments    int64   `json:"segments"`
	SuccessRate float64 `json:"success_rate"`
	FailureRate float64 `json:"failure_rate"`
}

func countsOf(c app.StatsCounts) statsCounts {
	return statsCounts{Sent: c.Sent, Delivered: c.Delivered, Failed: c.Failed, Pending: c.Pending, Segments: c.Segments,
		SuccessRate: round4(c.SuccessRate()), FailureRate: round4(c.FailureRate())}
}

func round4(f float64) float64 { return float64(int64(f*10000+0.5)) / 10000 }

// statsPeriod is one row of GET /api/v1/stats.
type statsPeriod struct {
	Period string `json:"period"`
	statsCounts
}

// statsEntry is one row of a breakdown.
type statsEntry struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	statsCounts
}

// statsError is one row of the top error codes.
type statsError struct {
	Status    string `json:"status"`
	ErrorCode string `json:"error_code"`
	Meaning   string `json:"meaning"`
	Messages  int64  `json:"messages"`
}

// statsFilter reads ?group_by=day|month|year&from=&to= (dates, YYYY-MM-DD,
// in the platform's zone; both included) &department_id=&channel_id=
// &carrier=cmcc|cucc|ctcc|cbn|unknown. Without dates: the last 30 days by
// day, the last 12 months by month, the last 5 years by year, to today.
func (s *Server) statsFilter(c echo.Context) (*app.StatsFilter, error) {
	f := &app.StatsFilter{GroupBy: c.QueryParam("group_by")}
	if f.GroupBy == "" {
		f.GroupBy = app.StatsByMonth
	}
	now := time.Now().In(s.opts.Location)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.opts.Location)
	var err error
	if f.To, err = queryDate(c, "to", s.opts.Location, today); err != nil {
		return nil, err
	}
	from := f.To.AddDate(0, 0, -29)
	switch f.GroupBy {
	case app.StatsByMonth:
		from = time.Date(f.To.Year(), f.To.Month()-11, 1, 0, 0, 0, 0, s.opts.Location)
	case app.StatsByYear:
		from = time.Date(f.To.Year()-4, 1, 1, 0, 0, 0, 0, s.opts.Location)
	}
	if f.From, err = queryDate(c, "from", s.opts.Location, from); err != nil {
		return nil, err
	}
	for name, v := range map[string]*int64{"department_id": &f.DepartmentID, "channel_id": &f.ChannelID} {
		if q := c.QueryParam(name); q != "" {
			if *v, err = parseID(q); err != nil {
				return nil, app.FieldError(name, "%s 应为正整数", name)
			}
		}
	}
	switch q := c.QueryParam("carrier"); q {
	case "":
	case "unknown":
		unknown := app.CarrierUnknown
		f.Carrier = &unknown
	default:
		carrier, err := app.ParseCarrier(q)
		if err != nil {
			return nil, app.FieldError("carrier", "运营商应为 cmcc、cucc、ctcc、cbn 或 unknown")
		}
		f.Carrier = &carrier
	}
	return f, f.Validate()
}

// queryDate reads a YYYY-MM-DD date, def when absent.
func queryDate(c echo.Context, name string, loc *time.Location, def time.Time) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		return t, app.FieldError(name, "%s 应为日期，如 2026-11-29", name)
	}
	return t, nil
}

// statsReport answers GET /api/v1/stats.
func (s *Server) statsReport(c echo.Context) error {
	f, err := s.statsFilter(c)
	if err != nil {
		return err
	}
	rows, err := s.opts.Stats.Stats(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	out := listing[statsPeriod]{Items: make([]statsPeriod, len(rows))}
	for i, r := range rows {
		out.Items[i] = statsPeriod{Period: r.Period, statsCounts: countsOf(r.StatsCounts)}
	}
	return c.JSON(http.StatusOK, out)
}

// statsBreakdown answers GET /api/v1/stats/breakdown?by=carrier|department|user|channel.
func (s *Server) statsBreakdown(c echo.Context) error {
	f, err := s.statsFilter(c)
	if err != nil {
		return err
	}
	rows, err := s.opts.Stats.StatsBreakdown(c.Request().Context(), principal(c), f, c.QueryParam("by"))
	if err != nil {
		return err
	}
	out := listing[statsEntry]{Items: make([]statsEntry, len(rows))}
	for i, r := range rows {
		out.Items[i] = statsEntry{Key: r.Key, Name: r.Name, statsCounts: countsOf(r.StatsCounts)}
		if c.QueryParam("by") == app.StatsByCarrier {
			out.Items[i].Name = carrierName(r.Key)
		}
	}
	return c.JSON(http.StatusOK, out)
}

// carrierName is a carrier code's Chinese name (未知 for none).
func carrierName(code string) string {
	if code == "" {
		return "未知"
	}
	return app.Carrier(code).Label()
}

// statsErrors answers GET /api/v1/stats/errors?limit= (default 10, at most 100).
func (s *Server) statsErrors(c echo.Context) error {
	f, err := s.statsFilter(c)
	if err != nil {
		return err
	}
	limit := 10
	if q := c.QueryParam("limit"); q != "" {
		if limit, err = strconv.Atoi(q); err != nil || limit < 1 || limit > 100 {
			return app.FieldError("limit", "limit 应在1到100之间")
		}
	}
	rows, err := s.opts.Stats.StatsErrors(c.Request().Context(), principal(c), f, limit)
	if err != nil {
		return err
	}
	out := listing[statsError]{Items: make([]statsError, len(rows))}
	for i, r := range rows {
		out.Items[i] = statsError{Status: string(r.Status), ErrorCode: r.ErrorCode, Meaning: app.ErrorMeaning(r.ErrorCode), Messages: r.Messages}
	}
	return c.JSON(http.StatusOK, out)
}

// statsHeader is the export's columns.
var statsHeader = []any{"周期", "发送量", "成功", "失败", "待回执", "计费条数", "成功率", "失败率"}

// exportStats answers GET /api/v1/stats/export?format=csv|xlsx (and the
// console's /stats/export): the report's table, rates as percentages, a
// total row, and the footnote on what the rates count.
func (s *Server) exportStats(c echo.Context) error {
	format, err := exportFormat(c)
	if err != nil {
		return err
	}
	f, err := s.statsFilter(c)
	if err != nil {
		return err
	}
	rows, err := s.opts.Stats.Stats(c.Request().Context(), principal(c), f)
	if err != nil {
		return err
	}
	table := [][]any{statsHeader}
	var total app.StatsCounts
	for _, r := range rows {
		table = append(table, statsLine(r.Period, r.StatsCounts))
		total.Sent, total.Delivered, total.Failed = total.Sent+r.Sent, total.Delivered+r.Delivered, total.Failed+r.Failed
		total.Pending, total.Segments = total.Pending+r.Pending, total.Segments+r.Segments
	}
	table = append(table, statsLine("合计", total), []any{statsFootnote})
	return writeCells(c, format, "stats", table)
}

// statsLine is a row of the export: counts as numbers, rates as
// percentages (a number cell in XLSX), "—" when nothing is final.
func statsLine(period string, c app.StatsCounts) []any {
	rate := func(r float64) any {
		if c.Delivered+c.Failed == 0 {
			return "—"
		}
		return rateCell(r)
	}
	return []any{period, c.Sent, c.Delivered, c.Failed, c.Pending, c.Segments, rate(c.SuccessRate()), rate(c.FailureRate())}
}

// percent writes a rate as a percentage, "—" when nothing is final (not
// "-": a spreadsheet export guards a leading minus as a formula).
func percent(rate float64, c app.StatsCounts) string {
	if c.Delivered+c.Failed == 0 {
		return "—"
	}
	return strconv.FormatFloat(rate*100, 'f', 2, 64) + "%"
}

// statsFootnote says what the report counts; the page shows it too.
const statsFootnote = "注：发送量不含发送前被拒绝的短信（黑名单、敏感词、审核驳回、无效号码）和已取消的短信。" +
	"成功率 = 成功 ÷（成功 + 失败），失败率 = 失败 ÷（成功 + 失败），只计已有最终状态（以状态报告为准）的短信，待回执的不计入；" +
	"失败含未送达、超时未送达（过期）和提交失败，也含未能发出平台的短信（发送任务多次失败、提交前已过有效期、挂起后判定失败）。" +
	"短信有最终状态后才计入其通道：按通道筛选时待回执恒为 0。按月、按年统计以整月计。"
