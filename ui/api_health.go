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

// health answers /healthz: to anyone its status (ok or degraded) and
// version; to an administrator (an API key with the admin scope, a signed-in
// system administrator) also the channels, their errors, the process and
// the replica, which tell an attacker too much (issue 14, item 18).
func (s *Server) health(c echo.Context) error {
	body := map[string]any{"status": "ok", "version": s.opts.Version}
	if s.opts.Replication != nil && !s.opts.Replication.ReplicationState().Healthy {
		body["status"] = "degraded"
	}
	if !s.healthAdmin(c) {
		return c.JSON(http.StatusOK, body)
	}
	body["process"] = processStats()
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

// healthAdmin reports whether the caller of /healthz may see its details.
// A wrong key is not an error here: the caller gets the public answer.
func (s *Server) healthAdmin(c echo.Context) bool {
	ctx := c.Request().Context()
	if secret, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer "); ok && strings.TrimSpace(secret) != "" {
		p, err := s.opts.Keys.Authenticate(ctx, strings.TrimSpace(secret))
		return err == nil && p.AllowsIP(c.RealIP()) && p.HasScope(app.ScopeAdmin)
	}
	sess := s.console.session(c)
	uid, _ := sess.Values["uid"].(int64)
	ver, _ := sess.Values["ver"].(int)
	if uid == 0 {
		return false
	}
	_, p, err := s.opts.Logins.SessionPrincipal(ctx, uid, ver)
	return err == nil && p.Role == app.RoleSysadmin
}
