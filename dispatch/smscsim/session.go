package smscsim

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/linxGnu/gosmpp/data"
	"github.com/linxGnu/gosmpp/pdu"
)

// Session limits.
const (
	// window is how many deliver_sm may await their deliver_sm_resp on one
	// session; the rest wait in the session's queue.
	window = 64
	// outQueue is the capacity of a session's channel of encoded responses;
	// when it is full the reader stops reading, which pushes back on the
	// client through TCP.
	outQueue = 256
	// bindTimeout closes connections that never bind.
	bindTimeout = time.Minute
	// drainTimeout bounds the final flush of a closing session.
	drainTimeout = 5 * time.Second
	// maxBadPDUs closes a connection after this many unknown command ids
	// in a row: such a peer is not speaking SMPP.
	maxBadPDUs = 3
	// ourSystemID is the system_id in every bind response.
	ourSystemID = "smscsim"
)

// bindMode is what a session was bound as.
type bindMode int

const (
	unbound bindMode = iota
	transmitter
	receiver
	transceiver
)

// String names the mode for logs.
func (m bindMode) String() string {
	return [...]string{"unbound", "transmitter", "receiver", "transceiver"}[m]
}

// session is one client TCP connection. Its reader goroutine (serve) owns
// the protocol state; its writer goroutine (writeLoop) owns the socket's
// write side.
type session struct {
	srv  *Server
	conn net.Conn
	log  *slog.Logger
	rng  *mrand.Rand // used by the reader goroutine only

	out        chan []byte   // encoded PDUs for the writer, in order
	kick       chan struct{} // tells the writer that deliveries may be sent
	writerDone chan struct{}
	seq        atomic.Uint32 // sequence numbers of our own requests

	// Written by the reader before the session is attached to the
	// delivery router, read-only afterwards.
	mode     bindMode
	systemID string
	badRun   int

	// Guarded by srv.dl.mu.
	attached    bool
	queue       fifo
	outstanding map[uint32]*delivery
}

func (s *Server) newSession(conn net.Conn) *session {
	id := s.connIDs.Add(1)
	return &session{
		srv:         s,
		conn:        conn,
		log:         s.log.With("conn", id, "remote", conn.RemoteAddr().String()),
		rng:         s.newRand(),
		out:         make(chan []byte, outQueue),
		kick:        make(chan struct{}, 1),
		writerDone:  make(chan struct{}),
		outstanding: make(map[uint32]*delivery),
	}
}

// canReceive reports whether deliver_sm may be sent on this session.
func (c *session) canReceive() bool {
	return c.mode == receiver || c.mode == transceiver
}

// nextSeq returns the sequence number for our next request, skipping 0.
func (c *session) nextSeq() uint32 {
	for {
		if n := c.seq.Add(1) & 0x7fffffff; n != 0 {
			return n
		}
	}
}

// serve runs the session until the connection ends, then hands its
// unacknowledged deliveries back to the router.
func (c *session) serve() {
	defer c.srv.wg.Done()
	go c.writeLoop()
	c.readLoop()

	c.srv.dl.detach(c)
	if c.mode != unbound {
		c.srv.counters.bound.Add(-1)
	}
	// Let the writer send what is queued (an unbind_resp, a bind refusal)
	// but never wait long for a peer that does not read.
	_ = c.conn.SetWriteDeadline(time.Now().Add(drainTimeout))
	close(c.out)
	<-c.writerDone
	_ = c.conn.Close()
	c.srv.forget(c)
	c.log.Debug("smscsim session closed")
}

