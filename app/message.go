package app

import (
	"context"
	"time"
)

// Message is one text to one number. A message of several segments is still
// one message: one row, one charge, one final status.
type Message struct {
	ID           int64
	BatchID      int64
	DepartmentID int64
	UserID       int64
	APIKeyID     int64
	To           string
	Carrier      Carrier
	Content      string
	Segments     int
	Status       Status
	ErrorCode    string
	ChannelID    int64 // the channel that sent it, or last tried to
	Ext          string
	Attempts     int
	SendAt       time.Time // when a scheduled message was due; zero for at once
	CreatedAt    time.Time
	SubmittedAt  time.Time
	DoneAt       time.Time
	// Sent is, for a long message claimed again, what its earlier attempts
	// left at the SMSCs; nil when none of its parts has gone out yet (the
	// usual case, and always for a one-part message).
	Sent *PartsSent
}

// Batch is one send request as stored: one text for many numbers. Its
// messages share the content unless personalised.
type Batch struct {
	ID           int64
	DepartmentID int64
	UserID       int64
	APIKeyID     int64
	ClientRef    string
	Content      string
	Ext          string
	SendAt       time.Time // zero: sent at once
	Total        int       // numbers in the request
	Accepted     int       // messages created
	Segments     int       // per message
	Rejected     []Rejection
	ResendOf     int64 // the batch whose failed numbers this resends
	// Review is "pending" while a free text with a reviewable sensitive
	// word waits for a reviewer, then "approved" or "rejected"; "" when the
	// batch was never held.
	Review       ReviewStatus
	ReviewNote   string // why it was held
	ReviewReason string // why it was rejected
	CreatedAt    time.Time
}

// Rejection tells why one number of a send request was not accepted.
type Rejection struct {
	To      string `json:"to"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// SendRequest is one call to send the same text to one or more numbers.
type SendRequest struct {
	To        []string
	Content   string
	SendAt    time.Time // zero: now
	Ext       string    // extension code appended to the channel's source number
	ClientRef string    // idempotency key, unique per API key
	ResendOf  int64     // the batch whose failed numbers this resends (失败重发); no Content: each its text again

	// A templated send names an approved template instead of Content, and
	// the values of its variables: the same for every number (Params) or
	// one set per number (PerNumber, keyed by the numbers as in To).
	TemplateID int64
	Params     map[string]string
	PerNumber  map[string]map[string]string
	Signature  string // the signature's name; "" for the department's default

	// Address-book recipients (通讯录): every contact of these groups, and
	// these contacts, after the numbers of To. A number is sent once.
	GroupIDs   []int64
	ContactIDs []int64
}

// MaxSendGroups caps the groups one send names.
const MaxSendGroups = 100

// MaxRecipients is the most numbers one send request may carry.
const MaxRecipients = 10000

// Validate checks the request's shape. Numbers are checked one by one by the
// sending service, which rejects bad ones and accepts the rest.
func (r *SendRequest) Validate() error {
	if len(r.To) == 0 && len(r.GroupIDs) == 0 && len(r.ContactIDs) == 0 {
		return FieldError("to", "请至少填写一个手机号码，或选择通讯录分组、联系人")
	} else if len(r.GroupIDs) > MaxSendGroups {
		return FieldError("group_ids", "一次最多选择%d个分组", MaxSendGroups)
	} else if len(r.ContactIDs) > MaxRecipients {
		return FieldError("contact_ids", "一次最多选择%d个联系人", MaxRecipients)
	} else if len(r.To) > MaxRecipients {
		return FieldError("to", "一次最多发送%d个号码，本次%d个", MaxRecipients, len(r.To))
	} else if len(r.ClientRef) > 64 {
		return FieldError("client_ref", "client_ref 最长64个字符")
	}
	if r.TemplateID != 0 {
		if r.Content != "" {
			return FieldError("content", "content 和 template_id 只能填一个")
		} else if r.Params != nil && r.PerNumber != nil {
			return FieldError("params", "params 不能同时有公共变量和按号码的变量")
		}
	} else if r.Params != nil || r.PerNumber != nil || r.Signature != "" {
		return FieldError("template_id", "params 和 signature 只用于模板发送，请填写 template_id")
	} else if r.ResendOf != 0 && r.Content == "" {
		// each number is resent what it was sent before
	} else if err := ValidateContent(r.Content); err != nil {
		return err
	}
	return ValidateExt("ext", r.Ext)
}

// SentMessage is one accepted message in a send answer.
type SentMessage struct {
	ID        int64
	To        string
	Segments  int
	Status    Status
	ErrorCode string // why a message was rejected at once (EBLACKLIST)
}

// SendResult is the answer to a send request. A repeated request with the
// same client reference gets the first answer again.
type SendResult struct {
	BatchID   int64
	Messages  []SentMessage
	Rejected  []Rejection
	Duplicate bool // this is the stored answer of an earlier identical request
	// Review is "pending" when the batch is held for a reviewer (its
	// messages stay accepted until approved); "" otherwise.
	Review ReviewStatus
}

// MessageFilter selects messages in a listing. Zero fields do not filter.
type MessageFilter struct {
	BatchID int64
	To      string
	Status  Status
	Since   time.Time
	Until   time.Time
	Cursor  string
	Limit   int
	// Unreconciled keeps only messages still submitted that await
	// reconciliation: their receipt may be lost and their SMSC cannot be
	// asked (see ReconcileStore).
	Unreconciled bool
}

// MessageService accepts messages and answers questions about them. Every
// method checks the caller's data scope: a record outside it is ENOTFOUND.
type MessageService interface {
	// Send validates and stores a request; what it returns as accepted is
	// durable. A number on a blacklist becomes a message rejected at once
	// (EBLACKLIST). Errors: EINVALID (shape, or no valid number),
	// ESIGNATURE_NOT_APPROVED, ETEMPLATE_NOT_APPROVED, EPARAM_*,
	// ESENSITIVE_WORD, EFORBIDDEN (scope, free text not allowed),
	// EUNAVAILABLE (shutting down).
	Send(ctx context.Context, p *Principal, req *SendRequest) (*SendResult, error)
	// SendAll stores several requests (a console send of more numbers
	// than one request may carry) as one: every batch, or, on any error,
	// none. A balance that does not cover the whole answers EQUOTA with
	// the total charge, charging nothing. Errors: as Send.
	SendAll(ctx context.Context, p *Principal, reqs []*SendRequest) ([]*SendResult, error)
	// FindMessageByID returns one message. Errors: ENOTFOUND.
	FindMessageByID(ctx context.Context, p *Principal, id int64) (*Message, error)
	// FindMessages lists messages, newest first, and the cursor of the next page.
	FindMessages(ctx context.Context, p *Principal, f MessageFilter) ([]*Message, string, error)
}
