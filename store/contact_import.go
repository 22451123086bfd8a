package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"

	"smsgw/app"
)

// importChunk is how many rows one write of an import takes: small enough
// that sends queued behind it wait milliseconds, large enough that 100,000
// rows take seconds.
const importChunk = 500

// StartImport records an import and runs it in the background.
func (db *DB) StartImport(ctx context.Context, p *app.Principal, imp *app.ContactImport, rows []app.ContactRow) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if len(rows) > app.MaxImportRows {
		return app.FieldError("file", "一次最多导入%d行", app.MaxImportRows)
	}
	var err error
	if imp.DepartmentID, imp.OwnerID, err = bookOf(p, imp.Book, imp.DepartmentID); err != nil {
		return err
	}
	imp.UserID, imp.APIKeyID, imp.Status, imp.Total, imp.CreatedAt = p.UserID, p.APIKeyID, app.ImportRunning, len(rows), db.now()
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := mayWriteBook(ctx, tx, p, imp.Book, imp.DepartmentID, imp.OwnerID); err != nil {
			if app.ErrorCode(err) == app.ENOTFOUND {
				return app.FieldError("department_id", "部门不存在或不在管辖范围内")
			}
			return err
		}
		if imp.GroupID != 0 {
			var ok bool
			if err := tx.QueryRowContext(ctx, `select exists (select 1 from contact_groups where id = ? and book = ? and department_id = ? and owner_id = ?)`,
				imp.GroupID, string(imp.Book), imp.DepartmentID, imp.OwnerID).Scan(&ok); err != nil {
				return err
			} else if !ok {
				return app.FieldError("group_id", "分组不存在或不属于该通讯录")
			}
		}
		id, err := db.nextID(ctx, tx, "contact_imports")
		if err != nil {
			return err
		}
		imp.ID = id
		_, err = tx.ExecContext(ctx, `insert into contact_imports (id, user_id, api_key_id, file_name, book, department_id, owner_id,
			group_id, on_duplicate, status, total, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			imp.ID, imp.UserID, imp.APIKeyID, imp.FileName, string(imp.Book), imp.DepartmentID, imp.OwnerID, imp.GroupID,
			string(imp.OnDuplicate), string(imp.Status), imp.Total, ms(imp.CreatedAt))
		return err
	})
	if err != nil {
		return err
	}
	job := &importJob{db: db, imp: *imp, seen: map[string]int64{}, groups: map[string]int64{}}
	go job.run(rows)
	return nil
}

// importJob reads an import's rows into its book, a chunk per write. Each
// chunk's contacts and counts commit together, so the counts shown are
// always what is in the book.
type importJob struct {
	db     *DB
	imp    app.ContactImport
	seen   map[string]int64 // number -> contact, for the file's own repeats
	groups map[string]int64 // group name -> id in the book
}

func (j *importJob) run(rows []app.ContactRow) {
	db := j.db
	for start := 0; start < len(rows); start += importChunk {
		chunk := rows[start:min(start+importChunk, len(rows))]
		if err := db.enter(); err != nil {
			return // stopping: the next start marks the import interrupted
		}
		next := j.imp
		err := db.writer.do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			next = j.imp // a retried write starts again from the committed counts
			return j.chunk(ctx, tx, &next, chunk)
		})
		db.leave()
		if err != nil {
			db.log.Error("import stopped", "import", j.imp.ID, "error", err)
			j.finish(app.ImportInterrupted)
			return
		}
		j.imp = next
	}
	j.finish(app.ImportDone)
}

// finish records the import's end.
func (j *importJob) finish(status app.ImportStatus) {
	db := j.db
	if db.enter() != nil {
		return
	}
	defer db.leave()
	err := db.writer.do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `update contact_imports set status = ?, done_at = ? where id = ?`, string(status), ms(db.now()), j.imp.ID)
		return err
	})
	if err != nil {
		db.log.Error("recording an import's end failed", "import", j.imp.ID, "error", err)
	}
}

// chunk takes rows into the book and adds their counts to imp.
func (j *importJob) chunk(ctx context.Context, tx *sql.Tx, imp *app.ContactImport, rows []app.ContactRow) error {
	seen := map[string]int64{} // this chunk's new numbers, kept only if it commits
	nextID, err := j.db.nextID(ctx, tx, "contacts")
	if err != nil {
		return err
	}
	fail := func(r app.ContactRow, reason string) error {
		imp.Failed++
		_, err := tx.ExecContext(ctx, `insert into contact_import_failures (import_id, line, name, phone, reason) values (?, ?, ?, ?, ?)
			on conflict do nothing`, imp.ID, r.Line, r.Name, r.Phone, reason)
		return err
	}
	for _, r := range rows {
		c, err := r.Contact(imp.Book, imp.DepartmentID, imp.OwnerID)
		if err != nil {
			if err := fail(r, err.Error()); err != nil {
				return err
			}
			continue
		}
		groups, reason, err := j.groupIDs(ctx, tx, imp, app.SplitNames(r.Groups))
		if err != nil {
			return err
		} else if reason != "" {
			if err := fail(r, reason); err != nil {
				return err
			}
			continue
		}
		id := j.seen[c.Phone]
		if id == 0 {
			id = seen[c.Phone]
		}
		if id == 0 {
			err := tx.QueryRowContext(ctx, `select id from contacts where book = ? and department_id = ? and owner_id = ? and phone = ?`,
				string(c.Book), c.DepartmentID, c.OwnerID, c.Phone).Scan(&id)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		switch {
		case id == 0:
			c.ID, c.CreatedAt = nextID, j.db.now()
			c.UpdatedAt = c.CreatedAt
			nextID++
			if _, err := tx.ExecContext(ctx, `insert into contacts (`+contactColumns+`) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.ID, string(c.Book), c.DepartmentID, c.OwnerID, c.Name, c.Phone, c.Company, c.Title, tagsJSON(c.Tags), c.Note,
				ms(c.CreatedAt), ms(c.UpdatedAt)); err != nil {
				return err
			}
			seen[c.Phone], id = c.ID, c.ID
			imp.Imported++
		case imp.OnDuplicate == app.DuplicateUpdate:
			if err := j.merge(ctx, tx, id, &r, c); err != nil {
				return err
			}
			imp.Updated++
		default:
			imp.Skipped++
		}
		for _, g := range groups {
			if _, err := tx.ExecContext(ctx, `insert into contact_group_members (group_id, contact_id) values (?, ?) on conflict do nothing`, g, id); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `update contact_imports set imported = ?, updated = ?, skipped = ?, failed = ? where id = ?`,
		imp.Imported, imp.Updated, imp.Skipped, imp.Failed, imp.ID); err != nil {
		return err
	}
	for n, id := range seen {
		j.seen[n] = id // kept even if the write failed later: the ids of a failed chunk are never used again (run stops)
	}
	return nil
}

