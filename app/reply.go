package app

import (
	"context"
	"time"
)

// Reply is a message from a handset to one of our numbers (MO, 上行).
type Reply struct {
	ID           int64
	ChannelID    int64
	From         string
	To           string // our source number plus extension code
	Ext          string
	Content      string
	ReceivedAt   time.Time
	MessageID    int64 // the message it answers, 0 when unknown
	DepartmentID int64
	// Part, when set, says this is one part of a concatenated reply: the
	// store keeps it as a part and stores the reply itself (with ID set on
	// every part of it) when the last part comes.
	Part *ReplyPart
	// Incomplete marks a concatenated reply stored with only the parts that
	// arrived, after its others were awaited for ReplyPartsWait.
	Incomplete bool
	// Duplicate is set by SaveReplies on a reply (or part) it took for the
	// SMSC sending again what was stored already: nothing was stored, and ID
	// is the stored reply's (0 for a part of a reply not complete yet).
	Duplicate bool
}

// ReplyPart is where a part of a concatenated reply belongs: the reference
// the handset gave the whole, how many parts it has, and which this is.
type ReplyPart struct {
	Ref   int // 8-bit from the UDH, 16-bit from the SAR TLVs
	Total int
	Seq   int // from 1
}

// ReplyResendWindow is how close together two replies with the same channel,
// sender, recipient and text (or two copies of the same part) must arrive
// to be taken for one reply the SMSC sent twice. An SMSC sends a deliver_sm
// again when it got no deliver_sm_resp: after our crash between storing and
// answering, or when the connection broke before the answer got through.
// The engine rebinds within seconds and the SMSC sends what is unanswered
// first, so the copy comes seconds after the original. A person typing the
// same text again takes longer than this, and SMPP gives an MO no id of its
// own to tell the two apart: a short window is the trade. A copy that comes
// later (an outage longer than the window) is stored again.
const ReplyResendWindow = 30 * time.Second

// ReplyPartsWait is how long the parts of a concatenated reply wait for the
// rest, counted from the last part that came: then the reply is stored with
// the parts that did, marked Incomplete, rather than lost. A part arriving
// later starts a set of its own.
const ReplyPartsWait = 10 * time.Minute

// ReplyFilter selects replies in a listing.
type ReplyFilter struct {
	Since  time.Time
	Cursor string
	Limit  int
	Newest bool // newest first (the console's inbox); the cursor then goes back
}

// ReplyService answers questions about replies, within the caller's scope.
type ReplyService interface {
	// FindReplies lists replies, oldest first (so integrators can poll with
	// the cursor), and the cursor of the next page.
	FindReplies(ctx context.Context, p *Principal, f ReplyFilter) ([]*Reply, string, error)
}
