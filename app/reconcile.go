package app

import (
	"context"
	"time"
)

// MessageState is an SMSC's message_state for a part (SMPP 3.4 section
// 5.2.28), as query_sm answers it.
type MessageState byte

// The message states of SMPP 3.4.
const (
	StateEnroute       MessageState = 1
	StateDelivered     MessageState = 2
	StateExpired       MessageState = 3
	StateDeleted       MessageState = 4
	StateUndeliverable MessageState = 5
	StateAccepted      MessageState = 6
	StateUnknown       MessageState = 7
	StateRejected      MessageState = 8
)

// ReceiptStat is the receipt stat a state stands for, so that a query's
// answer goes through the receipt path (idempotent with a late real
// receipt); final is false while the SMSC itself does not know the outcome
// yet (enroute, accepted) or at all (unknown).
func (s MessageState) ReceiptStat() (stat string, final bool) {
	switch s {
	case StateDelivered:
		return "DELIVRD", true
	case StateExpired:
		return "EXPIRED", true
	case StateDeleted:
		return "DELETED", true
	case StateUndeliverable:
		return "UNDELIV", true
	case StateRejected:
		return "REJECTD", true
	}
	return "", false
}

// Unconfirmed is a message left submitted by an earlier run of the process
// (a crash, a restore, a promote): its receipts may have been lost with
// that run. Parts are its parts with no receipt stored.
type Unconfirmed struct {
	MessageID int64
	Parts     []UnconfirmedPart
}

// UnconfirmedPart is where an SMSC took a part: query_sm names it by the
// SMSC's id and the source_addr it went out with.
type UnconfirmedPart struct {
	SentPart
	Source string // the channel's number and the message's extension
}

// Why a message awaits reconciliation: its receipt may be lost and the SMSC
// could not be asked.
const (
	ReconcileUnsupported = "query_sm_unsupported" // the SMSC does not implement query_sm
	ReconcileUnknown     = "query_sm_unknown"     // the SMSC does not know the part, or its state
)

// ReconcileStore is what reconciliation needs from the store. Statuses are
// set through Outbox.ApplyReceipts, never here.
type ReconcileStore interface {
	// Unconfirmed lists, in id order after afterID, up to limit messages
	// still submitted that were submitted before `before` and are not
	// already marked as awaiting reconciliation.
	Unconfirmed(ctx context.Context, before time.Time, afterID int64, limit int) ([]Unconfirmed, error)
	// MarkUnreconciled records that these messages await reconciliation
	// (a receipt, the 72 h expiry, or an operator), and why.
	MarkUnreconciled(ctx context.Context, ids []int64, reason string) error
	// Unreconciled counts the messages still submitted and marked.
	Unreconciled(ctx context.Context) (int, error)
}

// ReconcileState is how the reconciliation of messages left submitted by
// an earlier run went, as the engine reports it.
type ReconcileState struct {
	Running    bool      `json:"running"`
	Before     time.Time `json:"before"`     // messages submitted before this are checked
	Checked    int       `json:"checked"`    // messages looked at
	Reconciled int       `json:"reconciled"` // given their final status from query_sm
	Pending    int       `json:"pending"`    // the SMSC says still on its way: the receipt will come
	Reported   int       `json:"reported"`   // marked awaiting reconciliation (no query_sm, unknown part)
	Left       int       `json:"left"`       // not checked this time (channel down, no answer)
	// Awaiting counts the messages still submitted and marked awaiting
	// reconciliation, this run's and earlier runs', when the pass ended.
	Awaiting int `json:"awaiting"`
}

// ReconcileMonitor reports the reconciliation of the current run.
type ReconcileMonitor interface {
	Reconciliation() ReconcileState
}
