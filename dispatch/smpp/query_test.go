package smpp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/dispatch/smpp"
	"smsgw/dispatch/smscsim"
)

// submitOne sends a one-part message and returns the SMSC's id for it.
func submitOne(t *testing.T, s *smpp.Session, ev *events) string {
	t.Helper()
	parts, err := smpp.Parts(&app.Message{To: "13800138000", Content: "【单位】验证码 1234"}, smpp.Addressing{Source: "10690001", DestNPI: 1}, smpp.NewConcat())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(parts[0]); err != nil {
		t.Fatal(err)
	}
	seq := parts[0].Seq()
	waitFor(t, "the submit's answer", 10*time.Second, func() bool {
		return ev.read(func(e *events) bool { return e.resps[seq] != "" })
	})
	resp := ev.resps[seq]
	if !strings.HasPrefix(resp, app.SMPPCode(0)+" ") {
		t.Fatalf("submit answered %q", resp)
	}
	return strings.TrimPrefix(resp, app.SMPPCode(0)+" ")
}

func TestSession_QueryAnswersWhatTheSMSCDecided(t *testing.T) {
	sim := startSim(t, "127.0.0.1:0", smscsim.Options{ReceiptDelay: -1, DropReceipts: true, UndeliveredRatio: 1})
	s, ev := open(t, sim.Addr())
	waitFor(t, "the bind", 10*time.Second, func() bool { return ev.read(func(e *events) bool { return e.bound == 1 }) })
	id := submitOne(t, s, ev)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, _, err := s.Query(ctx, id, smpp.Addressing{Source: "10690001"})
	if err != nil || st != app.StateUndeliverable {
		t.Fatalf("Query = %v, %v; want undeliverable", st, err)
	}
	if ev.read(func(e *events) bool { return len(e.receipts) != 0 }) {
		t.Error("a receipt came although the SMSC drops them")
	}
	var qe smpp.QueryError
	if _, _, err := s.Query(ctx, "no-such-id", smpp.Addressing{Source: "10690001"}); !errors.As(err, &qe) {
		t.Errorf("Query of an unknown id = %v, want a QueryError", err)
	}
}

func TestSession_QueryRefusedMeansUnsupported(t *testing.T) {
	sim := startSim(t, "127.0.0.1:0", smscsim.Options{ReceiptDelay: -1, DropReceipts: true, RefuseQuery: true})
	s, ev := open(t, sim.Addr())
	waitFor(t, "the bind", 10*time.Second, func() bool { return ev.read(func(e *events) bool { return e.bound == 1 }) })
	id := submitOne(t, s, ev)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := s.Query(ctx, id, smpp.Addressing{Source: "10690001"}); !errors.Is(err, smpp.ErrQueryUnsupported) {
		t.Fatalf("Query = %v, want ErrQueryUnsupported", err)
	}
	// The session stays usable: the nack was the query's, not a submit's.
	submitOne(t, s, ev)
}
