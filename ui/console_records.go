package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// menuItem is one entry of the console's side menu.
type menuItem struct {
	ID, Path, Label string
	On              bool
}

// menu lists the pages a role may use; pages it may not use are absent, and
// their addresses answer 403.
func menu(p *app.Principal, current string) []menuItem {
	items := []menuItem{{ID: "home", Path: "/", Label: "首页"}}
	if mayConsoleSend(p) {
		items = append(items, menuItem{ID: "send", Path: "/send", Label: "发送短信"})
	}
	items = append(items, menuItem{ID: "records", Path: "/records", Label: "发送记录"},
		menuItem{ID: "replies", Path: "/replies", Label: "上行回复"},
		menuItem{ID: "templates", Path: "/templates", Label: "模板与签名"})
	if mayKeepBlacklist(p) {
		items = append(items, menuItem{ID: "blacklist", Path: "/blacklist", Label: "黑名单"})
	}
	if p.CanManageChannels() {
		items = append(items, menuItem{ID: "channels", Path: "/channels", Label: "通道管理"},
			menuItem{ID: "words", Path: "/words", Label: "敏感词"})
	}
	if p.CanManageOrg() {
		items = append(items, menuItem{ID: "org", Path: "/org", Label: "组织与用户"},
			menuItem{ID: "apps", Path: "/apps", Label: "应用接入"})
	}
	if p.Role != app.RoleOperator {
		items = append(items, menuItem{ID: "audit", Path: "/audit", Label: "审计日志"})
	}
	items = append(items, menuItem{ID: "settings", Path: "/settings", Label: "个人设置"})
	for i := range items {
		items[i].On = items[i].Path == current || current != "/" && items[i].Path != "/" && strings.HasPrefix(current, items[i].Path)
	}
	return items
}

func mayConsoleSend(p *app.Principal) bool { return p.Role != app.RoleAuditor }

// page is the data every console page gets: the shell's and the page's own.
func (s *Server) page(c echo.Context, title string, data map[string]any) map[string]any {
	u := c.Get(userKey).(*app.User)
	p := c.Get(principalKey).(*app.Principal)
	sess := s.console.session(c)
	lang, _ := sess.Values["lang"].(string)
	if data == nil {
		data = map[string]any{}
	}
	data["Title"], data["User"], data["Role"], data["CSRF"] = title, u, roleLabel(u.Role), sess.Values["csrf"]
	data["Lang"], data["Path"], data["Menu"] = lang, c.Request().URL.Path, menu(p, c.Request().URL.Path)
	return data
}

// formAllowed admits a console form: the role may use it (else the answer
// is the 403 page) and it carries the session's CSRF token. When it reports
// false, the caller returns the error it gives.
func (s *Server) formAllowed(c echo.Context, allowed bool) (bool, error) {
	if !allowed {
		return false, s.forbidden(c)
	}
	if err := checkCSRF(c, s.console.session(c)); err != nil {
		return false, err
	}
	return true, nil
}

// systemFault reports whether a form's error is the platform's (shown as
// the error page) rather than the user's to correct on the form.
func systemFault(err error) bool {
	code := app.ErrorCode(err)
	return code == app.EINTERNAL || code == app.EUNAVAILABLE
}

// forbidden is the page for a menu entry the role does not have.
func (s *Server) forbidden(c echo.Context) error {
	return s.console.render(c, http.StatusForbidden, "forbidden.html", s.page(c, "没有权限", nil))
}

// setLang switches the console between Chinese and English.
func (s *Server) setLang(c echo.Context) error {
	sess := s.console.session(c)
	if err := checkCSRF(c, sess); err != nil {
		return err
	}
	lang, _ := sess.Values["lang"].(string)
	switch want := c.FormValue("lang"); {
	case want == "en" || want == "" && lang != "en": // no choice given: the top bar's toggle
		sess.Values["lang"] = "en"
	default:
		delete(sess.Values, "lang")
	}
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	back := c.FormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/"
	}
	return c.Redirect(http.StatusSeeOther, back)
}

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

