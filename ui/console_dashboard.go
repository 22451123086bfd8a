package ui

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// dashboard is 首页: today's numbers, channel lights, recent batches.
func (s *Server) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	p := c.Get(principalKey).(*app.Principal)
	now := time.Now().In(s.opts.Location)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.opts.Location)
	hourly, err := s.opts.Batches.CountMessagesByHour(ctx, p, midnight)
	if err != nil {
		return err
	}
	counts := map[app.Status]int{}
	chart := hourChart{Hours: make([]string, 0, 24)}
	for h := 0; h <= now.Hour() && h < len(hourly); h++ {
		hs := todayStats(hourly[h])
		chart.Hours = append(chart.Hours, fmt.Sprintf("%02d时", h))
		chart.Delivered, chart.Failed, chart.Pending = append(chart.Delivered, hs.Delivered), append(chart.Failed, hs.Failed), append(chart.Pending, hs.Pending)
		for status, n := range hourly[h] {
			counts[status] += n
		}
	}
	st := todayStats(counts)
	batches, _, err := s.opts.Batches.FindBatches(ctx, p, app.BatchFilter{Limit: 5})
	if err != nil {
		return err
	}
	data := map[string]any{"Stats": st, "Batches": s.batchRows(batches), "RowsURL": "/records?limit=5", "Chart": chart}
	// 剩余条数 of the account the user's department draws on (or 不限额),
	// and this month's use, read afresh on every load.
	a, err := s.opts.Accounts.Account(ctx, p, p.DepartmentID)
	if err != nil {
		return err
	}
	data["Account"] = accountRow{Balance: a.Balance, Threshold: a.LowBalanceThreshold, MonthUsed: a.MonthUsed,
		Unmetered: a.Unmetered(), Low: a.Low()}
	if p.CanManageChannels() {
		data["Channels"], err = s.channelRows(c)
		if err != nil {
			return err
		}
	}
	return s.console.render(c, http.StatusOK, "dashboard.html", s.page(c, "首页", data))
}

// hourChart is today's messages hour by hour, for the dashboard's chart.
type hourChart struct {
	Hours                      []string
	Delivered, Failed, Pending []int
}

type stats struct {
	Total, Delivered, Failed, Pending int
	NotSent                           int // rejected by our checks (blacklist, ...) or cancelled
	Rate                              string
}

func todayStats(counts map[app.Status]int) stats {
	var st stats
	for status, n := range counts {
		st.Total += n
		switch {
		case status == app.StatusDelivered:
			st.Delivered += n
		case status == app.StatusRejected || status == app.StatusCancelled:
			st.NotSent += n // never sent: not counted against the success rate (R3.2)
		case status.Final():
			st.Failed += n
		default:
			st.Pending += n
		}
	}
	st.Rate = "-"
	if done := st.Delivered + st.Failed; done > 0 {
		st.Rate = fmt.Sprintf("%.1f%%", 100*float64(st.Delivered)/float64(done))
	}
	return st
}
