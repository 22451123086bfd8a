package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// batchRow is a batch as the records table shows it.
type batchRow struct {
	ID, Content, Created, SendAt, ResendOf           string
	Scheduled                                        bool // not yet due
	Total, Accepted, Rejected                        int
	Queued, Submitted, Delivered, Failed, Cancelled  int
	Blocked                                          int    // rejected at once (blacklist): never among Accepted
	Held                                             bool   // waiting for a reviewer
	Review, ReviewNote, ReviewReason                 string // its review, when it was held
	QueuedPct, SubmittedPct, DeliveredPct, FailedPct float64
	Done                                             bool
}

func (s *Server) batchRows(list []*app.BatchSummary) []batchRow {
	out := make([]batchRow, 0, len(list))
	for _, b := range list {
		r := batchRow{ID: formatID(b.ID), Content: b.Content, Created: s.consoleTime(b.CreatedAt), SendAt: s.consoleTime(b.SendAt),
			Total: b.Total, Accepted: b.Accepted, Rejected: len(b.Rejected)}
		if b.ResendOf != 0 {
			r.ResendOf = formatID(b.ResendOf)
		}
		for status, n := range b.Counts {
			switch {
			case status == app.StatusDelivered:
				r.Delivered += n
			case status == app.StatusCancelled:
				r.Cancelled += n
			case status == app.StatusRejected:
				r.Blocked += n
			case status.Final():
				r.Failed += n
			case status == app.StatusSubmitted || status == app.StatusSubmitting:
				r.Submitted += n
			default:
				r.Queued += n
			}
		}
		if b.Accepted > 0 {
			whole := float64(b.Accepted)
			r.QueuedPct, r.SubmittedPct = 100*float64(r.Queued)/whole, 100*float64(r.Submitted)/whole
			r.DeliveredPct, r.FailedPct = 100*float64(r.Delivered)/whole, 100*float64(r.Failed)/whole
		}
		r.Done = b.Done()-r.Blocked == b.Accepted
		r.Held, r.Review, r.ReviewNote, r.ReviewReason = b.Review == app.ReviewPending, string(b.Review), b.ReviewNote, b.ReviewReason
		r.Scheduled = b.SendAt.After(time.Now()) && r.Queued > 0
		out = append(out, r)
	}
	return out
}

func (s *Server) consoleTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(s.opts.Location).Format("2006-01-02 15:04:05")
}

// visibleUserID resolves the operator filter among the users the caller
// may see: itself, and for administrators and auditors the users of their
// scope. A name outside it, or no one's, filters to nothing and says no
// more, so the filter does not tell which usernames exist.
func (s *Server) visibleUserID(c echo.Context, p *app.Principal, name string) (int64, error) {
	const nobody = -1 // no batch has it
	if u := c.Get(userKey).(*app.User); u.Username == name {
		return u.ID, nil
	}
	if !p.CanManageOrg() && p.Role != app.RoleAuditor {
		return nobody, nil
	}
	users, err := s.opts.Users.FindUsers(c.Request().Context(), p)
	if err != nil {
		return 0, err
	}
	for _, u := range users {
		if u.Username == name {
			return u.ID, nil
		}
	}
	return nobody, nil
}

// records is 发送记录: batches with live progress; htmx refreshes the rows.
func (s *Server) records(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	f := app.BatchFilter{Content: strings.TrimSpace(c.QueryParam("content")), To: strings.TrimSpace(c.QueryParam("to")),
		Cursor: c.QueryParam("cursor"), Limit: 20}
	if c.QueryParam("mine") != "" {
		f.UserID = c.Get(userKey).(*app.User).ID
	}
	if name := strings.TrimSpace(c.QueryParam("operator")); name != "" {
		id, err := s.visibleUserID(c, p, name)
		if err != nil {
			return err
		}
		f.UserID = id // the scope still limits what is shown
	}
	if n, err := strconv.Atoi(c.QueryParam("limit")); err == nil && n > 0 && n <= 100 {
		f.Limit = n
	}
	var err error
	if f.Since, err = s.consoleDate(c.QueryParam("since"), 0); err != nil {
		return s.recordsPage(c, nil, "", f, "开始日期格式应为 2006-01-02")
	}
	if f.Until, err = s.consoleDate(c.QueryParam("until"), 24*time.Hour); err != nil {
		return s.recordsPage(c, nil, "", f, "结束日期格式应为 2006-01-02")
	}
	list, next, err := s.findBatchesWith(c, p, f, c.QueryParam("status"))
	if app.ErrorCode(err) == app.EINVALID {
		return s.recordsPage(c, nil, "", f, app.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	return s.recordsPage(c, s.batchRows(list), next, f, "")
}

// findBatchesWith lists batches, keeping only those with messages in the
// status group asked (failed, delivered, pending) when one is. It looks at
// up to 500 batches for one page: a status is counted per batch, through the
// batch index, not searched in the whole message table.
func (s *Server) findBatchesWith(c echo.Context, p *app.Principal, f app.BatchFilter, group string) ([]*app.BatchSummary, string, error) {
	ctx := c.Request().Context()
	if group == "held" { // 待审核: a column of the batch, filtered in the query
		f.Review = app.ReviewPending
		return s.opts.Batches.FindBatches(ctx, p, f)
	}
	if group == "" {
		return s.opts.Batches.FindBatches(ctx, p, f)
	}
	want, page := f.Limit, f
	page.Limit = 100
	var out []*app.BatchSummary
	for looked := 0; looked < 500; {
		list, next, err := s.opts.Batches.FindBatches(ctx, p, page)
		if err != nil {
			return nil, "", err
		}
		looked += len(list)
		for _, b := range list {
			if inGroup(b.Counts, group) {
				out = append(out, b)
				if len(out) == want {
					return out, formatID(b.ID), nil
				}
			}
		}
		if next == "" {
			return out, "", nil
		}
		page.Cursor = next
	}
	return out, page.Cursor, nil
}

func inGroup(counts map[app.Status]int, group string) bool {
	for st, n := range counts {
		if n == 0 {
			continue
		}
		switch {
		case group == "delivered" && st == app.StatusDelivered,
			group == "failed" && failed(st),
			group == "pending" && !st.Final():
			return true
		}
	}
	return false
}

func (s *Server) recordsPage(c echo.Context, rows []batchRow, next string, f app.BatchFilter, msg string) error {
	data := s.page(c, "发送记录", map[string]any{"Batches": rows, "Next": next, "Error": msg,
		"Content": f.Content, "To": f.To, "Mine": c.QueryParam("mine") != "", "Status": c.QueryParam("status"), "Operator": c.QueryParam("operator"), "Since": c.QueryParam("since"), "Until": c.QueryParam("until"),
		"RowsURL": "/records?" + c.Request().URL.RawQuery})
	return s.console.render(c, http.StatusOK, "records.html", data)
}

// consoleDate reads a yyyy-mm-dd date in the console's zone, plus add.
func (s *Server) consoleDate(v string, add time.Duration) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, s.opts.Location)
	return t.Add(add), err
}
