package ui

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"smsgw/app"
)

// limiters holds one token bucket per API key: the key's requests per
// second, with a second's worth of burst.
type limiters struct {
	mu sync.Mutex
	m  map[int64]*rate.Limiter
}

// allow takes a token for p, or returns how long to wait for one.
func (l *limiters) allow(p *app.Principal, now time.Time) (bool, time.Duration) {
	if p.APIKeyID == 0 || p.RateLimit <= 0 {
		return true, 0
	}
	l.mu.Lock()
	lim, ok := l.m[p.APIKeyID]
	if !ok {
		lim = rate.NewLimiter(rate.Limit(p.RateLimit), p.RateLimit)
		l.m[p.APIKeyID] = lim
	} else if lim.Limit() != rate.Limit(p.RateLimit) {
		lim.SetLimitAt(now, rate.Limit(p.RateLimit)) // changed since
		lim.SetBurstAt(now, p.RateLimit)
	}
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// rateLimit answers 429 with Retry-After once an API key goes over its
// requests per second.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok, wait := s.limits.allow(principal(c), time.Now()); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			c.Response().Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			return app.Errorf(app.ERATELIMIT, "请求过于频繁：本应用每秒最多%d次，请稍后重试", principal(c).RateLimit)
		}
		return next(c)
	}
}
