package smscsim

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/linxGnu/gosmpp"
	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

func TestReceipts(t *testing.T) {
	opts := Options{SystemID: "test", Password: "secret", ReceiptDelay: -1}

	t.Run("WaitForAReceiverToBind", func(t *testing.T) {
		s := startServer(t, opts)
		tx := dial(t, s.Addr())
		tx.mustBind(pdu.Transmitter)
		const n = 5
		for i := range n {
			tx.send(submitSM(t, "1", "2", fmt.Sprint("to a receiver ", i), 1))
			tx.submitResp()
		}
		waitFor(t, "pending receipts", func() bool { return s.Stats().ReceiptsPending == n })
		rx := dial(t, s.Addr())
		rx.mustBind(pdu.Receiver)
		for i := range n {
			if r := parseReceipt(t, rx.deliverSM()); r.text != fmt.Sprint("to a receiver ", i) {
				t.Errorf("receipt %d out of order: %q", i, r.text)
			}
		}
		waitFor(t, "acknowledged receipts", func() bool {
			st := s.Stats()
			return st.ReceiptsSent == n && st.ReceiptsPending == 0
		})
	})

	t.Run("GoToAnotherReceiverOfTheSameSystemID", func(t *testing.T) {
		s := startServer(t, Options{ReceiptDelay: -1})
		other := dial(t, s.Addr())
		if r := other.bind(pdu.Receiver, "someone-else", ""); r.CommandStatus != data.ESME_ROK {
			t.Fatal(r.CommandStatus)
		}
		rx := dial(t, s.Addr())
		if r := rx.bind(pdu.Receiver, "me", ""); r.CommandStatus != data.ESME_ROK {
			t.Fatal(r.CommandStatus)
		}
		tx := dial(t, s.Addr())
		if r := tx.bind(pdu.Transmitter, "me", ""); r.CommandStatus != data.ESME_ROK {
			t.Fatal(r.CommandStatus)
		}
		tx.send(submitSM(t, "1", "2", "for me", 1))
		tx.submitResp()
		parseReceipt(t, rx.deliverSM())
		waitFor(t, "acknowledged receipt", func() bool { return s.Stats().ReceiptsSent == 1 })
		other.send(pdu.NewEnquireLink())
		if p, ok := other.next().(*pdu.EnquireLinkResp); !ok {
			t.Fatalf("the other system_id got %T", p)
		}
	})

	t.Run("UnacknowledgedGoBackToPendingOnDrop", func(t *testing.T) {
		s := startServer(t, opts)
		c := dial(t, s.Addr())
		c.ack.Store(false)
		c.mustBind(pdu.Transceiver)
		const n = 10
		for i := range n {
			c.send(submitSM(t, "1", "2", fmt.Sprint("lost? ", i), 1))
		}
		for got := 0; got < 2*n; got++ {
			c.next() // responses and unacknowledged receipts
		}
		s.DropConnections()
		c.waitClosed()
		waitFor(t, "receipts back in pending", func() bool {
			st := s.Stats()
			return st.ReceiptsPending == n && st.Bound == 0
		})

		again := dial(t, s.Addr())
		again.mustBind(pdu.Transceiver)
		for i := range n {
			if r := parseReceipt(t, again.deliverSM()); r.text != fmt.Sprint("lost? ", i) {
				t.Errorf("receipt %d out of order: %q", i, r.text)
			}
		}
		waitFor(t, "all receipts acknowledged", func() bool {
			st := s.Stats()
			return st.ReceiptsSent == n && st.ReceiptsPending == 0
		})
	})

	t.Run("WindowLimitsUnacknowledged", func(t *testing.T) {
		s := startServer(t, opts)
		c := dial(t, s.Addr())
		c.ack.Store(false)
		c.mustBind(pdu.Transceiver)
		const n = window + 36
		for i := range n {
			c.send(submitSM(t, "1", "2", fmt.Sprint(i), 1))
		}
		var held []*pdu.DeliverSM
		for resps := 0; resps < n || len(held) < window; {
			switch p := c.next().(type) {
			case *pdu.SubmitSMResp:
				resps++
			case *pdu.DeliverSM:
				held = append(held, p)
			}
		}
		waitFor(t, "a full window", func() bool {
			s.lmu.Lock()
			defer s.lmu.Unlock()
			s.dl.mu.Lock()
			defer s.dl.mu.Unlock()
			for sess := range s.sessions {
				if len(sess.outstanding) == window && sess.queue.len() == n-window {
					return true
				}
			}
			return false
		})
		if len(held) != window {
			t.Fatalf("%d deliver_sm in flight, want %d", len(held), window)
		}
		for _, d := range held {
			c.write(d.GetResponse())
		}
		for range n - window {
			c.write(c.deliverSM().GetResponse())
		}
		waitFor(t, "all receipts acknowledged", func() bool { return s.Stats().ReceiptsSent == n })
	})

	t.Run("RefusedAreRetried", func(t *testing.T) {
		s := startServer(t, opts)
		c := dial(t, s.Addr())
		c.ack.Store(false)
		c.mustBind(pdu.Transceiver)
		c.send(submitSM(t, "1", "2", "retry me", 1))
		c.submitResp()
		first := c.deliverSM()
		resp := first.GetResponse()
		c.writeRaw(marshal(resp, data.ESME_RX_T_APPN))
		second := c.deliverSM() // after retryDelay
		if parseReceipt(t, first).id != parseReceipt(t, second).id {
			t.Fatal("a different receipt came back")
		}
		c.write(second.GetResponse())
		waitFor(t, "acknowledged receipt", func() bool { return s.Stats().ReceiptsSent == 1 })
	})

	t.Run("SurviveDropWithGosmppRebind", func(t *testing.T) {
		s := startServer(t, Options{SystemID: "test", Password: "secret", ReceiptDelay: 200 * time.Millisecond})
		var mu sync.Mutex
		ids := map[string]bool{}
		receipts := map[string]int{}
		sess, err := gosmpp.NewSession(
			gosmpp.TRXConnector(gosmpp.NonTLSDialer, gosmpp.Auth{SMSC: s.Addr(), SystemID: "test", Password: "secret"}),
			gosmpp.Settings{
				ReadTimeout: 10 * time.Second,
				OnAllPDU: func(p pdu.PDU) (pdu.PDU, bool) {
					mu.Lock()
					defer mu.Unlock()
					switch p := p.(type) {
					case *pdu.SubmitSMResp:
						if p.CommandStatus == data.ESME_ROK {
							ids[p.MessageID] = true
						}
					case *pdu.DeliverSM:
						id := p.OptionalParameters[pdu.TagReceiptedMessageID]
						receipts[id.String()]++
					}
					return ackAll(p)
				},
			},
			50*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		const n = 50
		for i := range n {
			if err := sess.Transceiver().Submit(submitSM(t, "10690001", "13800138000", fmt.Sprint("drop test ", i), 1)); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "all submits answered", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(ids) == n
		})
		s.DropConnections()
		waitFor(t, "every receipt acknowledged after the rebind", func() bool {
			st := s.Stats()
			return st.ReceiptsSent == n && st.ReceiptsPending == 0 && st.Bound == 1
		})
		mu.Lock()
		defer mu.Unlock()
		for id := range ids {
			if receipts[id] == 0 {
				t.Errorf("no receipt for %s", id)
			}
		}
		if st := s.Stats(); st.Binds < 2 {
			t.Errorf("Binds = %d, want a rebind", st.Binds)
		}
	})
}
