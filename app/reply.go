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
}

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
