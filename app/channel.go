package app

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"
)

// Channel is one SMPP connection to a carrier's SMSC. Channels are rows in the
// database; the sending engine follows changes to them without a restart.
type Channel struct {
	ID         int64
	Name       string
	Host       string
	Port       int
	SystemID   string
	Password   string // plain text in memory; stored encrypted, never returned by the API
	SourceAddr string // the fixed sender number (码号); extension codes are appended
	TPS        int    // submit_sm per second the carrier allows
	Window     int    // SMPP requests in flight at once
	Weight     int    // share of traffic relative to other channels
	Carriers   []Carrier
	Standby    bool // takes traffic only when the primaries cannot
	Enabled    bool
	// ResendUndelivered resends a message whose receipt says undelivered
	// once more through another channel (失败补发): one charge, one final status.
	ResendUndelivered bool
	// SourceTON, SourceNPI, DestTON and DestNPI are the type of number and
	// numbering plan of the submit_sm addresses (SMPP 3.4 5.2.5, 5.2.6);
	// new channels get 0/0 and 0/1 (DefaultDestNPI), the values once fixed.
	SourceTON int
	SourceNPI int
	DestTON   int
	DestNPI   int
	// OnCrash is what a restart does with a message possibly submitted
	// through this channel when the process died ("" means OnCrashResend).
	OnCrash   OnCrash
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks a channel record and names the field at fault.
func (c *Channel) Validate() error {
	if strings.TrimSpace(c.Name) == "" {
		return FieldError("name", "通道名称不能为空")
	} else if c.Host == "" || strings.ContainsAny(c.Host, " /:") && net.ParseIP(c.Host) == nil {
		return FieldError("host", "主机地址无效：%q", c.Host)
	} else if c.Port < 1 || c.Port > 65535 {
		return FieldError("port", "端口应在1到65535之间")
	} else if c.SystemID == "" || len(c.SystemID) > 15 {
		return FieldError("system_id", "system_id 不能为空且最长15个字符")
	} else if len(c.Password) > 8 {
		return FieldError("password", "SMPP 密码最长8个字符")
	} else if c.SourceAddr == "" || len(c.SourceAddr)+MaxExt > 20 || strings.Trim(c.SourceAddr, "0123456789") != "" {
		return FieldError("source_addr", "发送号码只能是数字，最长%d位（留出%d位扩展码）", 20-MaxExt, MaxExt)
	} else if c.TPS < 1 || c.TPS > 100000 {
		return FieldError("tps", "TPS 应在1到100000之间")
	} else if c.Window < 1 || c.Window > 1024 {
		return FieldError("window", "窗口应在1到1024之间")
	} else if c.Weight < 0 || c.Weight > 1000 {
		return FieldError("weight", "权重应在0到1000之间")
	} else if c.SourceTON < 0 || c.SourceTON > MaxTON {
		return FieldError("source_ton", "源地址 TON 应在0到%d之间", MaxTON)
	} else if c.SourceNPI < 0 || c.SourceNPI > MaxNPI {
		return FieldError("source_npi", "源地址 NPI 应在0到%d之间", MaxNPI)
	} else if c.DestTON < 0 || c.DestTON > MaxTON {
		return FieldError("dest_ton", "目标地址 TON 应在0到%d之间", MaxTON)
	} else if c.DestNPI < 0 || c.DestNPI > MaxNPI {
		return FieldError("dest_npi", "目标地址 NPI 应在0到%d之间", MaxNPI)
	} else if c.OnCrash != "" && c.OnCrash != OnCrashResend && c.OnCrash != OnCrashHold {
		return FieldError("on_crash", "崩溃后处理方式应为 resend（重发）或 hold（暂扣）")
	}
	for _, k := range c.Carriers {
		if !k.Valid() {
			return FieldError("carriers", "未知运营商：%q", k)
		}
	}
	return nil
}

// SMPP 3.4 address fields: TON 0..6 (unknown .. abbreviated), NPI 0..18
// (unknown .. internet); DefaultDestNPI (ISDN/E.164) is what a new channel
// sends to.
const (
	MaxTON         = 6
	MaxNPI         = 18
	DefaultDestNPI = 1
)

// OnCrash says what happens, after a crash, to a message that was handed to
// a channel's SMPP session with no outcome recorded: the SMSC may or may not
// have it.
type OnCrash string

// The choices of OnCrash.
const (
	// OnCrashResend queues it again: at least once (a duplicate possible).
	OnCrashResend OnCrash = "resend"
	// OnCrashHold holds it (status held) until an operator releases it
	// (sent again) or fails it: at most once.
	OnCrashHold OnCrash = "hold"
)

// Serves reports whether the channel carries numbers of carrier k. A channel
// with no carriers listed serves every carrier.
func (c *Channel) Serves(k Carrier) bool {
	if len(c.Carriers) == 0 {
		return true
	}
	for _, v := range c.Carriers {
		if v == k {
			return true
		}
	}
	return false
}

// Addr is the SMSC's host:port.
func (c *Channel) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// ChannelState is a channel's live state as the sending engine sees it.
type ChannelState struct {
	Bound         bool    `json:"bound"`
	Paused        bool    `json:"paused"` // circuit breaker open or probing
	InFlight      int     `json:"in_flight"`
	Queued        int     `json:"queued"` // handed to this channel, not yet sent
	SentPerS      float64 `json:"sent_per_s"`
	RateLimit     float64 `json:"rate_limit"` // the rate learned from the SMSC's throttling, at most the TPS
	Submitted     int64   `json:"submitted"`
	Errors        int64   `json:"errors"`
	Throttled     int64   `json:"throttled"`
	UnknownResent int64   `json:"unknown_resent"` // sent again after an unknown outcome: possible duplicates
	LastError     string  `json:"last_error"`
}

// ChannelService stores channel records.
type ChannelService interface {
	// FindChannels returns every channel, passwords decrypted.
	FindChannels(ctx context.Context) ([]*Channel, error)
	// CreateChannel validates and stores c, setting its ID. Errors: EINVALID.
	CreateChannel(ctx context.Context, c *Channel) error
	// UpdateChannel replaces channel c.ID's record with c; an empty password
	// keeps the stored one. Errors: EINVALID, ENOTFOUND.
	UpdateChannel(ctx context.Context, c *Channel) error
	// FindChannelByID returns one channel. Errors: ENOTFOUND.
	FindChannelByID(ctx context.Context, id int64) (*Channel, error)
	// HeldCounts returns, by channel ID, how many messages are held
	// (StatusHeld) after a crash.
	HeldCounts(ctx context.Context) (map[int64]int, error)
	// FindHeld lists the ids of up to limit messages held on channel id.
	FindHeld(ctx context.Context, id int64, limit int) ([]int64, error)
	// DecideHeld releases (send again) or fails the messages held on
	// channel id (all of them when ids is empty); it returns how many.
	DecideHeld(ctx context.Context, id int64, release bool, ids []int64) (int, error)
	// DeleteChannel removes a channel; the engine stops it and sends its
	// unfinished messages through the others. Errors: ENOTFOUND.
	DeleteChannel(ctx context.Context, id int64) error
}

// ChannelUpdate changes some fields of a channel; nil fields stay.
type ChannelUpdate struct {
	Name              *string
	Host              *string
	Port              *int
	SystemID          *string
	Password          *string
	SourceAddr        *string
	TPS               *int
	Window            *int
	Weight            *int
	Carriers          *[]Carrier
	Standby           *bool
	Enabled           *bool
	ResendUndelivered *bool
	SourceTON         *int
	SourceNPI         *int
	DestTON           *int
	DestNPI           *int
	OnCrash           *OnCrash
}

// Apply copies the set fields onto c.
func (u *ChannelUpdate) Apply(c *Channel) {
	set(&c.Name, u.Name)
	set(&c.Host, u.Host)
	set(&c.Port, u.Port)
	set(&c.SystemID, u.SystemID)
	set(&c.Password, u.Password)
	set(&c.SourceAddr, u.SourceAddr)
	set(&c.TPS, u.TPS)
	set(&c.Window, u.Window)
	set(&c.Weight, u.Weight)
	set(&c.Carriers, u.Carriers)
	set(&c.Standby, u.Standby)
	set(&c.Enabled, u.Enabled)
	set(&c.ResendUndelivered, u.ResendUndelivered)
	set(&c.SourceTON, u.SourceTON)
	set(&c.SourceNPI, u.SourceNPI)
	set(&c.DestTON, u.DestTON)
	set(&c.DestNPI, u.DestNPI)
	set(&c.OnCrash, u.OnCrash)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// ChannelMonitor reports the live state of channels, by channel ID.
type ChannelMonitor interface {
	ChannelStates() map[int64]ChannelState
}
