package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"smsgw/app"
)

// savePart stores one part of a concatenated reply, and the joined reply
// when this part completes its set, in the caller's transaction: a part
// answered is never lost, and a set is never joined twice. A copy of a
// part already here (the SMSC sending it again: same part, same text) is
// marked Duplicate. A part with other text under the same reference, or a
// completed set whose parts came longer ago than the resend window, is
// another reply that reuses the reference: the old set makes room.
func (s *replySaver) savePart(ctx context.Context, r *app.Reply) error {
	tx, p, at := s.tx, r.Part, ms(r.ReceivedAt)
	key := []any{r.ChannelID, r.From, r.To, p.Ref, p.Total}
	var got, doneAt, replyID int64
	var content string
	err := tx.QueryRowContext(ctx, `select received_at, done_at, reply_id, content from reply_parts
		where channel_id = ? and from_number = ? and to_number = ? and ref = ? and total = ? and seq = ?`,
		append(key, p.Seq)...).Scan(&got, &doneAt, &replyID, &content)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	case content == r.Content && (doneAt == 0 || got >= at-s.db.opts.ReplyResendWindow.Milliseconds()):
		r.ID, r.Duplicate = replyID, true
		return nil
	default:
		// Another reply with the same reference (handsets have 256; an SMSC
		// may reuse them): a set still open is stored as what came of it,
		// marked incomplete, and the new reply starts a set of its own.
		if content != r.Content && doneAt == 0 {
			id := r.ID
			if err := s.join(ctx, key, r, true); err != nil {
				return err
			}
			r.ID = id
		}
		if _, err := tx.ExecContext(ctx, `delete from reply_parts
			where channel_id = ? and from_number = ? and to_number = ? and ref = ? and total = ? and done_at > 0`, key...); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `insert into reply_parts (channel_id, from_number, to_number, ref, total, seq, content, received_at)
		values (?, ?, ?, ?, ?, ?, ?, ?)`, append(key, p.Seq, r.Content, at)...); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `select count(*) from reply_parts
		where channel_id = ? and from_number = ? and to_number = ? and ref = ? and total = ? and done_at = 0`, key...).Scan(&n); err != nil {
		return err
	}
	if n < p.Total {
		return nil // answered now; the reply is stored with its last part
	}
	return s.join(ctx, key, r, false)
}

// join stores the reply made of the open parts of the set key (all of them,
// or what came of an incomplete one) and marks the set done. The reply gets
// the channel and numbers of r and the time of the set's first part.
func (s *replySaver) join(ctx context.Context, key []any, r *app.Reply, incomplete bool) error {
	rows, err := s.tx.QueryContext(ctx, `select content, received_at from reply_parts
		where channel_id = ? and from_number = ? and to_number = ? and ref = ? and total = ? and done_at = 0 order by seq`, key...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var text strings.Builder
	var first int64
	for rows.Next() {
		var part string
		var at int64
		if err := rows.Scan(&part, &at); err != nil {
			return err
		}
		text.WriteString(part)
		if first == 0 || at < first {
			first = at
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	whole := &app.Reply{ChannelID: r.ChannelID, From: r.From, To: r.To, Content: text.String(),
		ReceivedAt: fromMS(first), Incomplete: incomplete}
	if err := s.insert(ctx, whole); err != nil {
		return err
	}
	r.ID = whole.ID
	_, err = s.tx.ExecContext(ctx, `update reply_parts set reply_id = ?, done_at = ?
		where channel_id = ? and from_number = ? and to_number = ? and ref = ? and total = ? and done_at = 0`,
		append([]any{whole.ID, max(ms(s.db.now()), ms(r.ReceivedAt))}, key...)...)
	return err
}

// ExpireReplyParts stores, marked Incomplete, the concatenated replies
// whose last part came app.ReplyPartsWait ago or more with parts still
// missing, and forgets completed sets older than the resend window. The
// wait counts from the last part so that parts resent after a restart
// (which come after the rebind) still find their set.
func (db *DB) ExpireReplyParts(ctx context.Context) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := db.now()
		if _, err := tx.ExecContext(ctx, `delete from reply_parts where done_at > 0 and done_at < ?`,
			ms(now.Add(-db.opts.ReplyResendWindow))); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `select channel_id, from_number, to_number, ref, total from reply_parts where done_at = 0
			group by channel_id, from_number, to_number, ref, total having max(received_at) < ? limit 500`,
			ms(now.Add(-app.ReplyPartsWait)))
		if err != nil {
			return err
		}
		var sets []*app.Reply
		for rows.Next() {
			r := &app.Reply{Part: &app.ReplyPart{}}
			if err := rows.Scan(&r.ChannelID, &r.From, &r.To, &r.Part.Ref, &r.Part.Total); err != nil {
				rows.Close()
				return err
			}
			sets = append(sets, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// No unsubscribe words: an incomplete reply never unsubscribes.
		s := &replySaver{db: db, tx: tx, sources: map[int64]string{}}
		for _, r := range sets {
			key := []any{r.ChannelID, r.From, r.To, r.Part.Ref, r.Part.Total}
			if err := s.join(ctx, key, r, true); err != nil {
				return err
			}
		}
		if len(sets) > 0 {
			db.log.Warn("stored incomplete replies whose missing parts never came", "replies", len(sets))
		}
		return nil
	})
}
