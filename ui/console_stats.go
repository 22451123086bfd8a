package ui

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"smsgw/app"
)

// statsPage is 统计报表: the report by period with its charts (stats.js
// draws them from #stats-data), the carrier share, the top error codes
// with their meaning, the breakdowns by department and user, and an XLSX
// export of the table. Everyone may open it; the service limits what each
// role sees.
func (s *Server) statsPage(c echo.Context) error {
	ctx := c.Request().Context()
	p := c.Get(principalKey).(*app.Principal)
	data := map[string]any{"Footnote": statsFootnote}
	f, err := s.statsFilter(c)
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		data["Error"] = app.ErrorMessage(err)
		now := time.Now().In(s.opts.Location)
		f = &app.StatsFilter{GroupBy: app.StatsByMonth, From: time.Date(now.Year(), now.Month()-11, 1, 0, 0, 0, 0, s.opts.Location), To: now}
	}
	// The parts are read at once (each is one query on the read pool): the
	// page waits for the slowest, not for their sum.
	var (
		depts                                         []*app.Department
		rows, byCarrier, deptRows, userRows, channels []app.StatsRow
		errs                                          []app.StatsError
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { depts, err = s.opts.Departments.FindDepartments(gctx, p); return err })
	g.Go(func() (err error) { rows, err = s.opts.Stats.Stats(gctx, p, f); return err })
	g.Go(func() (err error) {
		byCarrier, err = s.opts.Stats.StatsBreakdown(gctx, p, f, app.StatsByCarrier)
		return err
	})
	g.Go(func() (err error) {
		deptRows, err = s.opts.Stats.StatsBreakdown(gctx, p, f, app.StatsByDepartment)
		return err
	})
	g.Go(func() (err error) {
		userRows, err = s.opts.Stats.StatsBreakdown(gctx, p, f, app.StatsByUser)
		return err
	})
	g.Go(func() (err error) {
		channels, err = s.opts.Stats.StatsBreakdown(gctx, p, &app.StatsFilter{GroupBy: f.GroupBy, From: f.From, To: f.To, DepartmentID: f.DepartmentID}, app.StatsByChannel)
		return err
	})
	g.Go(func() (err error) { errs, err = s.opts.Stats.StatsErrors(gctx, p, f, 10); return err })
	if err := g.Wait(); err != nil {
		return err
	}
	type line struct {
		Label                                      string
		Sent, Delivered, Failed, Pending, Segments int64
		SuccessRate, FailureRate                   string
	}
	lineOf := func(label string, c app.StatsCounts) line {
		return line{label, c.Sent, c.Delivered, c.Failed, c.Pending, c.Segments, percent(c.SuccessRate(), c), percent(c.FailureRate(), c)}
	}
	chart := statsChart{Periods: []string{}, Sent: []int64{}, Delivered: []int64{}, Failed: []int64{}, Pending: []int64{}, Carriers: []statsSlice{}}
	var table []line
	var total app.StatsCounts
	for _, r := range rows {
		table = append(table, lineOf(r.Period, r.StatsCounts))
		chart.Periods = append(chart.Periods, r.Period)
		chart.Sent, chart.Delivered = append(chart.Sent, r.Sent), append(chart.Delivered, r.Delivered)
		chart.Failed, chart.Pending = append(chart.Failed, r.Failed), append(chart.Pending, r.Pending)
		total.Sent, total.Delivered, total.Failed = total.Sent+r.Sent, total.Delivered+r.Delivered, total.Failed+r.Failed
		total.Pending, total.Segments = total.Pending+r.Pending, total.Segments+r.Segments
	}
	lines := func(list []app.StatsRow, name func(app.StatsRow) string) []line {
		out := make([]line, 0, len(list))
		for _, r := range list {
			out = append(out, lineOf(name(r), r.StatsCounts))
		}
		return out
	}
	named := func(r app.StatsRow) string {
		if r.Name != "" {
			return r.Name
		}
		return "#" + r.Key
	}
	for _, r := range byCarrier {
		chart.Carriers = append(chart.Carriers, statsSlice{Name: carrierName(r.Key), Value: r.Sent})
	}
	byDept := lines(deptRows, named)
	byUser := lines(userRows, func(r app.StatsRow) string {
		if r.Key == "0" {
			return "（接口应用）"
		}
		return named(r)
	})
	type errLine struct {
		Status, Code, Meaning string
		Messages              int64
	}
	var errLines []errLine
	for _, e := range errs {
		errLines = append(errLines, errLine{statusLabel(e.Status), e.ErrorCode, app.ErrorMeaning(e.ErrorCode), e.Messages})
	}
	type option struct {
		Value, Label string
		On           bool
	}
	deptOptions := []option{{"", "全部部门", f.DepartmentID == 0}}
	for _, d := range depts {
		deptOptions = append(deptOptions, option{formatID(d.ID), d.Name, d.ID == f.DepartmentID})
	}
	chanOptions := []option{{"", "全部通道", f.ChannelID == 0}}
	for _, ch := range channels {
		if ch.Key == "0" {
			continue // not placed on a channel yet
		}
		id, _ := strconv.ParseInt(ch.Key, 10, 64)
		chanOptions = append(chanOptions, option{ch.Key, named(ch), id == f.ChannelID})
	}
	carrier := c.QueryParam("carrier")
	carrierOptions := []option{{"", "全部运营商", carrier == ""}}
	for _, k := range []string{"cmcc", "cucc", "ctcc", "cbn", "unknown"} {
		label := "未知"
		if k != "unknown" {
			label = app.Carrier(k).Label()
		}
		carrierOptions = append(carrierOptions, option{k, label, carrier == k})
	}
	export := url.Values{"group_by": {f.GroupBy}, "from": {f.From.Format("2006-01-02")}, "to": {f.To.Format("2006-01-02")}}
	if f.DepartmentID != 0 {
		export.Set("department_id", formatID(f.DepartmentID))
	}
	if f.ChannelID != 0 {
		export.Set("channel_id", formatID(f.ChannelID))
	}
	if carrier != "" {
		export.Set("carrier", carrier)
	}
	data["GroupBy"], data["From"], data["To"] = f.GroupBy, f.From.Format("2006-01-02"), f.To.Format("2006-01-02")
	data["Departments"], data["Channels"], data["Carriers"] = deptOptions, chanOptions, carrierOptions
	// The whole href as a template.URL: html/template would percent-encode
	// the = and & of a plain string, and the export would drop every filter.
	export.Set("format", "xlsx")
	data["Errors"], data["Chart"], data["Export"] = errLines, chart, template.URL("/stats/export?"+export.Encode())
	data = s.page(c, "统计报表", data)
	// The tables are a shared template: each carries the page's language.
	lang, _ := data["Lang"].(string)
	totalLine := lineOf("合计", total)
	data["Table"] = statsTable[line]{lang, "stats-table", "周期", table, &totalLine}
	data["DeptTable"] = statsTable[line]{lang, "stats-departments", "部门", byDept, nil}
	data["UserTable"] = statsTable[line]{lang, "stats-users", "用户", byUser, nil}
	return s.console.render(c, http.StatusOK, "stats.html", data)
}

// statsChart is what stats.js draws: the trend and stacked bars by period,
// and the carrier share.
type statsChart struct {
	Periods                          []string
	Sent, Delivered, Failed, Pending []int64
	Carriers                         []statsSlice
}

type statsSlice struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

// statsTable is one of the page's tables of numbers.
type statsTable[T any] struct {
	Lang, ID, Head string
	Rows           []T
	Total          *T
}
