package app_test

import (
	"strings"
	"testing"
	"time"

	"smsgw/app"
)

func TestSendRequest_Validate(t *testing.T) {
	many := make([]string, app.MaxRecipients+1)
	for i := range many {
		many[i] = "13800138000"
	}
	tests := []struct {
		name  string
		req   app.SendRequest
		field string // "" when valid
	}{
		{"Valid", app.SendRequest{To: []string{"13800138000"}, Content: "【单位】好"}, ""},
		{"NoNumbers", app.SendRequest{Content: "【单位】好"}, "to"},
		{"TooManyNumbers", app.SendRequest{To: many, Content: "【单位】好"}, "to"},
		{"EmptyContent", app.SendRequest{To: []string{"13800138000"}, Content: "  "}, "content"},
		{"ContentTooLong", app.SendRequest{To: []string{"13800138000"}, Content: strings.Repeat("字", 501)}, "content"},
		{"ExtNotDigits", app.SendRequest{To: []string{"13800138000"}, Content: "x", Ext: "1a"}, "ext"},
		{"ExtTooLong", app.SendRequest{To: []string{"13800138000"}, Content: "x", Ext: "1234567"}, "ext"},
		{"ClientRefTooLong", app.SendRequest{To: []string{"13800138000"}, Content: "x", ClientRef: strings.Repeat("r", 65)}, "client_ref"},
		{"ScheduledIsFine", app.SendRequest{To: []string{"13800138000"}, Content: "x", SendAt: time.Now().Add(time.Hour)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			e, ok := err.(*app.Error)
			if !ok || e.Code != app.EINVALID || e.Details["field"] != tt.field {
				t.Fatalf("error %#v, want EINVALID on field %s", err, tt.field)
			}
		})
	}
}

func TestChannel_Validate(t *testing.T) {
	good := app.Channel{Name: "移动", Host: "127.0.0.1", Port: 2775, SystemID: "sys", Password: "pw",
		SourceAddr: "10690001", TPS: 100, Window: 16, Weight: 1, Carriers: []app.Carrier{app.CarrierMobile}}
	if err := good.Validate(); err != nil {
		t.Fatalf("good channel: %v", err)
	}
	tests := []struct {
		field string
		edit  func(*app.Channel)
	}{
		{"name", func(c *app.Channel) { c.Name = " " }},
		{"host", func(c *app.Channel) { c.Host = "" }},
		{"host", func(c *app.Channel) { c.Host = "bad host/x" }},
		{"port", func(c *app.Channel) { c.Port = 70000 }},
		{"system_id", func(c *app.Channel) { c.SystemID = "" }},
		{"password", func(c *app.Channel) { c.Password = "123456789" }},
		{"source_addr", func(c *app.Channel) { c.SourceAddr = "10690a" }},
		{"tps", func(c *app.Channel) { c.TPS = 0 }},
		{"window", func(c *app.Channel) { c.Window = 0 }},
		{"weight", func(c *app.Channel) { c.Weight = -1 }},
		{"carriers", func(c *app.Channel) { c.Carriers = []app.Carrier{"xx"} }},
	}
	for _, tt := range tests {
		c := good
		tt.edit(&c)
		e, ok := c.Validate().(*app.Error)
		if !ok || e.Details["field"] != tt.field {
			t.Errorf("want an error naming %s, got %v", tt.field, c.Validate())
		}
	}
	if !good.Serves(app.CarrierMobile) || good.Serves(app.CarrierUnicom) {
		t.Error("Serves ignores the carrier list")
	}
	if all := (app.Channel{}); !all.Serves(app.CarrierTelecom) {
		t.Error("a channel without carriers must serve every carrier")
	}
}
