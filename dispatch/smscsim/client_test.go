package smscsim

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"

	"smsgw/app/apptest"
)

// testClient is a bare SMPP client over a net.Conn: it sends what the test
// says and hands every PDU it reads to the test, so the tests see the wire
// exactly. It answers deliver_sm itself unless told not to.
type testClient struct {
	t    testing.TB
	conn net.Conn
	wmu  sync.Mutex
	seq  atomic.Int32
	ack  atomic.Bool
	in   chan pdu.PDU
	done chan struct{} // closed when the server closed the connection
}

func dial(t testing.TB, addr string) *testClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &testClient{t: t, conn: conn, in: make(chan pdu.PDU, 1<<16), done: make(chan struct{})}
	c.ack.Store(true)
	go c.read()
	t.Cleanup(c.close)
	return c
}

func (c *testClient) read() {
	defer close(c.done)
	r := bufio.NewReader(c.conn)
	for {
		p, err := pdu.Parse(r)
		if err != nil {
			return
		}
		if d, ok := p.(*pdu.DeliverSM); ok && c.ack.Load() {
			c.write(d.GetResponse())
		}
		c.in <- p
	}
}

func (c *testClient) close() {
	_ = c.conn.Close()
	<-c.done
}

// write sends p as it is (its sequence number untouched).
func (c *testClient) write(p pdu.PDU) {
	b := pdu.NewBuffer(nil)
	p.Marshal(b)
	c.writeRaw(b.Bytes())
}

func (c *testClient) writeRaw(b []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, _ = c.conn.Write(b)
}

// send gives p the next sequence number, sends it and returns the number.
func (c *testClient) send(p pdu.PDU) int32 {
	seq := c.seq.Add(1)
	p.SetSequenceNumber(seq)
	c.write(p)
	return seq
}

// next returns the next PDU from the server, failing the test after 5s.
func (c *testClient) next() pdu.PDU {
	c.t.Helper()
	select {
	case p := <-c.in:
		return p
	case <-c.done:
		select {
		case p := <-c.in:
			return p
		default:
		}
		c.t.Fatal("connection closed while waiting for a PDU")
	case <-time.After(5 * time.Second):
		c.t.Fatal("timed out waiting for a PDU")
	}
	return nil
}

// waitClosed fails the test unless the server closes the connection.
func (c *testClient) waitClosed() {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.t.Fatal("server did not close the connection")
	}
}

func (c *testClient) bind(kind pdu.BindingType, systemID, password string) *pdu.BindResp {
	c.t.Helper()
	req := pdu.NewBindRequest(kind)
	req.SystemID, req.Password = systemID, password
	c.send(req)
	p := c.next()
	resp, ok := p.(*pdu.BindResp)
	if !ok {
		c.t.Fatalf("want a bind response, got %T", p)
	}
	return resp
}

// mustBind binds or fails the test.
func (c *testClient) mustBind(kind pdu.BindingType) {
	c.t.Helper()
	if r := c.bind(kind, "test", "secret"); r.CommandStatus != data.ESME_ROK {
		c.t.Fatalf("bind: %v", r.CommandStatus)
	}
}

// submitSM builds a single-part GSM 7-bit submit_sm.
func submitSM(t testing.TB, src, dst, text string, registered byte) *pdu.SubmitSM {
	t.Helper()
	p := pdu.NewSubmitSM().(*pdu.SubmitSM)
	_ = p.SourceAddr.SetAddress(src)
	_ = p.DestAddr.SetAddress(dst)
	p.RegisteredDelivery = registered
	if err := p.Message.SetMessageWithEncoding(text, data.GSM7BIT); err != nil {
		t.Fatal(err)
	}
	return p
}

// submitResp waits for the next PDU and requires a submit_sm_resp.
func (c *testClient) submitResp() *pdu.SubmitSMResp {
	c.t.Helper()
	p := c.next()
	r, ok := p.(*pdu.SubmitSMResp)
	if !ok {
		c.t.Fatalf("want submit_sm_resp, got %T", p)
	}
	return r
}

// deliverSM waits for the next PDU and requires a deliver_sm.
func (c *testClient) deliverSM() *pdu.DeliverSM {
	c.t.Helper()
	p := c.next()
	d, ok := p.(*pdu.DeliverSM)
	if !ok {
		c.t.Fatalf("want deliver_sm, got %T", p)
	}
	return d
}

// startServer starts a simulator on loopback that the test closes.
func startServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// waitFor waits until cond holds, failing the test after 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	apptest.Eventually(t, 10*time.Second, func() error {
		if !cond() {
			return fmt.Errorf("waiting for %s", what)
		}
		return nil
	})
}

// messageText returns the text of a deliver_sm's short message.
func messageText(t testing.TB, d *pdu.DeliverSM) string {
	t.Helper()
	s, err := d.Message.GetMessage()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// errorLog is a slog.Handler that keeps the messages of error records, so
// tests can assert that nothing panicked behind a recover.
type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (h *errorLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (h *errorLog) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *errorLog) WithGroup(string) slog.Handler                { return h }
func (h *errorLog) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "panic" || a.Key == "stack" {
			msg += ": " + a.Value.String()
		}
		return true
	})
	h.msgs = append(h.msgs, msg)
	return nil
}

func (h *errorLog) errors() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.msgs...)
}