// records is 发送记录: batches with live progress; htmx refreshes the rows.
func (s *Server) records(c echo.Context) error {
	ctx := c.Request().Context()
	p := c.Get(principalKey).(*app.Principal)
	f := app.BatchFilter{Content: strings.TrimSpace(c.QueryParam("content")), To: strings.TrimSpace(c.QueryParam("to")),
		Cursor: c.QueryParam("cursor"), Limit: 20}
	if c.QueryParam("mine") != "" {
		f.UserID = c.Get(userKey).(*app.User).ID
	}
	if name := strings.TrimSpace(c.QueryParam("operator")); name != "" {
		u, err := s.opts.Users.FindUserByUsername(ctx, name)
		if err != nil {
			return s.recordsPage(c, nil, "", f, "没有用户名为 "+name+" 的操作员")
		}
		f.UserID = u.ID // the scope still limits what is shown
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

// batch is one batch's page: its progress and its messages.
func (s *Server) batch(c echo.Context) error {
	ctx := c.Request().Context()
	p := c.Get(principalKey).(*app.Principal)
	id, err := batchParam(c)
	if err != nil {
		return err
	}
	b, err := s.opts.Batches.FindBatchByID(ctx, p, id)
	if err != nil {
		return err
	}
	msgs, next, err := s.opts.Messages.FindMessages(ctx, p, app.MessageFilter{BatchID: id, Cursor: c.QueryParam("cursor"), Limit: 200})
	if err != nil {
		return err
	}
	type msgRow struct{ ID, To, Status, StatusText, Error, Done string }
	rows := make([]msgRow, 0, len(msgs))
	for _, m := range msgs {
		rows = append(rows, msgRow{ID: formatID(m.ID), To: m.To, Status: string(m.Status), StatusText: statusLabel(m.Status),
			Error: m.ErrorCode, Done: s.consoleTime(m.DoneAt)})
	}
	data := s.page(c, "发送记录", map[string]any{"Batch": s.batchRows([]*app.BatchSummary{b})[0], "Rejected": b.Rejected,
		"Messages": rows, "Next": next, "Sent": c.QueryParam("sent") != "", "CanReview": p.CanReview()})
	return s.console.render(c, http.StatusOK, "batch.html", data)
}

// statusLabel is a status in the console's words.
func statusLabel(st app.Status) string {
	switch st {
	case app.StatusAccepted:
		return "已受理"
	case app.StatusQueued:
		return "排队中"
	case app.StatusSubmitting, app.StatusSubmitted:
		return "已提交"
	case app.StatusDelivered:
		return "已送达"
	case app.StatusUndelivered:
		return "未送达"
	case app.StatusExpired:
		return "已过期"
	case app.StatusFailed:
		return "发送失败"
	case app.StatusRejected:
		return "已拒绝"
	case app.StatusCancelled:
		return "已取消"
	}
	return string(st)
}

// channelRow is a channel with its live state, for the lights and the
// channel page.
type channelRow struct {
	ID, Name, Addr, Light, State, LastError string
	TPS, InFlight, Queued                   int
	Enabled                                 bool
}

func (s *Server) channelRows(c echo.Context) ([]channelRow, error) {
	list, err := s.opts.Channels.FindChannels(c.Request().Context())
	if err != nil {
		return nil, err
	}
	states := s.states()
	out := make([]channelRow, 0, len(list))
	for _, ch := range list {
		st := states[ch.ID]
		r := channelRow{ID: formatID(ch.ID), Name: ch.Name, Addr: ch.Addr(), TPS: ch.TPS, Enabled: ch.Enabled,
			InFlight: st.InFlight, Queued: st.Queued, LastError: st.LastError}
		switch {
		case !ch.Enabled:
			r.Light, r.State = "", "已停用"
		case st.Bound && st.Paused:
			r.Light, r.State = "warn", "暂停（错误率高）"
		case st.Bound:
			r.Light, r.State = "ok", "正常"
		default:
			r.Light, r.State = "bad", "未连接"
		}
		out = append(out, r)
	}
	return out, nil
}

// channelsPage is 通道管理, for system administrators.
func (s *Server) channelsPage(c echo.Context) error {
	if !c.Get(principalKey).(*app.Principal).CanManageChannels() {
		return s.forbidden(c)
	}
	rows, err := s.channelRows(c)
	if err != nil {
		return err
	}
	return s.console.render(c, http.StatusOK, "channels.html", s.page(c, "通道管理", map[string]any{"Channels": rows}))
}

// repliesPage is 上行回复: replies, newest first, each linked to the batch
// of the message it answers.
func (s *Server) repliesPage(c echo.Context) error {
	ctx := c.Request().Context()
	p := c.Get(principalKey).(*app.Principal)
	list, next, err := s.opts.Replies.FindReplies(ctx, p, app.ReplyFilter{Newest: true, Cursor: c.QueryParam("cursor"), Limit: 50})
	if err != nil {
		return err
	}
	type replyRow struct{ ID, From, To, Content, At, MessageID, BatchID string }
	rows := make([]replyRow, 0, len(list))
	for _, r := range list {
		row := replyRow{ID: formatID(r.ID), From: r.From, To: r.To, Content: r.Content, At: s.consoleTime(r.ReceivedAt)}
		if r.MessageID != 0 {
			row.MessageID = formatID(r.MessageID)
			if m, err := s.opts.Messages.FindMessageByID(ctx, p, r.MessageID); err == nil {
				row.BatchID = formatID(m.BatchID)
			}
		}
		rows = append(rows, row)
	}
	return s.console.render(c, http.StatusOK, "replies.html", s.page(c, "上行回复", map[string]any{"Replies": rows, "Next": next}))
}

// auditPage is 审计日志: who did what, newest first, for the roles that may
// read it (FindAudit decides), with a CSV or XLSX export of the same filter.
func (s *Server) auditPage(c echo.Context) error {
	p := c.Get(principalKey).(*app.Principal)
	if p.Role == app.RoleOperator {
		return s.forbidden(c)
	}
	f := app.AuditFilter{Action: strings.TrimSpace(c.QueryParam("action")), Cursor: c.QueryParam("cursor"), Limit: 50}
	var err error
	msg := ""
	if f.Since, err = s.consoleDate(c.QueryParam("since"), 0); err != nil {
		msg = "开始日期格式应为 2006-01-02"
	} else if f.Until, err = s.consoleDate(c.QueryParam("until"), 24*time.Hour); err != nil {
		msg = "结束日期格式应为 2006-01-02"
	}
	var list []*app.AuditEntry
	next := ""
	if msg == "" {
		if list, next, err = s.opts.Audit.FindAudit(c.Request().Context(), p, f); err != nil {
			return err
		}
	}
	type row struct{ ID, At, Actor, Action, Target, Summary, Result, IP string }
	rows := make([]row, 0, len(list))
	for _, e := range list {
		rows = append(rows, row{formatID(e.ID), s.consoleTime(e.At), e.Actor, e.Action, e.Target, e.Summary, e.Result, e.IP})
	}
	export := url.Values{"action": {f.Action}}
	if !f.Since.IsZero() {
		export.Set("since", f.Since.Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		export.Set("until", f.Until.Format(time.RFC3339))
	}
	return s.console.render(c, http.StatusOK, "audit.html", s.page(c, "审计日志", map[string]any{"Entries": rows, "Next": next,
		"Error": msg, "Action": f.Action, "Since": c.QueryParam("since"), "Until": c.QueryParam("until"), "Export": export.Encode()}))
}

// messagePage is one message's detail: its way from accepted to final.
func (s *Server) messagePage(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "短信不存在")
	}
	m, err := s.opts.Messages.FindMessageByID(c.Request().Context(), c.Get(principalKey).(*app.Principal), id)
	if err != nil {
		return err
	}
	return s.console.render(c, http.StatusOK, "message.html", s.page(c, "短信详情", map[string]any{"M": m,
		"Status": statusLabel(m.Status), "Created": s.consoleTime(m.CreatedAt), "Submitted": s.consoleTime(m.SubmittedAt),
		"Done": s.consoleTime(m.DoneAt), "BatchID": formatID(m.BatchID), "Channel": formatID(m.ChannelID)}))
}

// settingsPage is 个人设置: the account, the password, the language.
func (s *Server) settingsPage(c echo.Context) error {
	return s.console.render(c, http.StatusOK, "settings.html", s.page(c, "个人设置", nil))
}
