package smpp_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"smsgw/app"
	"smsgw/app/apptest"
	"smsgw/dispatch/smpp"
	"smsgw/dispatch/smscsim"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// events records what a session tells its handler.
type events struct {
	mu       sync.Mutex
	bound    int
	down     int
	faults   []string
	resps    map[int32]string // seq -> "status smscID"
	receipts []app.Receipt
	replies  []smpp.ReplyPart
}

func (e *events) Bound() { e.mu.Lock(); e.bound++; e.mu.Unlock() }
func (e *events) Down()  { e.mu.Lock(); e.down++; e.mu.Unlock() }
func (e *events) Fault(err error) {
	e.mu.Lock()
	e.faults = append(e.faults, err.Error())
	e.mu.Unlock()
}
func (e *events) SubmitFailed(int32) {}
func (e *events) Response(seq int32, st smpp.Status, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.resps == nil {
		e.resps = map[int32]string{}
	}
	e.resps[seq] = st.Code() + " " + id
}
func (e *events) Receipt(r app.Receipt, ack func()) {
	e.mu.Lock()
	e.receipts = append(e.receipts, r)
	e.mu.Unlock()
	ack()
}
func (e *events) Reply(p smpp.ReplyPart, ack func()) {
	e.mu.Lock()
	e.replies = append(e.replies, p)
	e.mu.Unlock()
	ack()
}

func (e *events) read(f func(*events) bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return f(e)
}

func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	apptest.Eventually(t, within, func() error {
		if !cond() {
			return fmt.Errorf("waiting for %s", what)
		}
		return nil
	})
}

func startSim(t *testing.T, addr string, o smscsim.Options) *smscsim.Server {
	t.Helper()
	o.SystemID, o.Password = "smsgw", "pw"
	sim := smscsim.New(o)
	if err := sim.Start(addr); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// open starts a session to addr and closes it at the end of the test,
// checking that closing ends it and reports every bound session down.
func open(t *testing.T, addr string) (*smpp.Session, *events) {
	ev := &events{}
	ctx, cancel := context.WithCancel(context.Background())
	s := smpp.Open(ctx, smpp.Config{Addr: addr, SystemID: "smsgw", Password: "pw", Handler: ev})
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.Done():
		case <-time.After(15 * time.Second):
			t.Fatal("the session did not end after its context")
		}
		if ev.read(func(e *events) bool { return e.down != e.bound }) {
			t.Errorf("bound %d times but reported down %d times", ev.bound, ev.down)
		}
	})
	return s, ev
}

func TestSession_SubmitsPartsAndPassesReceiptsOn(t *testing.T) {
	sim := startSim(t, "127.0.0.1:0", smscsim.Options{ReceiptDelay: -1})
	s, ev := open(t, sim.Addr())
	waitFor(t, "the bind", 10*time.Second, func() bool { return ev.read(func(e *events) bool { return e.bound == 1 }) })
	m := &app.Message{To: "13800138000", Content: "【单位】" + strings.Repeat("长", 100)}
	parts, err := smpp.Parts(m, smpp.Addressing{Source: "10690001", DestNPI: 1}, smpp.NewConcat())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if err := s.Submit(p); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "a response and a receipt per part", 10*time.Second, func() bool {
		return ev.read(func(e *events) bool { return len(e.resps) == len(parts) && len(e.receipts) == len(parts) })
	})
	ids := map[string]bool{}
	for _, p := range parts {
		resp := ev.resps[p.Seq()]
		if !strings.HasPrefix(resp, app.SMPPCode(0)+" ") {
			t.Fatalf("part %d answered %q, want accepted with an id", p.Seq(), resp)
		}
		ids[strings.TrimPrefix(resp, app.SMPPCode(0)+" ")] = true
	}
	for _, r := range ev.receipts {
		if !ids[r.SMSCID] || r.Stat != "DELIVRD" || r.At.IsZero() {
			t.Errorf("receipt %+v does not match an accepted part", r)
		}
	}
	// Acknowledged receipts are not sent again.
	waitFor(t, "the receipts acknowledged", 10*time.Second, func() bool { return sim.Stats().ReceiptsSent == int64(len(parts)) })
	if s.LastDeliver().IsZero() {
		t.Error("LastDeliver is zero after receipts came in")
	}
}

func TestSession_PassesRepliesOn(t *testing.T) {
	sim := startSim(t, "127.0.0.1:0", smscsim.Options{})
	_, ev := open(t, sim.Addr())
	waitFor(t, "the bind", 10*time.Second, func() bool { return ev.read(func(e *events) bool { return e.bound == 1 }) })
	if err := sim.InjectMO("13800138000", "1069000112", "TD"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reply", 10*time.Second, func() bool { return ev.read(func(e *events) bool { return len(e.replies) == 1 }) })
	r := ev.replies[0]
	if r.Text != "TD" || r.To != "1069000112" || r.Total != 1 || r.Seq != 1 || r.At.IsZero() {
		t.Errorf("reply %+v", r)
	}
}

func TestSession_RetriesAFailedFirstBind(t *testing.T) {
	// An address nobody listens on yet: the first binds fail.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, ev := open(t, addr)
	var fault string
	waitFor(t, "a failed bind", 10*time.Second, func() bool {
		return ev.read(func(e *events) bool {
			if len(e.faults) > 0 {
				fault = e.faults[0]
			}
			return fault != ""
		})
	})
	if !strings.HasPrefix(fault, "bind: ") {
		t.Errorf("fault %q, want it to say the bind failed", fault)
	}
	if err := s.Submit(smpp.Part{}); err != smpp.ErrNotBound {
		t.Errorf("Submit while unbound: %v, want ErrNotBound", err)
	}
	startSim(t, addr, smscsim.Options{})
	waitFor(t, "the bind once the SMSC is up", 15*time.Second, func() bool { return ev.read(func(e *events) bool { return e.bound == 1 }) })
}

func TestSession_BindsAgainAfterLosingTheConnection(t *testing.T) {
	sim := startSim(t, "127.0.0.1:0", smscsim.Options{})
	_, ev := open(t, sim.Addr())
	waitFor(t, "the bind", 10*time.Second, func() bool { return ev.read(func(e *events) bool { return e.bound == 1 }) })
	sim.DropConnections()
	waitFor(t, "down, then bound again", 15*time.Second, func() bool {
		return ev.read(func(e *events) bool { return e.down == 1 && e.bound == 2 })
	})
}
