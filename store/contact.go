package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"smsgw/app"
)

const contactColumns = `id, book, department_id, owner_id, name, phone, company, title, tags, note, created_at, updated_at`

func scanContact(s interface{ Scan(...any) error }) (*app.Contact, error) {
	var c app.Contact
	var book, tags string
	var created, updated int64
	if err := s.Scan(&c.ID, &book, &c.DepartmentID, &c.OwnerID, &c.Name, &c.Phone, &c.Company, &c.Title, &tags, &c.Note,
		&created, &updated); err != nil {
		return nil, err
	}
	c.Book, c.CreatedAt, c.UpdatedAt = app.Book(book), fromMS(created), fromMS(updated)
	if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil {
		return nil, err
	}
	return &c, nil
}

func tagsJSON(tags []string) string {
	if tags == nil {
		tags = []string{}
	}
	b, _ := json.Marshal(tags)
	return string(b)
}

// CreateContact adds c to its book.
func (db *DB) CreateContact(ctx context.Context, p *app.Principal, c *app.Contact) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if err := c.Validate(); err != nil {
		return err
	}
	var err error
	if c.DepartmentID, c.OwnerID, err = bookOf(p, c.Book, c.DepartmentID); err != nil {
		return err
	}
	c.CreatedAt = db.now()
	c.UpdatedAt = c.CreatedAt
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := mayWriteBook(ctx, tx, p, c.Book, c.DepartmentID, c.OwnerID); err != nil {
			if app.ErrorCode(err) == app.ENOTFOUND {
				return app.FieldError("department_id", "部门不存在或不在管辖范围内")
			}
			return err
		}
		if err := db.insertContact(ctx, tx, c); err != nil {
			return err
		}
		return setContactGroups(ctx, tx, c)
	})
}

