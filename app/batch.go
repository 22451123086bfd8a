package app

import (
	"context"
	"time"
)

// BatchSummary is a batch with its messages counted by status: what the
// console's records page shows as progress.
type BatchSummary struct {
	Batch
	Counts map[Status]int
}

// Done is how many of the batch's messages have a final status.
func (b *BatchSummary) Done() int {
	n := 0
	for s, c := range b.Counts {
		if s.Final() {
			n += c
		}
	}
	return n
}

// BatchFilter selects batches in a listing; zero fields do not filter.
type BatchFilter struct {
	Since, Until time.Time
	Content      string       // a part of the text
	To           string       // batches that sent to this number
	UserID       int64        // batches this console user sent
	Review       ReviewStatus // "pending": batches held for a reviewer
	Cursor       string
	Limit        int
}

// BatchService answers questions about batches, within the caller's scope.
type BatchService interface {
	// FindBatches lists batches, newest first, and the next page's cursor.
	FindBatches(ctx context.Context, p *Principal, f BatchFilter) ([]*BatchSummary, string, error)
	// FindBatchByID returns one batch. Errors: ENOTFOUND.
	FindBatchByID(ctx context.Context, p *Principal, id int64) (*BatchSummary, error)
	// CancelBatch cancels the messages of a scheduled batch that have not
	// gone yet and returns how many. Errors: ENOTFOUND, ECONFLICT (not a
	// scheduled batch, or its time has come).
	CancelBatch(ctx context.Context, p *Principal, id int64) (int, error)
	// ReviewBatch releases a held batch (approve: its messages are queued,
	// or wait for their scheduled time) or refuses it (reject: its messages
	// become rejected, EREVIEW). Errors: EFORBIDDEN (not a reviewer),
	// ENOTFOUND, ECONFLICT (not held).
	ReviewBatch(ctx context.Context, p *Principal, id int64, r *Review) (*BatchSummary, error)
	// CountMessagesByHour counts the messages created since then by status,
	// for each hour (24 of them, the first from since).
	CountMessagesByHour(ctx context.Context, p *Principal, since time.Time) ([]map[Status]int, error)
}
