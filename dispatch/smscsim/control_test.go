package smscsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/linxGnu/gosmpp/pdu"
)

func TestControl(t *testing.T) {
	for _, tc := range []struct {
		name, method, url string
		status            int
		body              string // a substring of the response body
	}{
		{"MOWithoutParametersIsBad", "POST", "/mo?from=1&to=2", 400, `"error"`},
		{"MOWithoutReceiverConflicts", "POST", "/mo?from=13800138000&to=10690001&text=TD", 409, `"error"`},
		{"MOWithLongAddressIsBad", "POST", "/mo?from=1234567890123456789012&to=1&text=x", 400, `"error"`},
		{"MOMustBePosted", "GET", "/mo?from=1&to=2&text=x", 405, ""},
		{"StatsHaveSnakeCaseKeys", "GET", "/stats", 200, `"receipts_pending":0`},
		{"ConfigSetsGivenKnobs", "POST", "/config?undelivered=0.1&throttle=0&error=0&tps=500&receipt_delay_ms=20", 200,
			`{"undelivered":0.1,"throttle":0,"error":0,"tps":500,"receipt_delay_ms":20,"receipt_before_resp":false,"drop_receipts":false,"refuse_query":false}`},
		{"ConfigKeepsOthers", "POST", "/config?receipt_before_resp=true", 200, `"receipt_delay_ms":50,"receipt_before_resp":true`},
		{"ConfigRejectsRatioAboveOne", "POST", "/config?undelivered=2", 400, "undelivered"},
		{"ConfigRejectsNegativeTPS", "POST", "/config?tps=-1", 400, "tps"},
		{"ConfigReads", "GET", "/config", 200, `"tps":0`},
		{"SubmittedIsAList", "GET", "/submitted?limit=5", 200, `[]`},
		{"SubmittedRejectsBadLimit", "GET", "/submitted?limit=x", 400, "limit"},
		{"DropAnswersOK", "POST", "/drop", 200, `{"ok":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, Options{})
			ts := httptest.NewServer(s.ControlHandler())
			defer ts.Close()
			req, _ := http.NewRequest(tc.method, ts.URL+tc.url, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.body) {
				t.Fatalf("%s %s = %d %s, want %d containing %s", tc.method, tc.url, resp.StatusCode, body, tc.status, tc.body)
			}
		})
	}

	t.Run("ConfigChangesBehaviour", func(t *testing.T) {
		s := startServer(t, Options{})
		ts := httptest.NewServer(s.ControlHandler())
		defer ts.Close()
		post(t, ts.URL+"/config?throttle=1", 200)
		if st := s.cfg.Load(); st.ThrottleRatio != 1 {
			t.Fatalf("ThrottleRatio = %v", st.ThrottleRatio)
		}
		post(t, ts.URL+"/config?undelivered=0.5&tps=abc", 400)
		if st := s.cfg.Load(); st.UndeliveredRatio != 0 || st.TPS != 0 {
			t.Fatal("a rejected request changed the options")
		}
	})

	t.Run("InjectsMOToABoundSession", func(t *testing.T) {
		s := startServer(t, Options{})
		base, err := s.StartControl("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		post(t, base+"/mo?from=13800138000&to=10690001&text=TD", 200)
		if got := messageText(t, c.deliverSM()); got != "TD" {
			t.Fatalf("MO text %q", got)
		}
		c.send(submitSM(t, "10690001", "13800138000", "hello", 0))
		c.submitResp()

		var subs []Submitted
		getJSON(t, base+"/submitted?limit=10", &subs)
		if len(subs) != 1 || subs[0].Text != "hello" || subs[0].Dest != "13800138000" {
			t.Fatalf("submitted %+v", subs)
		}
		var st Stats
		waitFor(t, "MO acknowledged", func() bool {
			getJSON(t, base+"/stats", &st)
			return st.MOSent == 1
		})
		if st.Accepted != 1 || st.Bound != 1 {
			t.Errorf("stats %+v", st)
		}

		post(t, base+"/drop", 200)
		c.waitClosed()
		_ = s.Close()
		if _, err := http.Get(base + "/stats"); err == nil {
			t.Fatal("control endpoint still up after Close")
		}
	})
}

func post(t *testing.T, url string, status int) {
	t.Helper()
	resp, err := http.Post(url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("POST %s = %d %s, want %d", url, resp.StatusCode, body, status)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