// insertContact adds a validated contact whose book p may write, refusing
// a number the book has.
func (db *DB) insertContact(ctx context.Context, tx *sql.Tx, c *app.Contact) error {
	if err := numberFree(ctx, tx, c, 0); err != nil {
		return err
	}
	id, err := db.nextID(ctx, tx, "contacts")
	if err != nil {
		return err
	}
	c.ID = id
	_, err = tx.ExecContext(ctx, `insert into contacts (`+contactColumns+`) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, string(c.Book), c.DepartmentID, c.OwnerID, c.Name, c.Phone, c.Company, c.Title, tagsJSON(c.Tags), c.Note,
		ms(c.CreatedAt), ms(c.UpdatedAt))
	return err
}

// numberFree answers ECONFLICT when c's book has c's number on another
// contact than except.
func numberFree(ctx context.Context, q querier, c *app.Contact, except int64) error {
	var id int64
	err := q.QueryRowContext(ctx, `select id from contacts where book = ? and department_id = ? and owner_id = ? and phone = ? and id != ?`,
		string(c.Book), c.DepartmentID, c.OwnerID, c.Phone, except).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	e := app.Errorf(app.ECONFLICT, "该通讯录已有号码 %s 的联系人", app.MaskNumber(c.Phone))
	e.Details = map[string]any{"field": "phone", "contact_id": strconv.FormatInt(id, 10)}
	return e
}

// setContactGroups makes c's groups exactly c.GroupIDs, each a group of
// c's book.
func setContactGroups(ctx context.Context, tx *sql.Tx, c *app.Contact) error {
	if _, err := tx.ExecContext(ctx, `delete from contact_group_members where contact_id = ?`, c.ID); err != nil {
		return err
	}
	for _, g := range c.GroupIDs {
		var ok bool
		err := tx.QueryRowContext(ctx, `select exists (select 1 from contact_groups where id = ? and book = ? and department_id = ? and owner_id = ?)`,
			g, string(c.Book), c.DepartmentID, c.OwnerID).Scan(&ok)
		if err != nil {
			return err
		} else if !ok {
			return app.FieldError("group_ids", "分组 %d 不存在或不属于该通讯录", g)
		}
		if _, err := tx.ExecContext(ctx, `insert into contact_group_members (group_id, contact_id) values (?, ?) on conflict do nothing`,
			g, c.ID); err != nil {
			return err
		}
	}
	return nil
}

// visibleContact reads contact id if p sees it.
func visibleContact(ctx context.Context, q querier, p *app.Principal, id int64) (*app.Contact, error) {
	seen, args := bookSeen(p)
	c, err := scanContact(q.QueryRowContext(ctx, `select `+contactColumns+` from contacts where id = ? and `+seen,
		append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "联系人不存在")
	} else if err != nil {
		return nil, err
	}
	c.GroupIDs, err = selectColumn[int64](ctx, q, `select group_id from contact_group_members where contact_id = ? order by group_id`, id)
	return c, err
}

// Contact returns one contact p sees.
func (db *DB) Contact(ctx context.Context, p *app.Principal, id int64) (*app.Contact, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if err := mayReadBooks(p); err != nil {
		return nil, err
	}
	c, err := visibleContact(ctx, db.rdb, p, id)
	if err != nil {
		return nil, err
	}
	return c, db.markBlacklisted(ctx, p, []*app.Contact{c})
}

// UpdateContact changes a contact p may write.
func (db *DB) UpdateContact(ctx context.Context, p *app.Principal, id int64, u *app.ContactUpdate) (*app.Contact, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	var c *app.Contact
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if c, err = visibleContact(ctx, tx, p, id); err != nil {
			return err
		}
		if err := mayWriteBook(ctx, tx, p, c.Book, c.DepartmentID, c.OwnerID); err != nil {
			return err
		}
		u.Apply(c)
		if err := c.Validate(); err != nil {
			return err
		}
		if err := numberFree(ctx, tx, c, c.ID); err != nil {
			return err
		}
		c.UpdatedAt = db.now()
		if _, err := tx.ExecContext(ctx, `update contacts set name = ?, phone = ?, company = ?, title = ?, tags = ?, note = ?, updated_at = ?
			where id = ?`, c.Name, c.Phone, c.Company, c.Title, tagsJSON(c.Tags), c.Note, ms(c.UpdatedAt), c.ID); err != nil {
			return err
		}
		if u.GroupIDs != nil {
			return setContactGroups(ctx, tx, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, db.markBlacklisted(ctx, p, []*app.Contact{c})
}

// DeleteContact removes a contact p may write (and its group memberships).
func (db *DB) DeleteContact(ctx context.Context, p *app.Principal, id int64) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c, err := visibleContact(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := mayWriteBook(ctx, tx, p, c.Book, c.DepartmentID, c.OwnerID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `delete from contacts where id = ?`, id)
		return err
	})
}

// likePattern makes q a LIKE pattern matching it anywhere, its own % and _
// taken literally (escape character \).
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// FindContacts lists the contacts p sees, newest first; the cursor is the
// last id shown.
func (db *DB) FindContacts(ctx context.Context, p *app.Principal, f app.ContactFilter) ([]*app.Contact, string, error) {
	if err := db.enter(); err != nil {
		return nil, "", err
	}
	defer db.leave()
	if err := mayReadBooks(p); err != nil {
		return nil, "", err
	}
	seen, args := bookSeen(p)
	where := []string{seen}
	add := func(cond string, v ...any) { where, args = append(where, cond), append(args, v...) }
	if f.Book != "" {
		add(`book = ?`, string(f.Book))
	}
	if f.DepartmentID != 0 {
		add(`department_id = ?`, f.DepartmentID)
	}
	if f.GroupID != 0 {
		add(`id in (select contact_id from contact_group_members where group_id = ?)`, f.GroupID)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		pat := likePattern(q)
		add(`(name like ? escape '\' or phone like ? escape '\')`, pat, pat)
	}
	if c, ok, err := idCursor(f.Cursor); err != nil {
		return nil, "", err
	} else if ok {
		add(`id < ?`, c)
	}
	limit := clampLimit(f.Limit)
	out, err := queryContacts(ctx, db.rdb, `select `+contactColumns+` from contacts where `+strings.Join(where, ` and `)+
		` order by id desc limit ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	out, next := idPage(out, limit, func(x *app.Contact) int64 { return x.ID })
	if err := db.contactGroups(ctx, out); err != nil {
		return nil, "", err
	}
	return out, next, db.markBlacklisted(ctx, p, out)
}

// contactGroups fills in the groups of the listed contacts, one query.
func (db *DB) contactGroups(ctx context.Context, list []*app.Contact) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]int64, len(list))
	byID := make(map[int64]*app.Contact, len(list))
	for i, c := range list {
		ids[i], byID[c.ID] = c.ID, c
	}
	js, _ := json.Marshal(ids)
	rows, err := db.rdb.QueryContext(ctx, `select contact_id, group_id from contact_group_members
		where contact_id in (select value from json_each(?)) order by contact_id, group_id`, string(js))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c, g int64
		if err := rows.Scan(&c, &g); err != nil {
			return err
		}
		byID[c].GroupIDs = append(byID[c].GroupIDs, g)
	}
	return rows.Err()
}

// markBlacklisted sets Blacklisted on the contacts whose number a list
// covering p's department holds: sending to them would be refused.
func (db *DB) markBlacklisted(ctx context.Context, p *app.Principal, list []*app.Contact) error {
	if len(list) == 0 {
		return nil
	}
	phones := make([]string, len(list))
	for i, c := range list {
		phones[i] = c.Phone
	}
	on, err := db.blacklisted(ctx, p.DepartmentID, phones)
	if err != nil {
		return err
	}
	for _, c := range list {
		c.Blacklisted = on[c.Phone]
	}
	return nil
}
