package app_test

import (
	"testing"

	"smsgw/app"
)

func TestErrorMeaning(t *testing.T) {
	for code, want := range map[string]string{
		app.SMPPCode(0x58): "超过流量限制（ESME_RTHROTTLED）",
		"SMPP_0x0400":      "短信中心错误（command_status 0x0400）",
		"UNDELIV:000":      "无法送达",
		"UNDELIV:013":      "无法送达（运营商错误码 013）",
		"EXPIRED:":         "超过有效期未送达",
		app.ENORECEIPT:     "已提交，但在等待期内未收到状态报告",
		"WHATEVER":         "",
		"FOO:1":            "",
	} {
		if got := app.ErrorMeaning(code); got != want {
			t.Errorf("ErrorMeaning(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestStatsRatesCountFinalMessagesOnly(t *testing.T) {
	c := app.StatsCounts{Sent: 10, Delivered: 6, Failed: 2, Pending: 2}
	if c.SuccessRate() != 0.75 || c.FailureRate() != 0.25 {
		t.Fatalf("rates %v %v", c.SuccessRate(), c.FailureRate())
	}
	if (app.StatsCounts{Sent: 3, Pending: 3}).SuccessRate() != 0 {
		t.Fatal("a rate with nothing final is 0")
	}
	if app.StatusSubmitted.StatsClass() != app.StatsPending || app.StatusDelivered.StatsClass() != "delivered" {
		t.Fatal("stats class")
	}
}
