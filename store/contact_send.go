package store

import (
	"context"
	"encoding/json"
	"fmt"

	"smsgw/app"
)

// Recipients answers the send policy: the contacts of the groups, then the
// contacts, that the caller sees, each once. An id it does not see is
// named like one that does not exist. A group's contacts are of its book,
// so seeing the group is seeing them.
func (l *sendLookup) Recipients(groupIDs, contactIDs []int64) ([]*app.Contact, error) {
	if err := mayReadBooks(l.p); err != nil {
		return nil, err
	}
	seen, args := bookSeen(l.p)
	groups, _ := json.Marshal(groupIDs)
	visible, err := selectColumn[int64](l.ctx, l.db.rdb, `select id from contact_groups where id in (select value from json_each(?)) and `+seen,
		append([]any{string(groups)}, args...)...)
	if err != nil {
		return nil, err
	}
	if err := allFound("group_ids", "分组", groupIDs, visible); err != nil {
		return nil, err
	}
	out, err := l.contacts(`select `+contactColumns+` from contacts where id in (select contact_id from contact_group_members
		where group_id in (select value from json_each(?))) order by id`, string(groups))
	if err != nil {
		return nil, err
	}
	if len(contactIDs) == 0 {
		return out, nil
	}
	ids, _ := json.Marshal(contactIDs)
	single, err := l.contacts(`select `+contactColumns+` from contacts where id in (select value from json_each(?)) and `+seen+` order by id`,
		append([]any{string(ids)}, args...)...)
	if err != nil {
		return nil, err
	}
	found := make([]int64, len(single))
	have := make(map[int64]bool, len(out))
	for _, c := range out {
		have[c.ID] = true
	}
	for i, c := range single {
		found[i] = c.ID
		if !have[c.ID] {
			out = append(out, c)
		}
	}
	return out, allFound("contact_ids", "联系人", contactIDs, found)
}

func (l *sendLookup) contacts(query string, args ...any) ([]*app.Contact, error) {
	return queryContacts(l.ctx, l.db.rdb, query, args...)
}

// queryContacts reads the contacts a query of contactColumns selects.
func queryContacts(ctx context.Context, q querier, query string, args ...any) ([]*app.Contact, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*app.Contact
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// allFound names the first of ids that found lacks: field[i].
func allFound(field, what string, ids, found []int64) error {
	have := make(map[int64]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	for i, id := range ids {
		if !have[id] {
			return app.FieldError(fmt.Sprintf("%s[%d]", field, i), "%s %d 不存在", what, id)
		}
	}
	return nil
}

// TallyRecipients counts a send's numbers for the send page, with the send
// policy's own lookups.
func (db *DB) TallyRecipients(ctx context.Context, p *app.Principal, req *app.SendRequest) (*app.RecipientTally, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	return app.TallyRecipients(req, &sendLookup{ctx: ctx, db: db, p: p})
}

// Recipients is the send policy's lookup of address-book recipients, for a
// console send that must split them into batches.
func (db *DB) Recipients(ctx context.Context, p *app.Principal, groupIDs, contactIDs []int64) ([]*app.Contact, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	return (&sendLookup{ctx: ctx, db: db, p: p}).Recipients(groupIDs, contactIDs)
}
