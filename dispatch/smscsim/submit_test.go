package smscsim

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// receiptRE is the SMPP 3.4 Appendix B receipt text.
var receiptRE = regexp.MustCompile(`^id:(\S+) sub:001 dlvrd:(\d{3}) submit date:\d{10} done date:\d{10} stat:([A-Z]{7}) err:(\d{3}) text:(.*)$`)

// receipt is a parsed delivery receipt.
type receipt struct {
	id, dlvrd, stat, err, text string
	tlvID                      string
	state                      byte
	src, dst                   string
}

// parseReceipt checks that d is a well-formed receipt and parses it.
func parseReceipt(t testing.TB, d *pdu.DeliverSM) receipt {
	t.Helper()
	if d.EsmClass != 0x04 {
		t.Fatalf("esm_class = %#x, want 0x04", d.EsmClass)
	}
	text := messageText(t, d)
	m := receiptRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("receipt text %q is not in Appendix B format", text)
	}
	id, ok := d.OptionalParameters[pdu.TagReceiptedMessageID]
	if !ok || len(id.Data) == 0 || id.Data[len(id.Data)-1] != 0 {
		t.Fatalf("receipted_message_id TLV missing or not a C-string: %v", id.Data)
	}
	st, ok := d.OptionalParameters[pdu.TagMessageStateOption]
	if !ok || len(st.Data) != 1 {
		t.Fatalf("message_state TLV missing: %v", st.Data)
	}
	return receipt{
		id: m[1], dlvrd: m[2], stat: m[3], err: m[4], text: m[5],
		tlvID: id.String(), state: st.Data[0],
		src: d.SourceAddr.Address(), dst: d.DestAddr.Address(),
	}
}

