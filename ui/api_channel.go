package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// channelBody is a channel as the API takes it; pointer fields tell a PATCH
// which fields to change.
type channelBody struct {
	Name              *string        `json:"name"`
	Host              *string        `json:"host"`
	Port              *int           `json:"port"`
	SystemID          *string        `json:"system_id"`
	Password          *string        `json:"password"`
	SourceAddr        *string        `json:"source_addr"`
	TPS               *int           `json:"tps"`
	Window            *int           `json:"window"`
	Weight            *int           `json:"weight"`
	Carriers          *[]app.Carrier `json:"carriers"`
	Standby           *bool          `json:"standby"`
	Enabled           *bool          `json:"enabled"`
	ResendUndelivered *bool          `json:"resend_undelivered"`
	SourceTON         *int           `json:"source_ton"`
	SourceNPI         *int           `json:"source_npi"`
	DestTON           *int           `json:"dest_ton"`
	DestNPI           *int           `json:"dest_npi"`
	OnCrash           *app.OnCrash   `json:"on_crash"`
}

func (b *channelBody) update() *app.ChannelUpdate {
	return &app.ChannelUpdate{Name: b.Name, Host: b.Host, Port: b.Port, SystemID: b.SystemID, Password: b.Password,
		SourceAddr: b.SourceAddr, TPS: b.TPS, Window: b.Window, Weight: b.Weight, Carriers: b.Carriers,
		Standby: b.Standby, Enabled: b.Enabled, ResendUndelivered: b.ResendUndelivered,
		SourceTON: b.SourceTON, SourceNPI: b.SourceNPI, DestTON: b.DestTON, DestNPI: b.DestNPI, OnCrash: b.OnCrash}
}

// channel is a channel as the API shows it: never its password.
type channel struct {
	ID                string           `json:"id"`
	Name              string           `json:"name"`
	Host              string           `json:"host"`
	Port              int              `json:"port"`
	SystemID          string           `json:"system_id"`
	SourceAddr        string           `json:"source_addr"`
	TPS               int              `json:"tps"`
	Window            int              `json:"window"`
	Weight            int              `json:"weight"`
	Carriers          []app.Carrier    `json:"carriers"`
	Standby           bool             `json:"standby"`
	Enabled           bool             `json:"enabled"`
	ResendUndelivered bool             `json:"resend_undelivered"`
	SourceTON         int              `json:"source_ton"`
	SourceNPI         int              `json:"source_npi"`
	DestTON           int              `json:"dest_ton"`
	DestNPI           int              `json:"dest_npi"`
	OnCrash           app.OnCrash      `json:"on_crash"`
	Held              int              `json:"held"` // held after a crash, waiting for an operator (on_crash hold)
	State             app.ChannelState `json:"state"`
	CreatedAt         string           `json:"created_at"`
	UpdatedAt         string           `json:"updated_at"`
}

func (s *Server) toChannel(c *app.Channel, states map[int64]app.ChannelState, held map[int64]int) channel {
	out := channel{ID: formatID(c.ID), Name: c.Name, Host: c.Host, Port: c.Port, SystemID: c.SystemID,
		SourceAddr: c.SourceAddr, TPS: c.TPS, Window: c.Window, Weight: c.Weight, Carriers: c.Carriers,
		Standby: c.Standby, Enabled: c.Enabled, ResendUndelivered: c.ResendUndelivered,
		SourceTON: c.SourceTON, SourceNPI: c.SourceNPI, DestTON: c.DestTON, DestNPI: c.DestNPI, OnCrash: c.OnCrash, Held: held[c.ID], State: states[c.ID],
		CreatedAt: s.formatTime(c.CreatedAt), UpdatedAt: s.formatTime(c.UpdatedAt)}
	if out.Carriers == nil {
		out.Carriers = []app.Carrier{}
	}
	if !c.Enabled {
		out.State.LastError = "已停用 (disabled)"
	}
	return out
}

func (s *Server) states() map[int64]app.ChannelState {
	return s.opts.Monitor.ChannelStates()
}

