package smscsim

import (
	"errors"
	"testing"
	"time"

	"github.com/linxGnu/gosmpp"
	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

func TestBind(t *testing.T) {
	opts := Options{SystemID: "test", Password: "secret"}

	t.Run("AcceptsGosmppTransceiver", func(t *testing.T) {
		s := startServer(t, opts)
		sess, err := gosmpp.NewSession(
			gosmpp.TRXConnector(gosmpp.NonTLSDialer, gosmpp.Auth{SMSC: s.Addr(), SystemID: "test", Password: "secret"}),
			gosmpp.Settings{ReadTimeout: 10 * time.Second, OnAllPDU: ackAll},
			-1)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "one bound session", func() bool { return s.Stats().Bound == 1 })
		// gosmpp sends unbind and closes the socket itself; the server's
		// close after unbind_resp can win that race, so Close may report
		// "use of closed network connection". That is not a failure.
		_ = sess.Close()
		waitFor(t, "no bound session", func() bool { return s.Stats().Bound == 0 })
		if st := s.Stats(); st.Binds != 1 {
			t.Errorf("Binds = %d, want 1", st.Binds)
		}
	})

	t.Run("RefusesWrongPasswordToGosmpp", func(t *testing.T) {
		s := startServer(t, opts)
		_, err := gosmpp.NewSession(
			gosmpp.TRXConnector(gosmpp.NonTLSDialer, gosmpp.Auth{SMSC: s.Addr(), SystemID: "test", Password: "wrong"}),
			gosmpp.Settings{ReadTimeout: 10 * time.Second, OnAllPDU: ackAll},
			-1)
		var be gosmpp.BindError
		if !errors.As(err, &be) || be.CommandStatus != data.ESME_RINVPASWD {
			t.Fatalf("err = %v, want a BindError with ESME_RINVPASWD", err)
		}
	})

	for _, tc := range []struct {
		name             string
		kind             pdu.BindingType
		systemID, passwd string
		want             data.CommandStatusType
	}{
		{"RefusesWrongPasswordAndCloses", pdu.Transmitter, "test", "nope", data.ESME_RINVPASWD},
		{"RefusesWrongSystemIDAndCloses", pdu.Receiver, "other", "secret", data.ESME_RINVSYSID},
		{"RefusesWrongSystemIDOnTransceiver", pdu.Transceiver, "other", "secret", data.ESME_RINVSYSID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, opts)
			c := dial(t, s.Addr())
			if r := c.bind(tc.kind, tc.systemID, tc.passwd); r.CommandStatus != tc.want {
				t.Fatalf("status = %v, want %v", r.CommandStatus, tc.want)
			}
			c.waitClosed()
			if st := s.Stats(); st.Binds != 0 || st.Bound != 0 {
				t.Errorf("Binds, Bound = %d, %d; want 0, 0", st.Binds, st.Bound)
			}
		})
	}

	t.Run("AcceptsAnyCredentialsByDefault", func(t *testing.T) {
		s := startServer(t, Options{})
		c := dial(t, s.Addr())
		r := c.bind(pdu.Transmitter, "whoever", "whatever")
		if r.CommandStatus != data.ESME_ROK || r.SystemID != "smscsim" {
			t.Fatalf("status, system_id = %v, %q", r.CommandStatus, r.SystemID)
		}
		if r.CommandID != data.BIND_TRANSMITTER_RESP {
			t.Errorf("command_id = %v", r.CommandID)
		}
	})

	t.Run("RejectsSubmitBeforeBind", func(t *testing.T) {
		s := startServer(t, opts)
		c := dial(t, s.Addr())
		seq := c.send(submitSM(t, "1", "2", "hi", 1))
		r := c.submitResp()
		if r.CommandStatus != data.ESME_RINVBNDSTS || r.SequenceNumber != seq {
			t.Fatalf("status, seq = %v, %d; want ESME_RINVBNDSTS, %d", r.CommandStatus, r.SequenceNumber, seq)
		}
		c.send(pdu.NewUnbind())
		if r := c.next(); r.GetHeader().CommandStatus != data.ESME_RINVBNDSTS {
			t.Fatalf("unbind before bind: %v", r.GetHeader().CommandStatus)
		}
		c.mustBind(pdu.Transceiver) // the connection is still usable
	})

	t.Run("RejectsSecondBind", func(t *testing.T) {
		s := startServer(t, opts)
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		if r := c.bind(pdu.Transmitter, "test", "secret"); r.CommandStatus != data.ESME_RALYBND {
			t.Fatalf("status = %v, want ESME_RALYBND", r.CommandStatus)
		}
	})

	t.Run("AnswersEnquireLinkAndUnbinds", func(t *testing.T) {
		s := startServer(t, opts)
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		seq := c.send(pdu.NewEnquireLink())
		if r, ok := c.next().(*pdu.EnquireLinkResp); !ok || r.SequenceNumber != seq {
			t.Fatalf("want enquire_link_resp %d, got %#v", seq, r)
		}
		seq = c.send(pdu.NewUnbind())
		if r, ok := c.next().(*pdu.UnbindResp); !ok || r.SequenceNumber != seq {
			t.Fatalf("want unbind_resp %d, got %#v", seq, r)
		}
		c.waitClosed()
		waitFor(t, "no bound session", func() bool { return s.Stats().Bound == 0 })
	})

	t.Run("ClosesAllSessionsOnClose", func(t *testing.T) {
		s := New(opts)
		if err := s.Start("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		c := dial(t, s.Addr())
		c.mustBind(pdu.Transceiver)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		c.waitClosed()
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := s.Start("127.0.0.1:0"); err == nil {
			t.Error("Start after Close succeeded")
		}
	})
}

// ackAll is a gosmpp OnAllPDU callback that answers every request.
func ackAll(p pdu.PDU) (pdu.PDU, bool) {
	if p.CanResponse() {
		return p.GetResponse(), false
	}
	return nil, false
}
