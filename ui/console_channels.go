package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

var carrierChoices = []struct {
	Value app.Carrier
	Label string
}{{app.CarrierMobile, "中国移动"}, {app.CarrierUnicom, "中国联通"}, {app.CarrierTelecom, "中国电信"}, {app.CarrierBroadnet, "中国广电"}}

// channelRow is a channel with its live state, for the lights and the
// channel page.
type channelRow struct {
	ID, Name, Addr, Light, State, LastError string
	TPS, InFlight, Queued                   int
	Held                                    int // held after a crash, waiting for an operator
	Rate                                    int // the rate learned from the SMSC's throttling, when below TPS
	Enabled                                 bool
}

func (s *Server) channelRows(c echo.Context) ([]channelRow, error) {
	list, err := s.opts.Channels.FindChannels(c.Request().Context())
	if err != nil {
		return nil, err
	}
	states := s.states()
	held, err := s.opts.Channels.HeldCounts(c.Request().Context())
	if err != nil {
		return nil, err
	}
	out := make([]channelRow, 0, len(list))
	for _, ch := range list {
		st := states[ch.ID]
		r := channelRow{ID: formatID(ch.ID), Name: ch.Name, Addr: ch.Addr(), TPS: ch.TPS, Enabled: ch.Enabled,
			InFlight: st.InFlight, Queued: st.Queued, LastError: st.LastError, Held: held[ch.ID]}
		if st.RateLimit > 0 && int(st.RateLimit) < ch.TPS {
			r.Rate = int(st.RateLimit)
		}
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

func (s *Server) channelAdmin(c echo.Context) bool {
	return c.Get(principalKey).(*app.Principal).CanManageChannels()
}

// channelForm shows the form for a new channel (no id) or an existing one.
func (s *Server) channelForm(c echo.Context) error {
	if !s.channelAdmin(c) {
		return s.forbidden(c)
	}
	ch := &app.Channel{Port: 2775, TPS: 100, Window: 16, Weight: 1, Enabled: true, DestNPI: app.DefaultDestNPI, OnCrash: app.OnCrashResend}
	if id := c.Param("id"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return app.Errorf(app.ENOTFOUND, "通道不存在")
		}
		if ch, err = s.opts.Channels.FindChannelByID(c.Request().Context(), n); err != nil {
			return err
		}
	}
	return s.renderChannelForm(c, http.StatusOK, ch, "", "")
}

func (s *Server) renderChannelForm(c echo.Context, status int, ch *app.Channel, field, msg string) error {
	title := "新增通道"
	if ch.ID != 0 {
		title = "编辑通道"
	}
	has := map[app.Carrier]bool{}
	for _, k := range ch.Carriers {
		has[k] = true
	}
	return s.console.render(c, status, "channel_form.html", s.page(c, title, map[string]any{"Ch": ch, "Field": field,
		"Error": msg, "Carriers": carrierChoices, "Has": has}))
}

// saveChannel creates or updates a channel from the form. An empty password
// keeps the stored one.
func (s *Server) saveChannel(c echo.Context) error {
	if ok, err := s.formAllowed(c, s.channelAdmin(c)); !ok {
		return err
	}
	ctx := c.Request().Context()
	ch := &app.Channel{}
	if id := c.Param("id"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return app.Errorf(app.ENOTFOUND, "通道不存在")
		}
		ch.ID = n
	}
	num := func(name string) int { n, _ := strconv.Atoi(strings.TrimSpace(c.FormValue(name))); return n }
	// A blank TON/NPI takes its default; one that is not a number becomes
	// -1, so Validate names the field rather than 0 being sent silently.
	code := func(name string, def int) int {
		v := strings.TrimSpace(c.FormValue(name))
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return -1
		}
		return n
	}
	ch.Name, ch.Host, ch.SystemID = strings.TrimSpace(c.FormValue("name")), strings.TrimSpace(c.FormValue("host")), strings.TrimSpace(c.FormValue("system_id"))
	ch.Password, ch.SourceAddr = c.FormValue("password"), strings.TrimSpace(c.FormValue("source_addr"))
	ch.Port, ch.TPS, ch.Window, ch.Weight = num("port"), num("tps"), num("window"), num("weight")
	ch.SourceTON, ch.SourceNPI, ch.DestTON, ch.DestNPI = code("source_ton", 0), code("source_npi", 0), code("dest_ton", 0),
		code("dest_npi", app.DefaultDestNPI)
	ch.OnCrash = app.OnCrash(c.FormValue("on_crash"))
	ch.Standby, ch.Enabled, ch.ResendUndelivered = c.FormValue("standby") != "", c.FormValue("enabled") != "", c.FormValue("resend_undelivered") != ""
	for _, k := range c.Request().Form["carriers"] {
		ch.Carriers = append(ch.Carriers, app.Carrier(k))
	}
	var err error
	action := "channel.create"
	if ch.ID == 0 {
		err = s.opts.Channels.CreateChannel(ctx, ch)
	} else {
		action = "channel.update"
		err = s.opts.Channels.UpdateChannel(ctx, ch)
	}
	s.auditConsole(c, c.Get(userKey).(*app.User), action, "channel:"+formatID(ch.ID), err)
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		field, _ := errorField(err)
		ch.Password = ""
		return s.renderChannelForm(c, http.StatusBadRequest, ch, field, app.ErrorMessage(err))
	}
	return c.Redirect(http.StatusSeeOther, "/channels")
}

// channelAction enables, disables or removes a channel.
func (s *Server) channelAction(c echo.Context) error {
	if ok, err := s.formAllowed(c, s.channelAdmin(c)); !ok {
		return err
	}
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "通道不存在")
	}
	action := c.Param("action")
	switch action {
	case "enable", "disable":
		var ch *app.Channel
		if ch, err = s.opts.Channels.FindChannelByID(ctx, id); err == nil {
			ch.Enabled, ch.Password = action == "enable", ""
			err = s.opts.Channels.UpdateChannel(ctx, ch)
		}
	case "remove":
		err = s.opts.Channels.DeleteChannel(ctx, id)
	case "release-held", "fail-held":
		_, err = s.opts.Channels.DecideHeld(ctx, id, action == "release-held", nil)
	default:
		return echo.NewHTTPError(http.StatusNotFound)
	}
	s.auditConsole(c, c.Get(userKey).(*app.User), "channel."+action, "channel:"+formatID(id), err)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/channels")
}
