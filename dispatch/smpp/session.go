// Package smpp is the SMPP side of a channel: one transceiver session to an
// SMSC, kept bound until closed, that submits a message's parts and turns
// what the SMSC sends (responses, receipts, replies) into calls on a
// Handler. It knows nothing of scheduling, retries or the store; gosmpp is
// used here and nowhere else in the engine.
package smpp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linxGnu/gosmpp"
	"github.com/linxGnu/gosmpp/pdu"

	"smsgw/app"
)

// Handler is told what happens on a session. Its methods run on the
// session's goroutines (PDUs on the read goroutine, where gosmpp would end
// the process on a panic, so the session recovers them), so they must not
// block for long.
type Handler interface {
	// Bound says the session is bound: after the first bind, or again
	// after losing the connection. Submit works from now on.
	Bound()
	// Down says the bound session has ended, lost or closed. Parts still
	// waiting for a response will get none: they may or may not have
	// reached the SMSC. The session binds again unless it was closed.
	Down()
	// Fault reports why binding, reading or writing failed; the error's
	// text starts with "bind: ", "receive: " or "write: ".
	Fault(err error)
	// SubmitFailed says the part with sequence number seq (or some other
	// PDU) could not be written; the connection is torn down after it.
	SubmitFailed(seq int32)
	// Response is the SMSC's answer to the part seq: a submit_sm_resp, or
	// a generic_nack (then smscID is empty).
	Response(seq int32, st Status, smscID string)
	// Receipt is a delivery receipt. The SMSC is answered only when ack is
	// called, which must be once the receipt is stored: an SMSC that gets
	// no answer sends it again, after a crash too.
	Receipt(r app.Receipt, ack func())
	// Reply is a reply or one part of it, to be acknowledged like a
	// receipt.
	Reply(p ReplyPart, ack func())
}

// Config says where a session binds and whom it tells.
type Config struct {
	Addr     string // host:port of the SMSC
	SystemID string
	Password string
	Handler  Handler
	Logger   *slog.Logger // nil: discard
}

// ErrNotBound is Submit's error while no session is bound.
var ErrNotBound = errors.New("smpp: not bound")

// Session is a transceiver session to one SMSC that binds again whenever
// it is lost, until its context ends.
type Session struct {
	cfg  Config
	h    Handler
	log  *slog.Logger
	done chan struct{}

	cur         atomic.Pointer[gosmpp.Session] // nil while unbound
	lastDeliver atomic.Int64                   // unix ns of the last deliver_sm
	q           queries                        // query_sm awaiting an answer

	mu    sync.Mutex
	fault string // the last Fault, for the log when the session is lost
}

// Open starts binding in the background and keeps a session bound until
// ctx ends, retrying a failed bind with backoff (gosmpp does not retry a
// failed first bind, and its own rebind is off: one loop owns the
// session's life). Wait for Done after cancelling ctx.
func Open(ctx context.Context, cfg Config) *Session {
	s := &Session{cfg: cfg, h: cfg.Handler, log: cfg.Logger, done: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	go s.run(ctx)
	return s
}

// Done is closed once ctx has ended and the session is unbound and closed.
func (s *Session) Done() <-chan struct{} { return s.done }

// Submit writes one part. nil only means queued for writing: the answer
// comes through Handler.Response, or, if the connection goes first,
// Handler.SubmitFailed or Handler.Down. During a rebind it fails (with
// ErrNotBound, or gosmpp's ErrConnectionClosing): retry later.
func (s *Session) Submit(p Part) error { return s.SubmitOn(s.Current(), p) }

// Link is one bound connection of a session: what a sender saw bound
// when it decided to submit.
type Link struct{ g *gosmpp.Session }

// Current is the connection bound now (unbound: a Link that submits
// nothing).
func (s *Session) Current() Link { return Link{s.cur.Load()} }

// SubmitOn submits p on l only: ErrNotBound once the session lost or
// replaced that connection. A sender that checked "bound", then stalled
// while the connection dropped (its parts in flight answered as retries)
// and a new one bound, must not send the part on the new connection: its
// retry will, and the part would go twice.
func (s *Session) SubmitOn(l Link, p Part) error {
	if l.g == nil || s.cur.Load() != l.g {
		return ErrNotBound
	}
	return l.g.Transceiver().Submit(p.p)
}

// LastDeliver is when the SMSC last sent a deliver_sm (receipt or reply);
// zero if never. A stopping channel waits while receipts keep coming.
func (s *Session) LastDeliver() time.Time {
	ns := s.lastDeliver.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

func (s *Session) run(ctx context.Context) {
	defer close(s.done)
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		died := make(chan struct{})
		var once sync.Once
		kill := func() { once.Do(func() { close(died) }) }
		l := &link{}
		sess, err := gosmpp.NewSession(gosmpp.TRXConnector(dial, gosmpp.Auth{
			SMSC: s.cfg.Addr, SystemID: s.cfg.SystemID, Password: s.cfg.Password,
		}), gosmpp.Settings{
			ReadTimeout:  45 * time.Second,
			WriteTimeout: 10 * time.Second,
			EnquireLink:  15 * time.Second,
			OnAllPDU:     func(p pdu.PDU) (pdu.PDU, bool) { return s.onPDU(l, p) },
			OnReceivingError: func(err error) {
				s.setFault(fmt.Errorf("receive: %w", err))
				kill()
			},
			OnSubmitError: func(p pdu.PDU, err error) {
				s.setFault(fmt.Errorf("write: %w", err))
				s.h.SubmitFailed(p.GetSequenceNumber())
				kill()
			},
			OnClosed: func(gosmpp.State) { kill() },
		}, -1)
		if err != nil {
			s.setFault(fmt.Errorf("bind: %w", err))
			s.log.Warn("bind failed", "smsc", s.cfg.Addr, "error", err)
			if !sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = 500 * time.Millisecond
		s.log.Info("bound", "smsc", s.cfg.Addr)
		s.mu.Lock()
		s.fault = ""
		s.mu.Unlock()
		l.sess.Store(sess)
		s.cur.Store(sess)
		s.h.Bound()
		select {
		case <-died:
			s.mu.Lock()
			fault := s.fault
			s.mu.Unlock()
			s.log.Warn("session lost", "error", fault)
		case <-ctx.Done():
		}
		s.cur.Store(nil)
		s.h.Down()
		sess.Close()
		if !sleep(ctx, 500*time.Millisecond) {
			return
		}
	}
}

func (s *Session) setFault(err error) {
	s.mu.Lock()
	s.fault = err.Error()
	s.mu.Unlock()
	s.h.Fault(err)
}

// dial connects with a deadline covering the bind, which gosmpp reads
// without one; the session's own timeouts take over after the bind.
func dial(addr string) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	return guard(conn), nil
}

// sleep waits d; false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
