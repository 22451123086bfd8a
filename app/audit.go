package app

import (
	"context"
	"time"
)

// AuditEntry is one line of the audit log: who did what to what, from
// where, and how it ended. Phone numbers in it are masked.
type AuditEntry struct {
	ID           int64
	At           time.Time
	UserID       int64
	APIKeyID     int64
	Actor        string // "api", "console", "cli:<os user>"
	Role         Role
	DepartmentID int64
	Action       string // e.g. "POST /api/v1/channels", "channel.disable", "login"
	Target       string // the record acted on, e.g. "channel:3"
	Summary      string // a short description of the change
	Result       string // "ok", or the error code
	IP           string
	UserAgent    string
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	UserID   int64
	APIKeyID int64
	Action   string // prefix
	Since    time.Time
	Until    time.Time
	Cursor   string
	Limit    int
}

// AuditService keeps the tamper-evident audit log.
type AuditService interface {
	// Audit appends an entry, chained to the previous one.
	Audit(ctx context.Context, e *AuditEntry) error
	// FindAudit lists entries p may see, newest first: all for system
	// administrators and auditors, its subtree's for a department administrator.
	// Errors: EFORBIDDEN.
	FindAudit(ctx context.Context, p *Principal, f AuditFilter) ([]*AuditEntry, string, error)
	// VerifyAudit recomputes the chain and reports how many entries it
	// checked; an edited, inserted or deleted entry is an error naming it.
	VerifyAudit(ctx context.Context) (int, error)
}
