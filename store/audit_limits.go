package store

import (
	"strings"
	"unicode/utf8"

	"smsgw/app"
)

// Each field of an audit entry is capped before it is stored (issue 14,
// item 4): much of an entry comes from the caller (a username typed at the
// login page, a User-Agent, a request body), and a caller not even signed
// in must not grow the database by megabytes a call. A cut field ends with
// capMark, cut at a UTF-8 boundary.
const (
	maxAuditActor     = 128
	maxAuditAction    = 160
	maxAuditTarget    = 256
	maxAuditSummary   = 2048
	maxAuditResult    = 32
	maxAuditIP        = 64
	maxAuditUserAgent = 512
	capMark           = "…[截断]"
)

// capEntry caps e's fields in place.
func capEntry(e *app.AuditEntry) {
	for _, f := range []struct {
		s   *string
		max int
	}{{&e.Actor, maxAuditActor}, {&e.Action, maxAuditAction}, {&e.Target, maxAuditTarget}, {&e.Summary, maxAuditSummary},
		{&e.Result, maxAuditResult}, {&e.IP, maxAuditIP}, {&e.UserAgent, maxAuditUserAgent}} {
		*f.s = capField(*f.s, f.max)
	}
}

// capField cuts s to at most max bytes, marked, at a rune boundary; invalid
// UTF-8 is replaced first, so the stored text is always valid.
func capField(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= max {
		return s
	}
	cut := max - len(capMark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + capMark
}
