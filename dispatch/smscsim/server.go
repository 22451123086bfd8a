package smscsim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server is an SMSC simulator. Create it with New, then Start it; all its
// methods are safe for concurrent use.
type Server struct {
	log      *slog.Logger
	idPrefix string // random per Server, so ids stay unique across restarts
	ids      atomic.Uint64
	moRef    atomic.Uint32 // concatenation reference of injected MOs
	connIDs  atomic.Uint64

	mu    sync.Mutex // serialises SetOptions and guards seeds
	cfg   atomic.Pointer[config]
	seeds *mrand.Rand // seeds each session's own generator

	lmu      sync.Mutex // guards the fields below
	ln       net.Listener
	controls []*http.Server
	sessions map[*session]struct{}
	closed   bool

	quit chan struct{}
	wg   sync.WaitGroup

	counters counters
	rec      *recorder
	states   states // for query_sm
	dl       deliveries
	sched    scheduler
}

// New returns a Server configured by opts; it does nothing until Start.
func New(opts Options) *Server {
	if opts.ReceiptDelay == 0 {
		opts.ReceiptDelay = defaultReceiptDelay
	}
	if opts.Keep == 0 {
		opts.Keep = defaultKeep
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	seed := uint64(opts.Seed)
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	var prefix [4]byte
	_, _ = rand.Read(prefix[:]) // never fails on supported platforms
	s := &Server{
		log:      opts.Logger,
		idPrefix: hex.EncodeToString(prefix[:]),
		seeds:    mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		sessions: make(map[*session]struct{}),
		quit:     make(chan struct{}),
		rec:      newRecorder(opts.Keep),
	}
	s.cfg.Store(newConfig(opts, nil))
	s.sched.init()
	return s
}

// Start listens on addr (for example "127.0.0.1:0") and serves SMPP in the
// background until Close.
func (s *Server) Start(addr string) error {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.closed {
		return errors.New("smscsim: server closed")
	}
	if s.ln != nil {
		return errors.New("smscsim: already started")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("smscsim: listen: %w", err)
	}
	s.ln = ln
	s.wg.Add(2)
	go s.accept(ln)
	go s.runScheduler()
	s.log.Info("smscsim listening", "addr", ln.Addr().String())
	return nil
}

// Addr returns the SMPP listen address after Start, or "" before.
func (s *Server) Addr() string {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Close stops listening, closes every session and control endpoint, and
// waits for all goroutines to end. Undelivered receipts are discarded.
func (s *Server) Close() error {
	s.lmu.Lock()
	if s.closed {
		s.lmu.Unlock()
		return nil
	}
	s.closed = true
	close(s.quit)
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	for c := range s.sessions {
		_ = c.conn.Close()
	}
	controls := s.controls
	s.lmu.Unlock()
	// Shutdown lets running handlers finish, so none outlives Close; it
	// runs unlocked because a handler (POST /drop) may need s.lmu.
	for _, h := range controls {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = h.Shutdown(ctx)
		cancel()
		_ = h.Close()
	}
	s.wg.Wait()
	return err
}

// SetOptions changes options while the server runs: f gets the current
// values and edits them in place. Keep, Logger and Seed are fixed at New and
// changes to them are ignored.
func (s *Server) SetOptions(f func(*Options)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.cfg.Load()
	o := prev.Options
	f(&o)
	o.Keep, o.Logger, o.Seed = prev.Keep, prev.Logger, prev.Seed
	s.cfg.Store(newConfig(o, prev))
}

// DropConnections abruptly closes every client connection, as a carrier
// fault would. The listener stays up so clients can bind again; receipts
// that were not acknowledged are delivered after the rebind.
func (s *Server) DropConnections() {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	for c := range s.sessions {
		_ = c.conn.Close()
	}
	s.log.Info("smscsim dropped all connections", "count", len(s.sessions))
}

// accept runs the listener until Close.
func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			select {
			case <-s.quit:
				return
			default:
			}
			// Temporary errors (out of file descriptors) must not spin.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("smscsim accept", "err", err)
			select {
			case <-time.After(backoff):
			case <-s.quit:
				return
			}
			continue
		}
		backoff = 0
		c := s.newSession(conn)
		s.lmu.Lock()
		if s.closed {
			s.lmu.Unlock()
			_ = conn.Close()
			return
		}
		s.sessions[c] = struct{}{}
		s.wg.Add(1)
		s.lmu.Unlock()
		go c.serve()
	}
}

// forget removes a finished session from the registry.
func (s *Server) forget(c *session) {
	s.lmu.Lock()
	delete(s.sessions, c)
	s.lmu.Unlock()
}

// nextID returns a new message id: the Server's random prefix and a
// counter, 20 hex digits in all.
func (s *Server) nextID() string {
	const digits = "0123456789abcdef"
	n := s.ids.Add(1)
	var b [20]byte
	copy(b[:8], s.idPrefix)
	for i := len(b) - 1; i >= 8; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

// newRand returns a generator for one session, seeded from the Server's so
// that a fixed Seed gives repeatable runs for a single session.
func (s *Server) newRand() *mrand.Rand {
	s.mu.Lock()
	defer s.mu.Unlock()
	return mrand.New(mrand.NewPCG(s.seeds.Uint64(), s.seeds.Uint64()))
}
