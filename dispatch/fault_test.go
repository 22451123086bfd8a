package dispatch_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/dispatch"
	"smsgw/dispatch/smscsim"
)

// rogueSMSC accepts binds and then either answers with a PDU of an unknown
// command id followed by garbage, or (silent) never answers anything again:
// two kinds of broken carrier.
type rogueSMSC struct {
	ln     net.Listener
	silent bool
	binds  atomic.Int64
	done   chan struct{}
}

func startRogue(t *testing.T, silent bool) *rogueSMSC {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &rogueSMSC{ln: ln, silent: silent, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go r.serve(conn)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-r.done })
	return r
}

func (r *rogueSMSC) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := answerBind(conn); err != nil {
		return
	}
	r.binds.Add(1)
	if r.silent {
		io.Copy(io.Discard, conn)
		return
	}
	var unknown [16]byte
	binary.BigEndian.PutUint32(unknown[0:], 16)
	binary.BigEndian.PutUint32(unknown[4:], 0x0000BEEF) // no such command
	binary.BigEndian.PutUint32(unknown[12:], 7)
	conn.Write(unknown[:])
	conn.Write([]byte("\x00\x00\x00\x08garbage!!"))
	// Keep reading until the client gives up on us.
	b := make([]byte, 1024)
	for {
		if _, err := conn.Read(b); err != nil {
			return
		}
	}
}

// answerBind reads a bind and accepts it, written out by hand (a header of
// length, command id, status and sequence, then the system_id) so that only
// dispatch/smpp and the simulator import the SMPP library.
func answerBind(conn net.Conn) error {
	var hdr [16]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return err
	}
	n, id := binary.BigEndian.Uint32(hdr[0:]), binary.BigEndian.Uint32(hdr[4:])
	if n < 16 || n > 1024 || id != 0x01 && id != 0x02 && id != 0x09 { // bind_receiver, _transmitter, _transceiver
		return errors.New("not a bind")
	}
	if _, err := io.CopyN(io.Discard, conn, int64(n-16)); err != nil {
		return err
	}
	resp := append(make([]byte, 16), "rogue\x00"...)
	binary.BigEndian.PutUint32(resp[0:], uint32(len(resp)))
	binary.BigEndian.PutUint32(resp[4:], id|0x80000000) // its response; status 0
	copy(resp[12:], hdr[12:16])                         // same sequence number
	_, err := conn.Write(resp)
	return err
}

func TestEngine_MalformedPDUsDoNotCrashOrLoseMessages(t *testing.T) {
	e := newEnv(t, 1, smscsim.Options{})
	rogue := startRogue(t, false)
	ch := e.chans[0]
	good := *ch
	host, port, _ := net.SplitHostPort(rogue.ln.Addr().String())
	ch.Host = host
	ch.Port, _ = strconv.Atoi(port)
	if err := e.db.UpdateChannel(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	// The engine binds to the rogue, reads its nonsense, logs it and binds again.
	waitFor(t, 15*time.Second, func() bool { return rogue.binds.Load() >= 2 })
	ids := e.send("【测试单位】坏链路之后", numbers(20000, 20)...)
	good.Password = ""
	if err := e.db.UpdateChannel(context.Background(), &good); err != nil {
		t.Fatal(err)
	}
	got := e.waitFinal(ids, 20*time.Second)
	if c := countStatus(got); c[app.StatusDelivered] != 20 {
		t.Fatalf("statuses %v, want 20 delivered once the channel points at a sane SMSC", c)
	}
}

func TestEngine_StopsPromptlyWhenTheSMSCNeverAnswers(t *testing.T) {
	e := newEnv(t, 1, smscsim.Options{})
	rogue := startRogue(t, true)
	ch := e.chans[0]
	host, port, _ := net.SplitHostPort(rogue.ln.Addr().String())
	ch.Host = host
	ch.Port, _ = strconv.Atoi(port)
	if err := e.db.UpdateChannel(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, func() bool { return rogue.binds.Load() >= 1 && e.engine.ChannelStates()[ch.ID].Bound })
	ids := e.send("【测试单位】石沉大海", numbers(30000, 500)...)
	waitFor(t, 15*time.Second, func() bool { return e.engine.ChannelStates()[ch.ID].InFlight == ch.Window })
	// stopEngine fails the test when Run takes longer than 15 s; Grace is 3 s.
	e.stopEngine()
	for _, id := range ids {
		m, err := e.db.FindMessageByID(context.Background(), e.p, id)
		if err != nil || m.Status.Final() {
			t.Fatalf("message %d: %+v %v: unanswered messages must stay queued for the next start", id, m, err)
		}
	}
}

// gatedOutbox holds every receipt write until the gate opens, as a slow or
// stalled disk would.
type gatedOutbox struct {
	app.Outbox
	gate chan struct{}
}

func (g *gatedOutbox) ApplyReceipts(ctx context.Context, rs []app.Receipt) error {
	<-g.gate
	return g.Outbox.ApplyReceipts(ctx, rs)
}

// A receipt is answered (deliver_sm_resp) only once it is stored: until
// then the SMSC still holds it and would send it again after a crash.
func TestReceiptAnsweredOnlyOnceStored(t *testing.T) {
	gate := make(chan struct{})
	var opened bool
	open := func() {
		if !opened {
			opened = true
			close(gate)
		}
	}
	e := startEnv(t, setup{sims: []smscsim.Options{{ReceiptDelay: time.Millisecond}},
		engine: func(o *dispatch.Options) { o.Outbox = &gatedOutbox{Outbox: o.Outbox, gate: gate} }})
	t.Cleanup(open) // before the engine stops (cleanups run last first)
	ids := e.send("【测试单位】回执", "13800138000")
	waitFor(t, slowdown*10*time.Second, func() bool { return e.sims[0].Stats().Accepted == 1 })
	time.Sleep(300 * time.Millisecond) // the receipt went out 1 ms after the submit
	if st := e.sims[0].Stats(); st.ReceiptsSent != 0 {
		t.Fatalf("the SMSC saw %d receipts answered while none was stored", st.ReceiptsSent)
	}
	open()
	waitFor(t, slowdown*10*time.Second, func() bool { return e.sims[0].Stats().ReceiptsSent == 1 })
	if got := e.waitFinal(ids, slowdown*10*time.Second); got[ids[0]].Status != app.StatusDelivered {
		t.Errorf("status %s; want delivered", got[ids[0]].Status)
	}
}
