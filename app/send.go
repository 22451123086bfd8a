package app

import (
	"strings"
	"time"
	"unicode/utf8"
)

// The send policy: what one send request may do, in which order its checks
// run, and what it stores. PlanSend is the only place these rules live; the
// store looks up what they ask for (SendLookup) and writes the plan in one
// transaction. A new rule of sending (a quota debit, address-book
// recipients) is one more lookup and one more step here.

// MaxSchedule is how far ahead a batch may be scheduled.
const MaxSchedule = 180 * 24 * time.Hour

// SendLookup answers the questions the send policy asks of stored data, for
// one caller. The store answers from its database and caches; the policy's
// tests answer from maps. Each method is called at most once per plan, and
// only when the request needs it.
type SendLookup interface {
	// EarlierSend returns the stored answer of the caller's earlier request
	// with the same client reference. Errors: ENOTFOUND when there is none.
	EarlierSend(clientRef string) (*SendResult, error)
	// Words returns the matcher of every sensitive-word list.
	Words() (*Matcher, error)
	// Template returns the template if the caller's department may send
	// with it (its own or one above), approved or not. Errors: ENOTFOUND.
	Template(id int64) (*Template, error)
	// SignatureApproved answers ESIGNATURE_NOT_APPROVED (details.field
	// "signature") unless name is an approved signature of the caller's
	// department or one above it.
	SignatureApproved(name string) error
	// DefaultSignature returns the signature a templated send without one
	// uses. Errors: ESIGNATURE_NOT_APPROVED (none, or no single default).
	DefaultSignature() (string, error)
	// FailedTexts returns what each failed message (undelivered, expired,
	// failed) of a batch in the caller's scope was sent, by number, and the
	// batch's own text. Errors: ENOTFOUND when there is none.
	FailedTexts(batchID int64) (content string, texts map[string]string, err error)
	// Blacklisted reports which of the normalised numbers a blacklist
	// covering the caller's department holds.
	Blacklisted(phones []string) (map[string]bool, error)
	// ExtCodes returns the extension codes on the platform that begin ext,
	// with their departments.
	ExtCodes(ext string) ([]ExtCode, error)
}

// PlannedMessage is one message a plan stores.
type PlannedMessage struct {
	To       string  // normalised
	Carrier  Carrier // from the number's prefix
	Content  string  // its own text; "" when it is the batch's
	Segments int     // 计费条数 of its text
	Code     string  // "" to send; else rejected at once with this code (EBLACKLIST)
}

// SendPlan is what a send request becomes: either the earlier answer of a
// repeated client reference, or one batch and its messages to store.
type SendPlan struct {
	// Earlier is the first answer of a request repeated with the same
	// client reference. When set, nothing is stored and nothing else is set.
	Earlier *SendResult

	Batch      Batch            // the batch row; ID and CreatedAt are the store's
	TemplateID int64            // the template it was filled from; 0 for free text
	Status     Status           // of every sendable message: queued, or accepted while scheduled or held
	Delay      time.Duration    // until a scheduled batch is due; 0 for at once
	Messages   []PlannedMessage // in the request's order, after dropping invalid and repeated numbers
}

// Sendable reports how many of the plan's messages go out (not rejected).
func (p *SendPlan) Sendable() int {
	n := 0
	for _, m := range p.Messages {
		if m.Code == "" {
			n++
		}
	}
	return n
}

