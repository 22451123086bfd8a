package store

import (
	"context"

	"smsgw/app"
)

// sendLookup answers the send policy's questions (app.SendLookup) for one
// caller, from the read pool and the caches.
type sendLookup struct {
	ctx context.Context
	db  *DB
	p   *app.Principal
}

var _ app.SendLookup = (*sendLookup)(nil)

func (l *sendLookup) EarlierSend(ref string) (*app.SendResult, error) {
	return l.db.findSendResult(l.ctx, l.db.rdb, l.p.APIKeyID, ref)
}

func (l *sendLookup) Words() (*app.Matcher, error) { return l.db.wordMatcher(l.ctx) }

func (l *sendLookup) Template(id int64) (*app.Template, error) {
	return l.db.sendTemplate(l.ctx, l.p, id)
}

func (l *sendLookup) SignatureApproved(name string) error {
	return l.db.signatureApproved(l.ctx, l.p, name)
}

func (l *sendLookup) DefaultSignature() (string, error) { return l.db.defaultSignature(l.ctx, l.p) }

func (l *sendLookup) ExtCodes(ext string) ([]app.ExtCode, error) {
	return extCodesBeginning(l.ctx, l.db.rdb, ext)
}

func (l *sendLookup) Blacklisted(phones []string) (map[string]bool, error) {
	return l.db.blacklisted(l.ctx, l.p.DepartmentID, phones)
}

// FailedTexts reads what the failed messages of a batch in the caller's
// scope were sent, for 失败重发.
func (l *sendLookup) FailedTexts(batch int64) (string, map[string]string, error) {
	scope, args := messageScope(l.p)
	rows, err := l.db.rdb.QueryContext(l.ctx, `select m.phone, coalesce(m.content, b.content), b.content, coalesce(b.template_id, 0) from messages m join batches b on b.id = m.batch_id
		where m.batch_id = ? and m.status in ('undelivered', 'expired', 'failed') and `+scope, append([]any{batch}, args...)...)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	texts, content, templated := map[string]string{}, "", int64(0)
	for rows.Next() {
		var phone, text string
		if err := rows.Scan(&phone, &text, &content, &templated); err != nil {
			return "", nil, err
		}
		texts[phone] = text
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	if len(texts) == 0 {
		e := app.Errorf(app.ENOTFOUND, "原批次没有可重发的失败号码")
		e.Details = map[string]any{"field": "resend_of"}
		return "", nil, e
	}
	// Resending free text is sending free text: a caller that may send only
	// templates resends only templated batches.
	if templated == 0 {
		if err := l.p.MaySendFreeText(); err != nil {
			return "", nil, err
		}
	}
	return content, texts, nil
}
