package smscsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// ControlHandler returns the HTTP control endpoint, for demos and for tests
// that drive the simulator from outside the process:
//
//	POST /mo?from=&to=&text=   inject an MO (409 when no receiver is bound)
//	GET  /stats                Stats as JSON
//	POST /drop                 DropConnections
//	GET  /config               the runtime knobs as JSON
//	POST /config?undelivered=&throttle=&error=&tps=&receipt_delay_ms=&receipt_before_resp=
//	                           set the knobs given, answer all of them
//	GET  /submitted?limit=100  the last accepted parts, oldest first
func (s *Server) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mo", s.handleMO)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("POST /drop", func(w http.ResponseWriter, r *http.Request) {
		s.DropConnections()
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.HandleFunc("GET /config", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, knobsOf(s.cfg.Load()))
	})
	mux.HandleFunc("POST /config", s.handleConfig)
	mux.HandleFunc("GET /submitted", func(w http.ResponseWriter, r *http.Request) {
		limit := 100
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				writeError(w, http.StatusBadRequest, "limit must be a positive integer")
				return
			}
			limit = n
		}
		writeJSON(w, http.StatusOK, s.rec.last(limit))
	})
	return mux
}

// StartControl serves ControlHandler on addr (for example "127.0.0.1:0")
// until Close, and returns its base URL.
func (s *Server) StartControl(addr string) (string, error) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if s.closed {
		return "", errors.New("smscsim: server closed")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("smscsim: control listen: %w", err)
	}
	h := &http.Server{Handler: s.ControlHandler(), ReadHeaderTimeout: 10 * time.Second}
	s.controls = append(s.controls, h)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := h.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("smscsim control endpoint", "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

func (s *Server) handleMO(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, text := q.Get("from"), q.Get("to"), q.Get("text")
	if from == "" || to == "" || text == "" {
		writeError(w, http.StatusBadRequest, "from, to and text are required")
		return
	}
	switch err := s.InjectMO(from, to, text); {
	case errors.Is(err, ErrNoReceiver):
		writeError(w, http.StatusConflict, err.Error())
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	}
}

// knobs are the options the control endpoint can change.
type knobs struct {
	Undelivered       float64 `json:"undelivered"`
	Throttle          float64 `json:"throttle"`
	Error             float64 `json:"error"`
	TPS               int     `json:"tps"`
	ReceiptDelayMS    int64   `json:"receipt_delay_ms"`
	ReceiptBeforeResp bool    `json:"receipt_before_resp"`
	DropReceipts      bool    `json:"drop_receipts"`
	RefuseQuery       bool    `json:"refuse_query"`
}

func knobsOf(c *config) knobs {
	return knobs{
		Undelivered:       c.UndeliveredRatio,
		Throttle:          c.ThrottleRatio,
		Error:             c.ErrorRatio,
		TPS:               c.TPS,
		ReceiptDelayMS:    c.ReceiptDelay.Milliseconds(),
		ReceiptBeforeResp: c.ReceiptBeforeResp,
		DropReceipts:      c.DropReceipts,
		RefuseQuery:       c.RefuseQuery,
	}
}

// handleConfig validates every parameter before changing anything, so a
// bad request leaves the options as they were.
func (s *Server) handleConfig(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var edits []func(*Options)
	for _, p := range []struct {
		name string
		set  func(*Options, float64)
	}{
		{"undelivered", func(o *Options, v float64) { o.UndeliveredRatio = v }},
		{"throttle", func(o *Options, v float64) { o.ThrottleRatio = v }},
		{"error", func(o *Options, v float64) { o.ErrorRatio = v }},
	} {
		if !q.Has(p.name) {
			continue
		}
		v, err := strconv.ParseFloat(q.Get(p.name), 64)
		if err != nil || !(v >= 0 && v <= 1) {
			writeError(w, http.StatusBadRequest, p.name+" must be a number from 0 to 1")
			return
		}
		edits = append(edits, func(o *Options) { p.set(o, v) })
	}
	if q.Has("tps") {
		v, err := strconv.Atoi(q.Get("tps"))
		if err != nil || v < 0 {
			writeError(w, http.StatusBadRequest, "tps must be a non-negative integer")
			return
		}
		edits = append(edits, func(o *Options) { o.TPS = v })
	}
	if q.Has("receipt_delay_ms") {
		v, err := strconv.ParseInt(q.Get("receipt_delay_ms"), 10, 64)
		if err != nil || v > int64(24*time.Hour/time.Millisecond) {
			writeError(w, http.StatusBadRequest, "receipt_delay_ms must be an integer (ms, at most a day)")
			return
		}
		edits = append(edits, func(o *Options) { o.ReceiptDelay = time.Duration(v) * time.Millisecond })
	}
	for _, p := range []struct {
		name string
		set  func(*Options, bool)
	}{
		{"receipt_before_resp", func(o *Options, v bool) { o.ReceiptBeforeResp = v }},
		{"drop_receipts", func(o *Options, v bool) { o.DropReceipts = v }},
		{"refuse_query", func(o *Options, v bool) { o.RefuseQuery = v }},
	} {
		if !q.Has(p.name) {
			continue
		}
		v, err := strconv.ParseBool(q.Get(p.name))
		if err != nil {
			writeError(w, http.StatusBadRequest, p.name+" must be true or false")
			return
		}
		edits = append(edits, func(o *Options) { p.set(o, v) })
	}
	s.SetOptions(func(o *Options) {
		for _, e := range edits {
			e(o)
		}
	})
	writeJSON(w, http.StatusOK, knobsOf(s.cfg.Load()))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