func TestSubmit(t *testing.T) {
	t.Run("AcceptsWithUniqueIDsAndSendsReceipts", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		const n = 20
		for i := range n {
			c.send(submitSM(t, "10690001", fmt.Sprintf("1380013800%d", i%10), fmt.Sprintf("hello number %d, how are you today?", i), 1))
		}
		ids := map[string]bool{}
		var receipts []receipt
		for len(ids) < n || len(receipts) < n {
			switch p := c.next().(type) {
			case *pdu.SubmitSMResp:
				if p.CommandStatus != data.ESME_ROK || p.MessageID == "" || len(p.MessageID) > 64 || ids[p.MessageID] {
					t.Fatalf("bad submit_sm_resp: status %v id %q", p.CommandStatus, p.MessageID)
				}
				ids[p.MessageID] = true
			case *pdu.DeliverSM:
				receipts = append(receipts, parseReceipt(t, p))
			default:
				t.Fatalf("unexpected %T", p)
			}
		}
		for _, r := range receipts {
			if !ids[r.id] || r.tlvID != r.id {
				t.Errorf("receipt for unknown id %q (TLV %q)", r.id, r.tlvID)
			}
			if r.stat != "DELIVRD" || r.err != "000" || r.dlvrd != "001" || r.state != 2 {
				t.Errorf("receipt %+v, want DELIVRD err:000 dlvrd:001 state 2", r)
			}
			if r.src == "10690001" || r.dst != "10690001" {
				t.Errorf("receipt addresses %s -> %s, want the submit's swapped", r.src, r.dst)
			}
			if !strings.HasPrefix(r.text, "hello number ") || len(r.text) != 20 {
				t.Errorf("receipt text: %q, want the first 20 characters", r.text)
			}
		}
		waitFor(t, "20 acknowledged receipts", func() bool { return s.Stats().ReceiptsSent == n })
		st := s.Stats()
		if st.SubmitSM != n || st.Accepted != n || st.Unique != n || st.Messages != n || st.ReceiptsPending != 0 {
			t.Errorf("stats %+v", st)
		}
		subs := s.Submitted()
		if len(subs) != n || subs[0].Text != "hello number 0, how are you today?" || subs[0].UDH != nil || !ids[subs[n-1].MessageID] {
			t.Errorf("Submitted() = %d records, first %+v", len(subs), subs[0])
		}
	})

	t.Run("SendsNoReceiptWithoutRegisteredDelivery", func(t *testing.T) {
		s := startServer(t, Options{ReceiptDelay: -1})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		c.send(submitSM(t, "1", "2", "no receipt", 0))
		c.submitResp()
		c.send(pdu.NewEnquireLink())
		if p, ok := c.next().(*pdu.EnquireLinkResp); !ok {
			t.Fatalf("want only enquire_link_resp, got %T", p)
		}
	})

	t.Run("UndeliveredRatioGivesUNDELIV", func(t *testing.T) {
		s := startServer(t, Options{UndeliveredRatio: 1, ReceiptDelay: -1})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		c.send(submitSM(t, "1", "2", "will fail", 1))
		c.submitResp()
		r := parseReceipt(t, c.deliverSM())
		if r.stat != "UNDELIV" || r.err != "001" || r.dlvrd != "000" || r.state != 5 {
			t.Fatalf("receipt %+v, want UNDELIV err:001 dlvrd:000 state 5", r)
		}
	})

	t.Run("ReceiptStatusHookPicksStatus", func(t *testing.T) {
		s := startServer(t, Options{ReceiptDelay: -1, ReceiptStatus: func(sub Submitted) string {
			switch sub.Text {
			case "reject me":
				return "REJECTD"
			case "expire me":
				return "EXPIRED"
			}
			return ""
		}})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		for _, tc := range []struct {
			text, stat, err string
			state           byte
		}{
			{"reject me", "REJECTD", "002", 8},
			{"expire me", "EXPIRED", "003", 3},
			{"deliver me", "DELIVRD", "000", 2},
		} {
			c.send(submitSM(t, "1", "2", tc.text, 1))
			c.submitResp()
			r := parseReceipt(t, c.deliverSM())
			if r.stat != tc.stat || r.err != tc.err || r.state != tc.state {
				t.Errorf("%q: receipt %+v, want %s err:%s state %d", tc.text, r, tc.stat, tc.err, tc.state)
			}
		}
	})

	t.Run("ReceiptOnFailureOnly", func(t *testing.T) {
		s := startServer(t, Options{ReceiptDelay: -1, ReceiptStatus: func(sub Submitted) string {
			if sub.Text == "fail" {
				return "UNDELIV"
			}
			return ""
		}})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		c.send(submitSM(t, "1", "2", "ok", 2))
		c.send(submitSM(t, "1", "2", "fail", 2))
		c.submitResp()
		c.submitResp()
		if r := parseReceipt(t, c.deliverSM()); r.stat != "UNDELIV" {
			t.Fatalf("got %s, want only the failure receipt", r.stat)
		}
	})

	t.Run("ThrottleAndErrorRatios", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transmitter)
		s.SetOptions(func(o *Options) { o.ThrottleRatio = 1 })
		c.send(submitSM(t, "1", "2", "x", 1))
		if r := c.submitResp(); r.CommandStatus != data.ESME_RTHROTTLED || r.MessageID != "" {
			t.Fatalf("status, id = %v, %q; want ESME_RTHROTTLED and no id", r.CommandStatus, r.MessageID)
		}
		s.SetOptions(func(o *Options) { o.ThrottleRatio, o.ErrorRatio = 0, 1 })
		c.send(submitSM(t, "1", "2", "x", 1))
		if r := c.submitResp(); r.CommandStatus != data.ESME_RSYSERR {
			t.Fatalf("status = %v, want ESME_RSYSERR", r.CommandStatus)
		}
		s.SetOptions(func(o *Options) { o.ErrorRatio = 0 })
		c.send(submitSM(t, "1", "2", "x", 0))
		if r := c.submitResp(); r.CommandStatus != data.ESME_ROK {
			t.Fatalf("status = %v, want ESME_ROK", r.CommandStatus)
		}
		st := s.Stats()
		if st.SubmitSM != 3 || st.Throttled != 1 || st.Errors != 1 || st.Accepted != 1 || len(s.Submitted()) != 1 {
			t.Fatalf("stats %+v", st)
		}
	})

	t.Run("TPSCapThrottlesTheExcess", func(t *testing.T) {
		const tps = 20
		s := startServer(t, Options{TPS: tps})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transmitter)
		for range 3 * tps {
			c.send(submitSM(t, "1", "2", "burst", 0))
		}
		var ok, throttled int
		for range 3 * tps {
			switch r := c.submitResp(); r.CommandStatus {
			case data.ESME_ROK:
				ok++
			case data.ESME_RTHROTTLED:
				throttled++
			default:
				t.Fatalf("status %v", r.CommandStatus)
			}
		}
		if throttled == 0 || ok < tps {
			t.Fatalf("%d accepted, %d throttled; want the burst of %d accepted and some throttled", ok, throttled, tps)
		}
		if st := s.Stats(); st.Accepted != int64(ok) || st.Throttled != int64(throttled) {
			t.Errorf("stats %+v", st)
		}
	})

	t.Run("ReceiptBeforeResp", func(t *testing.T) {
		s := startServer(t, Options{ReceiptBeforeResp: true, ReceiptDelay: 0})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		const n = 10
		for i := range n {
			c.send(submitSM(t, "1", "2", fmt.Sprint("early ", i), 1))
		}
		seen := map[string]bool{}
		for resps := 0; resps < n; {
			switch p := c.next().(type) {
			case *pdu.DeliverSM:
				seen[parseReceipt(t, p).id] = true
			case *pdu.SubmitSMResp:
				if !seen[p.MessageID] {
					t.Fatalf("submit_sm_resp for %s came before its receipt", p.MessageID)
				}
				resps++
			}
		}
		waitFor(t, "acknowledged receipts", func() bool { return s.Stats().ReceiptsSent == n })
	})

	t.Run("ReceiverCannotSubmit", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		c.mustBind(pdu.Receiver)
		c.send(submitSM(t, "1", "2", "x", 1))
		if r := c.submitResp(); r.CommandStatus != data.ESME_RINVBNDSTS {
			t.Fatalf("status = %v, want ESME_RINVBNDSTS", r.CommandStatus)
		}
		if st := s.Stats(); st.Accepted != 0 {
			t.Errorf("stats %+v", st)
		}
	})

	t.Run("IDsDifferAcrossServers", func(t *testing.T) {
		a, b := New(Options{}), New(Options{})
		if x, y := a.nextID(), b.nextID(); x == y || len(x) > 64 {
			t.Fatalf("ids %q and %q", x, y)
		}
	})
}
