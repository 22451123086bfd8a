package app

import (
	"context"
	"sync"
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
	// Count is how many calls the entry stands for: refused calls of one
	// source are stored as one entry a minute (0 and 1: one call).
	Count int
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
	// Audit appends an entry, chained to the previous one. Every field is
	// capped to a bounded length before it is stored.
	Audit(ctx context.Context, e *AuditEntry) error
	// AuditRefused records a call refused to a caller not signed in (a
	// wrong API key, a failed login). Such calls are counted per source,
	// action and result each minute: the first is stored at once, the rest
	// as one entry with their Count when the minute ends, so that callers
	// who need no account cannot grow the log without bound.
	AuditRefused(ctx context.Context, e *AuditEntry) error
	// FindAudit lists entries p may see, newest first: all for system
	// administrators and auditors, its subtree's for a department administrator.
	// Errors: EFORBIDDEN.
	FindAudit(ctx context.Context, p *Principal, f AuditFilter) ([]*AuditEntry, string, error)
	// VerifyAudit recomputes the chain (keyed with a secret outside the
	// database) and reports how many entries it checked; an edited,
	// inserted, deleted or rehashed entry is an error naming it, and so are
	// entries missing at the tail or a wiped log (the head is anchored
	// outside the database).
	VerifyAudit(ctx context.Context) (int, error)
}

// PendingAudit is the audit entry of a change not yet stored: an API
// request's, put in its context (WithAudit) before the handler runs. The
// store writes it in the same transaction as the first change the request
// makes, so a change never commits without its entry, whatever the client
// does (issue 14, item 1). A request that makes several changes gets one
// entry, carried by its first: the entry records the request, as the
// caller sees it, not each row. When the request ends without having
// written it (refused, failed, or it changed nothing), the caller writes the
// entry on its own, with a context the client cannot cancel.
type PendingAudit struct {
	mu    sync.Mutex
	entry AuditEntry
	// complete fills what is known only later (who the caller is) at the
	// moment a change claims the entry; false means "not yet": writes made
	// before the caller is known (a signed request's nonce) do not carry it.
	complete func(*AuditEntry) bool
	state    pendingState
}

type pendingState int

const (
	auditWaiting pendingState = iota // no change has claimed it
	auditClaimed                     // in a transaction not yet committed
	auditWritten                     // committed
)

type pendingAuditKey struct{}

// WithAudit returns ctx carrying e as the pending entry of the change ctx's
// request is about to make. complete, if not nil, is called when a change
// claims the entry, to fill in what is known by then; when it returns false
// the change does not carry the entry.
func WithAudit(ctx context.Context, e *AuditEntry, complete func(*AuditEntry) bool) context.Context {
	return context.WithValue(ctx, pendingAuditKey{}, &PendingAudit{entry: *e, complete: complete})
}

// PendingAuditOf returns ctx's pending entry, nil if it has none.
func PendingAuditOf(ctx context.Context) *PendingAudit {
	p, _ := ctx.Value(pendingAuditKey{}).(*PendingAudit)
	return p
}

// Claim hands the entry to a change about to be stored, if no change has
// it yet and it is complete. The change's transaction must call Settle.
func (p *PendingAudit) Claim() (*AuditEntry, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != auditWaiting {
		return nil, false
	}
	e := p.entry
	if p.complete != nil && !p.complete(&e) {
		return nil, false
	}
	p.state = auditClaimed
	return &e, true
}

// Settle ends a claim: committed says the entry is stored with its change;
// otherwise the next change (or the caller's own write) carries it.
func (p *PendingAudit) Settle(committed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == auditClaimed {
		if committed {
			p.state = auditWritten
		} else {
			p.state = auditWaiting
		}
	}
}

// Written reports whether a change has stored the entry.
func (p *PendingAudit) Written() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state == auditWritten
}

// Entry returns a copy of the entry, completed if complete allows, for the
// caller to write on its own.
func (p *PendingAudit) Entry() *AuditEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.entry
	if p.complete != nil {
		p.complete(&e)
	}
	return &e
}
