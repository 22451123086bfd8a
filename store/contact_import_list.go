package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"smsgw/app"
)

// Import results are seen by whoever sees the book imported into
// (bookSeen): a personal book's by its owner, an org or customer book's by
// its department and the administrators and auditors above.

const importColumns = `i.id, i.user_id, i.api_key_id, coalesce(nullif(u.display_name, ''), u.username, k.name, ''), i.file_name, i.book,
	i.department_id, i.owner_id, i.group_id, i.on_duplicate, i.status, i.total, i.imported, i.updated, i.skipped, i.failed,
	i.created_at, i.done_at`

// importsFrom selects the imports p sees with their operators' names.
func importsFrom(p *app.Principal) (string, []any) {
	seen, args := bookSeen(p)
	return `(select * from contact_imports where ` + seen + `) i left join users u on u.id = i.user_id and i.user_id != 0
		left join api_keys k on k.id = i.api_key_id and i.user_id = 0`, args
}

func scanImport(s interface{ Scan(...any) error }) (*app.ContactImport, error) {
	var i app.ContactImport
	var book, dup, status string
	var created, done int64
	if err := s.Scan(&i.ID, &i.UserID, &i.APIKeyID, &i.Operator, &i.FileName, &book, &i.DepartmentID, &i.OwnerID, &i.GroupID,
		&dup, &status, &i.Total, &i.Imported, &i.Updated, &i.Skipped, &i.Failed, &created, &done); err != nil {
		return nil, err
	}
	i.Book, i.OnDuplicate, i.Status, i.CreatedAt = app.Book(book), app.OnDuplicate(dup), app.ImportStatus(status), fromMS(created)
	if done != 0 {
		i.DoneAt = fromMS(done)
	}
	return &i, nil
}

// ContactImport returns one import result p sees.
func (db *DB) ContactImport(ctx context.Context, p *app.Principal, id int64) (*app.ContactImport, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if err := mayReadBooks(p); err != nil {
		return nil, err
	}
	from, args := importsFrom(p)
	imp, err := scanImport(db.rdb.QueryRowContext(ctx, `select `+importColumns+` from `+from+` where i.id = ?`, append(args, id)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "导入记录不存在")
	}
	return imp, err
}

// FindImports lists the import results p sees, newest first, by operator
// (part of a user's name, display name or app name) and time.
func (db *DB) FindImports(ctx context.Context, p *app.Principal, f app.ImportFilter) ([]*app.ContactImport, string, error) {
	if err := db.enter(); err != nil {
		return nil, "", err
	}
	defer db.leave()
	if err := mayReadBooks(p); err != nil {
		return nil, "", err
	}
	from, args := importsFrom(p)
	where := []string{`1`}
	add := func(cond string, v ...any) { where, args = append(where, cond), append(args, v...) }
	if op := strings.TrimSpace(f.Operator); op != "" {
		pat := likePattern(op)
		add(`(u.username like ? escape '\' or u.display_name like ? escape '\' or k.name like ? escape '\')`, pat, pat, pat)
	}
	if !f.Since.IsZero() {
		add(`i.created_at >= ?`, ms(f.Since))
	}
	if !f.Until.IsZero() {
		add(`i.created_at < ?`, ms(f.Until))
	}
	if c, ok, err := idCursor(f.Cursor); err != nil {
		return nil, "", err
	} else if ok {
		add(`i.id < ?`, c)
	}
	limit := clampLimit(f.Limit)
	rows, err := db.rdb.QueryContext(ctx, `select `+importColumns+` from `+from+` where `+strings.Join(where, ` and `)+
		` order by i.id desc limit ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*app.ContactImport
	for rows.Next() {
		imp, err := scanImport(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, imp)
	}
	out, next := idPage(out, limit, func(x *app.ContactImport) int64 { return x.ID })
	return out, next, rows.Err()
}

// ImportFailures lists the rows an import p sees refused, by line.
func (db *DB) ImportFailures(ctx context.Context, p *app.Principal, id int64) ([]app.ImportFailure, error) {
	if _, err := db.ContactImport(ctx, p, id); err != nil {
		return nil, err
	}
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	rows, err := db.rdb.QueryContext(ctx, `select line, name, phone, reason from contact_import_failures where import_id = ? order by line`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []app.ImportFailure{}
	for rows.Next() {
		var f app.ImportFailure
		if err := rows.Scan(&f.Line, &f.Name, &f.Phone, &f.Reason); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
