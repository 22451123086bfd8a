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
	// Recipients returns the contacts of the groups, then the contacts,
	// that the caller sees, each once. Errors: EINVALID naming
	// group_ids[i] or contact_ids[i] for one it does not see, exactly as
	// for one that does not exist.
	Recipients(groupIDs, contactIDs []int64) ([]*Contact, error)
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
	// Charge is the segments the send costs: those of the messages that
	// go out, not of those refused at accept. The store debits it from the
	// account the department draws on, in the transaction that stores the
	// batch (see AccountService).
	Charge int64
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
//     batch wait (accepted) for its time; the address-book groups and
//     contacts add their numbers after those of to;
//  4. the text: a resend's own texts (words blocked since refuse it); free
//     text (the caller may send it, it starts with an approved signature,
//     no blocking word; a reviewable word holds the batch for a reviewer);
//     or an approved template filled for everyone or for each number (a
//     number from an address book fills name/姓名, company/单位 and
//     title/职务 from its contact when the request does not);
//  5. the numbers: normalised, invalid and repeated ones refused one by one,
//     each given its own text where the batch is personalised;
//  6. numbers on a blacklist become messages rejected at once (EBLACKLIST);
//  7. segments, per message and for the batch;
//  8. the charge: the segments of the messages that go out.
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

	to, books, err := recipients(req, look)
	if err != nil {
		return nil, err
	}
	content, texts, hold, err := sendContent(req, to, books, p, look)
	if err != nil {
		return nil, err
	}
	if hold != "" {
		plan.Status = StatusAccepted // until a reviewer releases the batch
	}
	msgs, rejected := sortNumbers(to)
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
	for _, m := range msgs {
		if m.Code == "" {
			plan.Charge += int64(m.Segments)
		}
	}
	plan.Batch = Batch{DepartmentID: p.DepartmentID, UserID: p.UserID, APIKeyID: p.APIKeyID, ClientRef: req.ClientRef,
		Content: content, Ext: ext, Total: len(to), Accepted: plan.Sendable(), Segments: segs,
		Rejected: rejected, ResendOf: req.ResendOf}
	if plan.Delay > 0 {
		plan.Batch.SendAt = req.SendAt
	}
	if hold != "" {
		plan.Batch.Review, plan.Batch.ReviewNote = ReviewPending, hold
	}
	return plan, nil
}

// recipients is the request's numbers followed by those of its address-book
// groups and contacts (mergeRecipients), within the limits.
func recipients(req *SendRequest, look SendLookup) (to []string, books map[string]*Contact, err error) {
	if len(req.GroupIDs) == 0 && len(req.ContactIDs) == 0 {
		return req.To, nil, nil
	}
	contacts, err := look.Recipients(req.GroupIDs, req.ContactIDs)
	if err != nil {
		return nil, nil, err
	}
	to, books = mergeRecipients(req.To, contacts)
	switch {
	case len(to) == 0:
		return nil, nil, FieldError("group_ids", "所选分组和联系人中没有号码")
	case len(to) > MaxRecipients:
		return nil, nil, FieldError("group_ids", "连同通讯录共%d个号码，一次最多发送%d个", len(to), MaxRecipients)
	}
	return to, books, nil
}

// mergeRecipients appends the contacts' numbers not already among to: a
// number typed and in a group, or in two groups, is sent once, and is not
// a repeat to refuse. books gives the contact of each number that has one
// (the first found).
func mergeRecipients(typed []string, contacts []*Contact) (to []string, books map[string]*Contact) {
	to = append(make([]string, 0, len(typed)+len(contacts)), typed...)
	seen := make(map[string]bool, cap(to))
	for _, raw := range typed {
		if n, err := NormalizeNumber(raw); err == nil {
			seen[n] = true
		}
	}
	books = make(map[string]*Contact, len(contacts))
	for _, c := range contacts {
		if books[c.Phone] == nil {
			books[c.Phone] = c
		}
		if !seen[c.Phone] {
			seen[c.Phone] = true
			to = append(to, c.Phone)
		}
	}
	return to, books
}

// RecipientTally is what a send would do with its numbers, for the send
// page's live count: the same rules as PlanSend's steps 3, 5 and 6.
type RecipientTally struct {
	Sendable    int // distinct valid numbers not on a blacklist
	FromBooks   int // numbers the groups and contacts add to those typed
	Duplicates  int // typed numbers repeated
	Invalid     int // typed entries that are not numbers
	Blacklisted int // distinct valid numbers a blacklist holds (not sent)
}

// TallyRecipients counts a request's numbers as PlanSend would take them.
func TallyRecipients(req *SendRequest, look SendLookup) (*RecipientTally, error) {
	to := req.To
	if len(req.GroupIDs) > 0 || len(req.ContactIDs) > 0 {
		contacts, err := look.Recipients(req.GroupIDs, req.ContactIDs)
		if err != nil {
			return nil, err
		}
		to, _ = mergeRecipients(req.To, contacts)
	}
	msgs, rejected := sortNumbers(to)
	t := &RecipientTally{FromBooks: len(to) - len(req.To)}
	for _, r := range rejected {
		if r.Code == EDUPLICATE {
			t.Duplicates++
		} else {
			t.Invalid++
		}
	}
	if len(msgs) > 0 {
		if _, err := markBlacklisted(msgs, nil, look); err != nil {
			return nil, err
		}
	}
	for _, m := range msgs {
		if m.Code == EBLACKLIST {
			t.Blacklisted++
		} else {
			t.Sendable++
		}
	}
	return t, nil
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