// PlanSend applies the send policy to a request, in this order:
//  1. the caller may send (scope send), the request is well formed, and the
//     caller's extension code plus the request's fits;
//  2. a repeated client reference answers as the first time, whatever has
//     changed since; then the request's extension digits may not make an
//     extension beginning with another department's code (SendExtAllowed);
//  3. send_at: at most MaxSchedule ahead; more than a second ahead makes the
//     batch wait (accepted) for its time;
//  4. the text: a resend's own texts (words blocked since refuse it); free
//     text (the caller may send it, it starts with an approved signature,
//     no blocking word; a reviewable word holds the batch for a reviewer);
//     or an approved template filled for everyone or for each number;
//  5. the numbers: normalised, invalid and repeated ones refused one by one,
//     each given its own text where the batch is personalised;
//  6. numbers on a blacklist become messages rejected at once (EBLACKLIST);
//  7. segments, per message and for the batch.
//
// Errors: EFORBIDDEN (scope, free text not allowed), EINVALID (shape, send
// time, no valid number), ENOTFOUND (template, resend batch),
// ETEMPLATE_NOT_APPROVED, ESIGNATURE_NOT_APPROVED, EPARAM_*,
// ESENSITIVE_WORD, and whatever a lookup answers.
func PlanSend(req *SendRequest, p *Principal, now time.Time, look SendLookup) (*SendPlan, error) {
	if !p.HasScope(ScopeSend) {
		return nil, Errorf(EFORBIDDEN, "该应用没有发送权限 (scope send)")
	} else if err := req.Validate(); err != nil {
		return nil, err
	}
	// The sender's extension code comes first, so replies find their way
	// back to it; the request may add digits of its own.
	ext := p.Ext + req.Ext
	if len(ext) > MaxExt {
		return nil, FieldError("ext", "扩展码过长：本账号的扩展码%s加上请求的%s超过%d位", p.Ext, req.Ext, MaxExt)
	}
	if req.ClientRef != "" && p.APIKeyID != 0 {
		if res, err := look.EarlierSend(req.ClientRef); err == nil {
			return &SendPlan{Earlier: res}, nil
		} else if ErrorCode(err) != ENOTFOUND {
			return nil, err
		}
	}

	if req.Ext != "" {
		// The request's digits must not land on another department's code
		// (see ExtOwner): its replies and 退订 would go there.
		codes, err := look.ExtCodes(ext)
		if err != nil {
			return nil, err
		}
		if err := SendExtAllowed(ext, p.DepartmentID, codes); err != nil {
			return nil, err
		}
	}

	plan := &SendPlan{Status: StatusQueued, TemplateID: req.TemplateID}
	if !req.SendAt.IsZero() {
		if d := req.SendAt.Sub(now); d > MaxSchedule {
			return nil, FieldError("send_at", "定时发送时间最多提前180天")
		} else if d > time.Second {
			plan.Status, plan.Delay = StatusAccepted, d
		}
	}

	content, texts, hold, err := sendContent(req, p, look)
	if err != nil {
		return nil, err
	}
	if hold != "" {
		plan.Status = StatusAccepted // until a reviewer releases the batch
	}
	msgs, rejected := sortNumbers(req.To)
	if texts != nil {
		if msgs, rejected, err = ownTexts(msgs, rejected, texts); err != nil {
			return nil, err
		}
	}
	if len(msgs) == 0 {
		return nil, noNumberLeft(rejected)
	}
	if rejected, err = markBlacklisted(msgs, rejected, look); err != nil {
		return nil, err
	}
	segs := CountSegments(content).Count
	if texts != nil {
		segs = msgs[0].Segments
	}
	for i := range msgs {
		if msgs[i].Segments == 0 {
			msgs[i].Segments = segs
		}
	}

	plan.Messages = msgs
	plan.Batch = Batch{DepartmentID: p.DepartmentID, UserID: p.UserID, APIKeyID: p.APIKeyID, ClientRef: req.ClientRef,
		Content: content, Ext: ext, Total: len(req.To), Accepted: plan.Sendable(), Segments: segs,
		Rejected: rejected, ResendOf: req.ResendOf}
	if plan.Delay > 0 {
		plan.Batch.SendAt = req.SendAt
	}
	if hold != "" {
		plan.Batch.Review, plan.Batch.ReviewNote = ReviewPending, hold
	}
	return plan, nil
}

// sortNumbers normalises the numbers, drops repeats and refuses invalid
// ones, keeping the caller's order.
func sortNumbers(to []string) ([]PlannedMessage, []Rejection) {
	carriers := DefaultCarrierTable()
	seen := make(map[string]struct{}, len(to))
	msgs := make([]PlannedMessage, 0, len(to))
	var rejected []Rejection
	for _, raw := range to {
		n, err := NormalizeNumber(raw)
		if err != nil {
			rejected = append(rejected, Rejection{To: raw, Code: ErrorCode(err), Message: ErrorMessage(err)})
			continue
		}
		if _, dup := seen[n]; dup {
			rejected = append(rejected, Rejection{To: raw, Code: EDUPLICATE, Message: "号码重复，已去除"})
			continue
		}
		seen[n] = struct{}{}
		msgs = append(msgs, PlannedMessage{To: n, Carrier: carriers.Lookup(n).Carrier})
	}
	return msgs, rejected
}

// noNumberLeft is the 400 of a request none of whose numbers can be sent
// to. When the first number failed on its template values, the answer
// carries that code.
func noNumberLeft(rejected []Rejection) error {
	err := FieldError("to", "没有有效的手机号码")
	if c := rejected[0].Code; strings.HasPrefix(c, "EPARAM_") || c == ESENSITIVE_WORD {
		err = FieldError("params", "%s", rejected[0].Message)
		err.Code = c
	}
	err.Details["rejected"] = rejected
	return err
}

// markBlacklisted marks the messages whose numbers a blacklist holds, and
// reports them as rejected too.
func markBlacklisted(msgs []PlannedMessage, rejected []Rejection, look SendLookup) ([]Rejection, error) {
	phones := make([]string, len(msgs))
	for i, m := range msgs {
		phones[i] = m.To
	}
	black, err := look.Blacklisted(phones)
	if err != nil || len(black) == 0 {
		return rejected, err
	}
	for i := range msgs {
		if black[msgs[i].To] {
			msgs[i].Code = EBLACKLIST
			rejected = append(rejected, Rejection{To: msgs[i].To, Code: EBLACKLIST, Message: "号码在黑名单中，未发送"})
		}
	}
	return rejected, nil
}

// LeadingSignature returns the name inside a text's leading 【】.
func LeadingSignature(content string) (string, bool) {
	rest, ok := strings.CutPrefix(content, "【")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "】")
	if !ok || name == "" || utf8.RuneCountInString(name) > 20 {
		return "", false
	}
	return name, true
}
