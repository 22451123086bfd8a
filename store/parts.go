package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"smsgw/app"
)

// A long message whose attempt ends in a retry after some of its parts were
// accepted keeps what it achieved: messages.concat_ref and parts_from, and an
// smsc_ids row per accepted part (keyed by the channel that took it, so its
// receipt matches whichever channel sends the rest). The next Claim hands
// them to the engine as Message.Sent, and the engine sends only the parts
// missing. None of this runs for one-part messages or for long messages that
// go whole at the first attempt: the hot path writes nothing more.
//
// Receipts for parts accepted earlier may come while the message waits in
// the queue: they mark their smsc_ids row (dlr_stat) and change nothing
// else, since the message is not submitted. When the last part is accepted,
// countEarlierParts counts them in.

const (
	// qKeepConcat fixes the reference at the first attempt that sent a
	// part; parts_from is that attempt (qRetry has counted it already).
	qKeepConcat = `update messages set concat_ref = coalesce(concat_ref, ?), parts_from = coalesce(parts_from, attempts - 1)
		where id = ?`
	// qKeepParts takes channel id, message id, and a JSON list of SMSC
	// ids per part ("" for parts not accepted).
	qKeepParts = `insert into smsc_ids (channel_id, smsc_id, message_id, part, attempt)
		select ?1, p.value, ?2, p.key + 1, (select attempts from messages where id = ?2)
		from json_each(?3) p where p.value != ''
		on conflict (channel_id, smsc_id) do update set message_id = excluded.message_id, part = excluded.part,
			attempt = excluded.attempt, dlr_stat = ''`
	// qPartsSent lists the parts of a message accepted in the attempts
	// since parts_from.
	qPartsSent = `select part, channel_id, smsc_id from smsc_ids where message_id = ? and attempt >= ?`
	// qRestampParts moves the parts accepted in earlier attempts to the
	// current one, which receipts are counted against.
	qRestampParts = `update smsc_ids set attempt = m.attempts from messages m
		where m.id = ?1 and smsc_ids.message_id = ?1 and smsc_ids.attempt >= m.parts_from`
	// qCountParts sets parts_delivered from the receipts already marked.
	qCountParts = `update messages set parts_delivered = d.n,
			status = case when d.n >= segments then 'delivered' else status end,
			done_at = case when d.n >= segments then ?2 else done_at end
		from (select count(*) n from smsc_ids s join messages m on m.id = s.message_id
			where s.message_id = ?1 and s.attempt = m.attempts and s.dlr_stat = 'DELIVRD') d
		where messages.id = ?1 and messages.status = 'submitted'`
	qFailedPart = `select s.channel_id, s.dlr_stat, m.attempts from smsc_ids s join messages m on m.id = s.message_id
		where s.message_id = ? and s.attempt = m.attempts and s.dlr_stat not in ('', 'DELIVRD') and m.status = 'submitted' limit 1`
)

// keepPartsSent stores what a retried long message achieved: its reference
// and the parts accepted in this attempt, with the receipts that came
// before this result.
func (db *DB) keepPartsSent(ctx context.Context, tx *sql.Tx, o *app.Outcome, early bool) error {
	if _, err := tx.ExecContext(ctx, qKeepConcat, int(o.Concat.Ref), o.MessageID); err != nil {
		return err
	}
	ids, err := json.Marshal(o.SMSCIDs)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, qKeepParts, o.ChannelID, o.MessageID, ids); err != nil {
		return err
	}
	if !early {
		return nil
	}
	for _, id := range o.SMSCIDs {
		if id == "" {
			continue
		}
		var stat string
		err := tx.QueryRowContext(ctx, `delete from early_receipts where channel_id = ? and smsc_id = ? returning stat`,
			o.ChannelID, id).Scan(&stat)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `update smsc_ids set dlr_stat = ? where channel_id = ? and smsc_id = ?`,
			stat, o.ChannelID, id); err != nil {
			return err
		}
	}
	return nil
}

// loadPartsSent fills in Sent for claimed messages that earlier attempts
// sent in part; refs maps their ids to [reference, parts_from].
func loadPartsSent(ctx context.Context, tx *sql.Tx, msgs []*app.Message, refs map[int64][2]int64) error {
	for _, m := range msgs {
		ref, ok := refs[m.ID]
		if !ok {
			continue
		}
		sent := &app.PartsSent{Concat: app.Concat{Ref: uint8(ref[0])}, Parts: make([]app.SentPart, m.Segments)}
		rows, err := tx.QueryContext(ctx, qPartsSent, m.ID, ref[1])
		if err != nil {
			return err
		}
		for rows.Next() {
			var part int
			var p app.SentPart
			if err := rows.Scan(&part, &p.ChannelID, &p.SMSCID); err != nil {
				rows.Close()
				return err
			}
			for len(sent.Parts) < part {
				sent.Parts = append(sent.Parts, app.SentPart{})
			}
			if part >= 1 {
				sent.Parts[part-1] = p
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		m.Sent = sent
	}
	return nil
}

// countEarlierParts, for a message whose last parts were just accepted,
// counts in the parts accepted in earlier attempts: their receipts count
// from now on, and those that came meanwhile are applied.
func (db *DB) countEarlierParts(ctx context.Context, tx *sql.Tx, o *app.Outcome) error {
	if _, err := tx.ExecContext(ctx, qRestampParts, o.MessageID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, qCountParts, o.MessageID, ms(o.At)); err != nil {
		return err
	}
	var r app.Receipt
	var attempt int
	err := tx.QueryRowContext(ctx, qFailedPart, o.MessageID).Scan(&r.ChannelID, &r.Stat, &attempt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	r.At = o.At
	return db.partFailed(ctx, tx, &r, o.MessageID, attempt)
}
