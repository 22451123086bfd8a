package ui

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	"smsgw/app"
)

// processStats is the server's own resource use, for `smsgw bench` and
// monitoring: CPU time since start and the peak resident memory.
func processStats() map[string]any {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	out := map[string]any{"cpu_ms": cpu.Milliseconds(), "peak_rss_mb": ru.Maxrss / 1024, "goroutines": runtime.NumGoroutine()}
	// statm's second field is the resident set, in pages.
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			if pages, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				out["rss_mb"] = pages * int64(os.Getpagesize()) >> 20
			}
		}
	}
	return out
}

// health answers /healthz with the live state of the channels.
func (s *Server) health(c echo.Context) error {
	body := map[string]any{"status": "ok", "version": s.opts.Version, "process": processStats()}
	if s.opts.DBSize != nil {
		body["db_mb"] = float64(s.opts.DBSize()) / (1 << 20)
	}
	chans, bound := map[string]app.ChannelState{}, 0
	for id, st := range s.opts.Monitor.ChannelStates() {
		chans[formatID(id)] = st
		if st.Bound {
			bound++
		}
	}
	body["channels"], body["bound_channels"] = chans, bound
	if bound == 0 {
		body["warning"] = "没有可用通道：短信将排队等待 (no channel bound: messages wait queued)"
	}
	// Messages whose receipt a crash, restore or promote may have lost and
	// whose SMSC cannot be asked with query_sm (issue 13, item 5).
	if rm, ok := s.opts.Monitor.(app.ReconcileMonitor); ok {
		st := rm.Reconciliation()
		body["reconciliation"] = st
		if st.Awaiting > 0 {
			body["warning"] = fmt.Sprintf("%d 条已提交短信待对账，状态报告可能已丢失 (awaiting reconciliation: GET /api/v1/messages?awaiting=reconciliation)", st.Awaiting)
		}
	}
	if s.opts.Replication != nil {
		st := s.opts.Replication.ReplicationState()
		body["replication"] = st
		if !st.Healthy {
			body["status"] = "degraded"
			body["warning"] = fmt.Sprintf("备份副本落后 %.0f 秒 (replica behind): %s", st.LagSeconds, st.Error)
		}
	}
	return c.JSON(http.StatusOK, body)
}
