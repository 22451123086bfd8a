package app

import (
	"context"
	"time"
)

// Quota is counted in segments (条, 计费条数). A department may have its
// own account; a send draws on the nearest account at or above its
// department (one without its own quota draws on its parent's, and so
// on). A department with no account anywhere on its chain to the root is
// unmetered (不限额): nothing limits its sends and they write no ledger
// entry. Topping up a department creates its account.
//
// The charge of a send is the segments of the messages it will send (not
// those refused at accept), taken at accept time in the transaction that
// stores the batch; a send that would overdraw answers EQUOTA and stores
// nothing. Refunds (RefundFailed): a message that ends without reaching a
// carrier (refused by a reviewer, cancelled, failed while waiting) is
// always refunded; one that failed, was undelivered or expired after it
// went out only when the platform setting 失败退还 is on. Each message is
// refunded at most once, to the account that paid.

// LedgerKind is what a ledger entry records.
type LedgerKind string

// The ledger's kinds.
const (
	LedgerTopup    LedgerKind = "topup"    // a system administrator's top-up or correction (negative)
	LedgerDebit    LedgerKind = "debit"    // a send, at accept time
	LedgerRefund   LedgerKind = "refund"   // messages of a batch that ended unsent (or failed, by the setting)
	LedgerAllocate LedgerKind = "allocate" // a move between a department and one below it (划拨)
)

// Valid reports whether k is a known kind.
func (k LedgerKind) Valid() bool {
	switch k {
	case LedgerTopup, LedgerDebit, LedgerRefund, LedgerAllocate:
		return true
	}
	return false
}

// MaxTopUp bounds one top-up or allocation, so a typo of a few extra
// digits is refused rather than booked.
const MaxTopUp = 1_000_000_000

// Account is what a department draws on.
type Account struct {
	DepartmentID int64 // the department asked about
	// PaidBy is the department whose account its sends draw on: its own,
	// or the nearest above it with one. 0: unmetered (不限额).
	PaidBy              int64
	Balance             int64 // of PaidBy's account; 0 when unmetered
	LowBalanceThreshold int64 // of PaidBy's account
	// MonthUsed is this month's segments debited minus refunded for sends
	// of the department and every department below it, metered or not.
	MonthUsed int64
}

// Unmetered reports whether the department's sends are not limited.
func (a *Account) Unmetered() bool { return a.PaidBy == 0 }

// Low reports whether the balance is at or below its threshold.
func (a *Account) Low() bool { return !a.Unmetered() && a.Balance <= a.LowBalanceThreshold }

// LedgerEntry is one change of an account's balance.
type LedgerEntry struct {
	ID           int64
	At           time.Time
	DepartmentID int64 // the account's department
	Department   string
	Kind         LedgerKind
	Segments     int64 // signed: positive adds to the balance
	BalanceAfter int64
	BatchID      int64  // debit and refund; 0 otherwise
	Actor        string // the user's or the app's name; "" for the platform (a refund)
	Note         string
}

// LedgerFilter selects ledger entries. DepartmentID 0 is every account the
// caller sees.
type LedgerFilter struct {
	DepartmentID int64
	Kind         LedgerKind
	Since, Until time.Time
	Cursor       string
	Limit        int
}

// Consumption is one month's use of one department (by one sender when
// ByUser).
type Consumption struct {
	Month        string // YYYY-MM, China time
	DepartmentID int64
	Department   string
	UserID       int64 // ByUser: the console user (0 for an app)
	APIKeyID     int64 // ByUser: the app (0 for a console user)
	Sender       string
	Debited      int64
	Refunded     int64
}

// Used is the month's net use.
func (c Consumption) Used() int64 { return c.Debited - c.Refunded }

// ConsumptionFilter selects monthly consumption. Months are YYYY-MM,
// inclusive; "" for no bound.
type ConsumptionFilter struct {
	DepartmentID int64 // 0: every department the caller sees
	ByUser       bool  // one row per sender rather than per department
	From, To     string
}

// MonthOf is the billing month (YYYY-MM) of t, in China time (UTC+8, no
// daylight saving).
func MonthOf(t time.Time) string { return t.In(chinaTime).Format("2006-01") }

var chinaTime = time.FixedZone("CST", 8*3600)

// AccountService keeps the quota accounts and their ledger.
type AccountService interface {
	// Account returns what department dept draws on; MonthUsed is the
	// department's subtree's net use this month, an operator's its own
	// sends'. Errors: ENOTFOUND (no such department, or one the caller may
	// not see: an operator asking about another department too),
	// EFORBIDDEN (an app without scope account or admin).
	Account(ctx context.Context, p *Principal, dept int64) (*Account, error)
	// TopUp adds segments (negative: a correction, never below 0) to the
	// department's account, creating it. System administrators only.
	// Errors: EFORBIDDEN, ENOTFOUND, EINVALID (no note, zero, too large,
	// a correction beyond the balance).
	TopUp(ctx context.Context, p *Principal, dept, segments int64, note string) (*LedgerEntry, error)
	// Allocate moves segments from a department's account to the account
	// of a department below it (creating it). A system administrator, or a
	// department administrator within its subtree. Errors: EFORBIDDEN,
	// ENOTFOUND, EINVALID (not below, not positive), EQUOTA (more than the
	// giver holds, or the giver has no account of its own).
	Allocate(ctx context.Context, p *Principal, from, to, segments int64, note string) error
	// SetLowBalance sets an account's low-balance threshold (低余额提醒).
	// A system administrator, or a department administrator within its
	// subtree. Errors: EFORBIDDEN, ENOTFOUND (also: the department has no
	// account of its own), EINVALID.
	SetLowBalance(ctx context.Context, p *Principal, dept, threshold int64) error
	// Ledger lists entries newest first. Errors: ENOTFOUND, EFORBIDDEN,
	// EINVALID.
	Ledger(ctx context.Context, p *Principal, f LedgerFilter) ([]*LedgerEntry, string, error)
	// Consumption answers monthly consumption, newest month first. An
	// operator sees only its own.
	Consumption(ctx context.Context, p *Principal, f ConsumptionFilter) ([]Consumption, error)
	// RefundFailed reports the setting 失败退还.
	RefundFailed(ctx context.Context) (bool, error)
	// SetRefundFailed changes it; system administrators only.
	SetRefundFailed(ctx context.Context, p *Principal, on bool) error
}