// readLoop reads and handles PDUs until the connection fails or the
// protocol says to close. A panic in a handler closes this connection only.
func (c *session) readLoop() {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("smscsim session panic", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	_ = c.conn.SetReadDeadline(time.Now().Add(bindTimeout))
	r := bufio.NewReaderSize(c.conn, 64<<10)
	buf := make([]byte, 0, 1024)
	for {
		frame, err := readFrame(r, buf)
		buf = frame
		if err != nil {
			if errors.Is(err, errFraming) {
				h := header(frame)
				c.log.Debug("smscsim bad command_length", "length", h.CommandLength)
				c.send(genericNack(h.SequenceNumber, data.ESME_RINVCMDLEN))
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.log.Debug("smscsim read", "err", err)
			}
			return
		}
		if !c.handle(frame) {
			return
		}
	}
}

// send queues an encoded PDU for the writer. It gives up when the writer
// has stopped (the connection failed), so the reader never blocks forever.
func (c *session) send(raw []byte) {
	select {
	case c.out <- raw:
	case <-c.writerDone:
	}
}

// handle decodes and answers one PDU; false closes the connection.
func (c *session) handle(frame []byte) bool {
	h := header(frame)
	p, err := newPDU(h.CommandID)
	if err != nil {
		c.log.Debug("smscsim unknown command_id", "command_id", uint32(h.CommandID))
		c.send(genericNack(h.SequenceNumber, data.ESME_RINVCMDID))
		return c.bad()
	}
	if err := p.Unmarshal(pdu.NewBuffer(frame)); err != nil {
		c.log.Debug("smscsim malformed PDU", "command", h.CommandID.String(), "err", err)
		if h.CommandID == data.SUBMIT_SM {
			c.srv.counters.submitSM.Add(1)
		}
		// The framing is intact, so the stream can go on.
		c.send(genericNack(h.SequenceNumber, data.ESME_RINVCMDLEN))
		return true
	}
	c.badRun = 0

	if c.mode == unbound {
		return c.handleUnbound(p)
	}
	switch p := p.(type) {
	case *pdu.SubmitSM:
		c.submit(p, frame)
	case *pdu.QuerySM:
		c.query(p)
	case *pdu.DeliverSMResp:
		c.srv.acknowledge(c, uint32(p.SequenceNumber), p.CommandStatus == data.ESME_ROK)
	case *pdu.GenericNack:
		// A nack of one of our deliver_sm frees its window slot; the
		// delivery is retried later. Nothing is answered to a nack.
		c.srv.acknowledge(c, uint32(p.SequenceNumber), false)
	case *pdu.EnquireLink:
		c.send(marshal(p.GetResponse(), data.ESME_ROK))
	case *pdu.EnquireLinkResp:
	case *pdu.Unbind:
		// Stop delivering before answering so that nothing follows the
		// unbind_resp on the wire.
		c.srv.dl.detach(c)
		c.send(marshal(p.GetResponse(), data.ESME_ROK))
		c.log.Info("smscsim unbind", "system_id", c.systemID)
		return false
	case *pdu.UnbindResp:
		return false
	case *pdu.BindRequest:
		c.send(bindResp(p, data.ESME_RALYBND))
	default:
		if p.CanResponse() {
			// A valid SMPP request that the simulator does not implement
			// (query_sm, data_sm, ...).
			c.send(marshal(p.GetResponse(), data.ESME_RINVCMDID))
		} else {
			c.log.Debug("smscsim unexpected PDU ignored", "command", h.CommandID.String())
		}
	}
	return true
}

// bad counts an unknown command id and reports whether to keep the
// connection.
func (c *session) bad() bool {
	c.badRun++
	return c.badRun < maxBadPDUs
}

// handleUnbound answers a PDU received before a successful bind.
func (c *session) handleUnbound(p pdu.PDU) bool {
	switch p := p.(type) {
	case *pdu.BindRequest:
		return c.bind(p)
	case *pdu.EnquireLink:
		// SMPP 3.4 allows enquire_link in the open state.
		c.send(marshal(p.GetResponse(), data.ESME_ROK))
	case *pdu.GenericNack, *pdu.EnquireLinkResp:
	default:
		if p.CanResponse() {
			c.send(marshal(p.GetResponse(), data.ESME_RINVBNDSTS))
		} else {
			c.send(genericNack(p.GetSequenceNumber(), data.ESME_RINVBNDSTS))
		}
	}
	return true
}

// bind checks credentials and binds the session; false closes it.
func (c *session) bind(req *pdu.BindRequest) bool {
	cfg := c.srv.cfg.Load()
	status := data.ESME_ROK
	switch {
	case cfg.SystemID != "" && req.SystemID != cfg.SystemID:
		status = data.ESME_RINVSYSID
	case cfg.Password != "" && req.Password != cfg.Password:
		status = data.ESME_RINVPASWD
	}
	if status != data.ESME_ROK {
		c.log.Info("smscsim bind refused", "system_id", req.SystemID, "status", status.String())
		c.send(bindResp(req, status))
		return false
	}
	switch req.BindingType {
	case pdu.Transmitter:
		c.mode = transmitter
	case pdu.Receiver:
		c.mode = receiver
	default:
		c.mode = transceiver
	}
	c.systemID = req.SystemID
	_ = c.conn.SetReadDeadline(time.Time{})
	c.srv.counters.binds.Add(1)
	c.srv.counters.bound.Add(1)
	// The response goes out before attach: the writer sends everything
	// already queued before it looks at deliveries, so pending receipts
	// cannot overtake the bind_resp.
	c.send(bindResp(req, data.ESME_ROK))
	if c.canReceive() {
		c.srv.dl.attach(c)
	}
	c.log.Info("smscsim bound", "system_id", c.systemID, "mode", c.mode.String())
	return true
}

// bindResp encodes the response to req. A failed response has no body
// (SMPP 3.4 section 4.1), except to bind_transceiver: gosmpp's client
// insists on a system_id there and fails to parse the response without it.
func bindResp(req *pdu.BindRequest, status data.CommandStatusType) []byte {
	r := pdu.NewBindResp(*req)
	if status == data.ESME_ROK || req.BindingType == pdu.Transceiver {
		r.SystemID = ourSystemID
		return marshal(r, status)
	}
	return headerOnly(r.CommandID, status, req.SequenceNumber)
}
