package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"smsgw/app"
)

// SaveReplies stores replies, working out the extension code from the number
// they were sent to and the message they answer: the latest one sent to that
// number with that extension code. A part of a concatenated reply is kept
// in reply_parts until its set is complete (see savePart). A reply the SMSC
// sends again within the resend window is not stored twice (see
// app.ReplyResendWindow): it is marked Duplicate and given the first
// copy's id, and its unsubscribe is not applied again.
func (db *DB) SaveReplies(ctx context.Context, replies []*app.Reply) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	unsub, err := db.UnsubscribeWords(ctx)
	if err != nil {
		return err
	}
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		s := &replySaver{db: db, tx: tx, unsub: unsub, sources: map[int64]string{}}
		for _, r := range replies {
			r.ID, r.Duplicate = 0, false // fn may run again after a failed batch
			if r.ReceivedAt.IsZero() {
				r.ReceivedAt = db.now()
			}
			var err error
			if r.Part != nil && r.Part.Total > 1 {
				err = s.savePart(ctx, r)
			} else {
				err = s.saveWhole(ctx, r)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// replySaver stores replies inside one writer transaction.
type replySaver struct {
	db      *DB
	tx      *sql.Tx
	unsub   []string
	sources map[int64]string // channel -> source_addr, looked up once
}

// saveWhole stores a reply unless it is a copy of one stored within the
// resend window.
func (s *replySaver) saveWhole(ctx context.Context, r *app.Reply) error {
	at, w := ms(r.ReceivedAt), s.db.opts.ReplyResendWindow.Milliseconds()
	err := s.tx.QueryRowContext(ctx, `select id from replies where from_number = ? and received_at between ? and ?
		and channel_id = ? and to_number = ? and content = ? limit 1`,
		r.From, at-w, at+w, r.ChannelID, r.To, r.Content).Scan(&r.ID)
	switch {
	case err == nil:
		r.Duplicate = true
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	return s.insert(ctx, r)
}

// insert attributes a reply, stores it, and applies an unsubscribe.
func (s *replySaver) insert(ctx context.Context, r *app.Reply) error {
	tx := s.tx
	src, ok := s.sources[r.ChannelID]
	if !ok {
		err := tx.QueryRowContext(ctx, `select source_addr from channels where id = ?`, r.ChannelID).Scan(&src)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		s.sources[r.ChannelID] = src
	}
	if src != "" {
		if ext, ok := strings.CutPrefix(r.To, src); ok {
			r.Ext = ext
		}
	}
	r.DepartmentID = app.RootDepartmentID
	from := r.From // SMSCs often put 86 in front
	if n, err := app.NormalizeNumber(r.From); err == nil {
		from = n
	}
	err := tx.QueryRowContext(ctx, `select id, department_id from messages where phone = ? and ext = ? order by id desc limit 1`,
		from, r.Ext).Scan(&r.MessageID, &r.DepartmentID)
	if errors.Is(err, sql.ErrNoRows) && r.Ext != "" {
		// Not an answer to a message we know: the extension code
		// alone says whose it is (app.ExtOwner: the longest code that
		// begins it, nobody's if two departments share that code).
		var codes []app.ExtCode
		if codes, err = extCodesBeginning(ctx, tx, r.Ext); err == nil {
			if owner := app.ExtOwner(r.Ext, codes); owner != 0 {
				r.DepartmentID = owner
			}
		}
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if r.ID, err = s.db.nextID(ctx, tx, "replies"); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `insert into replies (id, channel_id, from_number, to_number, ext, content, received_at, message_id, department_id, incomplete)
		values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.ChannelID, r.From, r.To, r.Ext, r.Content, ms(r.ReceivedAt), r.MessageID, r.DepartmentID, r.Incomplete)
	if err != nil {
		return err
	}
	// A fragment is not what its sender wrote: a last part that happens to
	// read "TD" must not put a number on the blacklist.
	if !r.Incomplete && app.IsUnsubscribe(r.Content, s.unsub) {
		return s.db.unsubscribe(ctx, tx, r)
	}
	return nil
}

// unsubscribe puts the sender of an unsubscribe reply on the blacklist of
// the department the reply is attributed to, and audits it.
func (db *DB) unsubscribe(ctx context.Context, tx *sql.Tx, r *app.Reply) error {
	phone, err := app.NormalizeNumber(r.From)
	if err != nil {
		return nil // not a mobile number we could send to anyway
	}
	e := &app.BlacklistEntry{DepartmentID: r.DepartmentID, Phone: phone, Source: app.SourceUnsubscribe,
		Reason: "回复“" + strings.TrimSpace(r.Content) + "”退订", CreatedAt: r.ReceivedAt}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = db.now()
	}
	added, err := insertBlacklist(ctx, tx, e)
	if err != nil || added == 0 {
		return err
	}
	return db.appendAudit(ctx, tx, &app.AuditEntry{At: db.now(), Actor: "system", DepartmentID: r.DepartmentID,
		Action: "blacklist.unsubscribe", Target: "reply:" + strconv.FormatInt(r.ID, 10),
		Summary: app.MaskNumber(phone) + " " + e.Reason + "，加入部门" + strconv.FormatInt(r.DepartmentID, 10) + "的黑名单", Result: "ok"})
}

// FindReplies lists replies in the caller's scope, oldest first, so an
// integrator can poll with the cursor it was last given.
func (db *DB) FindReplies(ctx context.Context, p *app.Principal, f app.ReplyFilter) ([]*app.Reply, string, error) {
	if err := db.enter(); err != nil {
		return nil, "", err
	}
	defer db.leave()
	if !p.HasScope(app.ScopeQuery) {
		return nil, "", app.Errorf(app.EFORBIDDEN, "该应用没有查询权限 (scope query)")
	}
	// The same scope as messages: an operator sees the replies to what it
	// sent, the others their department subtree's.
	where, args := []string{`1`}, []any{}
	switch scope, scopeArgs := messageScope(p); {
	case p.SeesAll():
	case p.Role == app.RoleOperator:
		where = append(where, `exists (select 1 from messages m where m.id = r.message_id and `+scope+`)`)
		args = append(args, scopeArgs...)
	default:
		where, args = append(where, `r.department_id in (`+subtreeSQL+`)`), append(args, p.DepartmentID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, `r.received_at >= ?`), append(args, ms(f.Since))
	}
	if c, ok, err := idCursor(f.Cursor); err != nil {
		return nil, "", err
	} else if ok {
		op := `r.id > ?`
		if f.Newest {
			op = `r.id < ?`
		}
		where, args = append(where, op), append(args, c)
	}
	order := `r.id`
	if f.Newest {
		order = `r.id desc`
	}
	limit := clampLimit(f.Limit)
	rows, err := db.rdb.QueryContext(ctx, `select r.id, r.channel_id, r.from_number, r.to_number, r.ext, r.content, r.received_at, r.message_id, r.department_id, r.incomplete
		from replies r where `+strings.Join(where, ` and `)+` order by `+order+` limit ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*app.Reply
	for rows.Next() {
		var r app.Reply
		var at int64
		if err := rows.Scan(&r.ID, &r.ChannelID, &r.From, &r.To, &r.Ext, &r.Content, &at, &r.MessageID, &r.DepartmentID, &r.Incomplete); err != nil {
			return nil, "", err
		}
		r.ReceivedAt = fromMS(at)
		out = append(out, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := idPage(out, limit, func(x *app.Reply) int64 { return x.ID })
	return out, next, nil
}