func (s *Server) listChannels(c echo.Context) error {
	if err := app.RequireChannelAdmin(principal(c)); err != nil {
		return err
	}
	list, err := s.opts.Channels.FindChannels(c.Request().Context())
	if err != nil {
		return err
	}
	states := s.states()
	held, err := s.opts.Channels.HeldCounts(c.Request().Context())
	if err != nil {
		return err
	}
	out := struct {
		Items      []channel `json:"items"`
		NextCursor string    `json:"next_cursor"`
	}{Items: make([]channel, len(list))}
	for i, ch := range list {
		out.Items[i] = s.toChannel(ch, states, held)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) getChannel(c echo.Context) error {
	ch, err := s.findChannel(c)
	if err != nil {
		return err
	}
	held, err := s.opts.Channels.HeldCounts(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toChannel(ch, s.states(), held))
}

// listHeld lists the ids of the messages held on a channel after a crash
// (at most 10000): each may or may not have reached the SMSC.
func (s *Server) listHeld(c echo.Context) error {
	ch, err := s.findChannel(c)
	if err != nil {
		return err
	}
	ids, err := s.opts.Channels.FindHeld(c.Request().Context(), ch.ID, 10000)
	if err != nil {
		return err
	}
	out := struct {
		Items []string `json:"items"`
	}{Items: make([]string, len(ids))}
	for i, id := range ids {
		out.Items[i] = formatID(id)
	}
	return c.JSON(http.StatusOK, out)
}

// decideHeld releases (sends again: a duplicate is possible) or fails the
// messages held on a channel: those named in {"ids": [...]}, or all.
func (s *Server) decideHeld(c echo.Context) error {
	ch, err := s.findChannel(c)
	if err != nil {
		return err
	}
	decision := c.Param("decision")
	if decision != "release" && decision != "fail" {
		return app.Errorf(app.ENOTFOUND, "未知操作：%s（应为 release 或 fail）", decision)
	}
	var body struct {
		IDs []string `json:"ids"`
	}
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
	}
	ids := make([]int64, 0, len(body.IDs))
	for _, v := range body.IDs {
		id, err := parseID(v)
		if err != nil {
			return app.FieldError("ids", "消息编号无效：%q", v)
		}
		ids = append(ids, id)
	}
	n, err := s.opts.Channels.DecideHeld(c.Request().Context(), ch.ID, decision == "release", ids)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{decision + "d": n})
}

// findChannel loads the channel named in the path, for an administrator.
func (s *Server) findChannel(c echo.Context) (*app.Channel, error) {
	if err := app.RequireChannelAdmin(principal(c)); err != nil {
		return nil, err
	}
	id, err := parseID(c.Param("id"))
	if err != nil {
		return nil, app.Errorf(app.ENOTFOUND, "通道不存在")
	}
	return s.opts.Channels.FindChannelByID(c.Request().Context(), id)
}

// createChannel adds a channel; the engine binds it within about a second.
// Defaults: window 64, weight 1, enabled, source TON/NPI 0/0, destination
// 0/1, on_crash resend.
func (s *Server) createChannel(c echo.Context) error {
	if err := app.RequireChannelAdmin(principal(c)); err != nil {
		return err
	}
	var body channelBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	ch := &app.Channel{Window: 64, Weight: 1, Enabled: true, DestNPI: app.DefaultDestNPI, OnCrash: app.OnCrashResend}
	body.update().Apply(ch)
	if err := s.opts.Channels.CreateChannel(c.Request().Context(), ch); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, s.toChannel(ch, s.states(), nil))
}

// updateChannel changes the fields given; the engine applies them within
// about a second, rebinding only when the connection settings changed.
func (s *Server) updateChannel(c echo.Context) error {
	ch, err := s.findChannel(c)
	if err != nil {
		return err
	}
	var body channelBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	ch.Password = "" // keep the stored one unless a new one is given
	body.update().Apply(ch)
	if err := s.opts.Channels.UpdateChannel(c.Request().Context(), ch); err != nil {
		return err
	}
	held, err := s.opts.Channels.HeldCounts(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toChannel(ch, s.states(), held))
}

func (s *Server) deleteChannel(c echo.Context) error {
	ch, err := s.findChannel(c)
	if err != nil {
		return err
	}
	if err := s.opts.Channels.DeleteChannel(c.Request().Context(), ch.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