// merge fills in contact id's fields from a repeated row: what the row
// gives replaces (a name only when the row has one), tags are added.
func (j *importJob) merge(ctx context.Context, tx *sql.Tx, id int64, r *app.ContactRow, c *app.Contact) error {
	old, err := scanContact(tx.QueryRowContext(ctx, `select `+contactColumns+` from contacts where id = ?`, id))
	if err != nil {
		return err
	}
	if r.Name != "" {
		old.Name = c.Name
	}
	for _, f := range []struct {
		dst *string
		src string
	}{{&old.Company, c.Company}, {&old.Title, c.Title}, {&old.Note, c.Note}} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	for _, t := range c.Tags {
		if !slices.Contains(old.Tags, t) && len(old.Tags) < 20 {
			old.Tags = append(old.Tags, t)
		}
	}
	_, err = tx.ExecContext(ctx, `update contacts set name = ?, company = ?, title = ?, tags = ?, note = ?, updated_at = ? where id = ?`,
		old.Name, old.Company, old.Title, tagsJSON(old.Tags), old.Note, ms(j.db.now()), id)
	return err
}

// groupIDs is the groups a row joins: the import's own and those its cell
// names, made in the book when missing. reason is why a row cannot join.
func (j *importJob) groupIDs(ctx context.Context, tx *sql.Tx, imp *app.ContactImport, names []string) ([]int64, string, error) {
	var out []int64
	if imp.GroupID != 0 {
		out = append(out, imp.GroupID)
	}
	for _, name := range names {
		if id, ok := j.groups[name]; ok {
			out = append(out, id)
			continue
		}
		g := &app.ContactGroup{Book: imp.Book, DepartmentID: imp.DepartmentID, OwnerID: imp.OwnerID, Name: name}
		if err := g.Validate(); err != nil {
			return nil, "分组“" + name + "”：" + app.ErrorMessage(err), nil
		}
		err := tx.QueryRowContext(ctx, `select id from contact_groups where book = ? and department_id = ? and owner_id = ? and name = ?`,
			string(g.Book), g.DepartmentID, g.OwnerID, g.Name).Scan(&g.ID)
		if errors.Is(err, sql.ErrNoRows) {
			var n int
			if err := tx.QueryRowContext(ctx, `select count(*) from contact_groups where book = ? and department_id = ? and owner_id = ?`,
				string(g.Book), g.DepartmentID, g.OwnerID).Scan(&n); err != nil {
				return nil, "", err
			} else if n >= app.MaxGroupsPerBook {
				return nil, "分组过多：一个通讯录最多" + strconv.Itoa(app.MaxGroupsPerBook) + "个分组", nil
			}
			if g.ID, err = j.db.nextID(ctx, tx, "contact_groups"); err != nil {
				return nil, "", err
			}
			_, err = tx.ExecContext(ctx, `insert into contact_groups (id, book, department_id, owner_id, name, created_at) values (?, ?, ?, ?, ?, ?)`,
				g.ID, string(g.Book), g.DepartmentID, g.OwnerID, g.Name, ms(j.db.now()))
		}
		if err != nil {
			return nil, "", err
		}
		// Kept before the write commits: a failed write stops the import.
		j.groups[name] = g.ID
		out = append(out, g.ID)
	}
	return out, "", nil
}

// interruptImports marks the imports a stopped server left running.
func (db *DB) interruptImports(ctx context.Context) error {
	_, err := db.wdb.ExecContext(ctx, `update contact_imports set status = ?, done_at = ? where status = ?`,
		string(app.ImportInterrupted), ms(db.now()), string(app.ImportRunning))
	return err
}
