package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"smsgw/app"
)

// importChunk is how many rows one write of an import takes: small enough
// that sends queued behind it wait a few milliseconds. After each chunk the
// import waits as long as the chunk took, so it has at most half of the
// writer's time and sends never queue behind a run of chunks.
const importChunk = 200

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
		var mine, all int
		if err := tx.QueryRowContext(ctx, `select count(*) filter (where user_id = ? and api_key_id = ?), count(*)
			from contact_imports where status = ?`, imp.UserID, imp.APIKeyID, string(app.ImportRunning)).Scan(&mine, &all); err != nil {
			return err
		} else if mine > 0 {
			return app.Errorf(app.ECONFLICT, "您已有一个导入正在进行，请等它完成后再导入")
		} else if all >= app.MaxRunningImports {
			return app.Errorf(app.ECONFLICT, "系统中同时进行的导入已达%d个，请稍后再试", app.MaxRunningImports)
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
	job := &importJob{db: db, imp: *imp, groups: map[string]int64{}}
	go job.run(rows)
	return nil
}

// importJob reads an import's rows into its book, a chunk per write. Each
// chunk's contacts and counts commit together, so the counts shown are
// always what is in the book.
type importJob struct {
	db     *DB
	imp    app.ContactImport
	groups map[string]int64 // group name -> id in the book
}

func (j *importJob) run(rows []app.ContactRow) {
	db := j.db
	for start := 0; start < len(rows); start += importChunk {
		chunk := rows[start:min(start+importChunk, len(rows))]
		if err := db.enter(); err != nil {
			return // stopping: the next start marks the import interrupted
		}
		// The counts are kept only once the chunk's write commits.
		next, began := j.imp, time.Now()
		err := db.writer.do(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			return j.chunk(ctx, tx, &next, chunk)
		})
		db.leave()
		time.Sleep(min(time.Since(began), 50*time.Millisecond))
		if err != nil {
			db.log.Error("import stopped", "import", j.imp.ID, "error", err)
			if app.ErrorCode(err) == app.EUNAVAILABLE {
				return // stopping: the next start marks it interrupted
			}
			j.finish(app.ImportStopped)
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

// chunk takes rows into the book and adds their counts to imp. The book's
// numbers among the rows are looked up in one query, and the statements
// run per row are prepared once per chunk.
func (j *importJob) chunk(ctx context.Context, tx *sql.Tx, imp *app.ContactImport, rows []app.ContactRow) error {
	contacts := make([]*app.Contact, len(rows))
	reasons := make([]string, len(rows))
	phones := make([]string, 0, len(rows))
	for i, r := range rows {
		c, err := r.Contact(imp.Book, imp.DepartmentID, imp.OwnerID)
		if err != nil {
			reasons[i] = err.Error()
			continue
		}
		contacts[i] = c
		phones = append(phones, c.Phone)
	}
	existing, err := j.existing(ctx, tx, imp, phones)
	if err != nil {
		return err
	}
	if err := j.dropDeletedGroups(ctx, tx, imp); err != nil {
		return err
	}
	nextID, err := j.db.nextID(ctx, tx, "contacts")
	if err != nil {
		return err
	}
	var stmts [3]*sql.Stmt
	for i, q := range []string{
		`insert into contacts (` + contactColumns + `) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		`insert into contact_group_members (group_id, contact_id) values (?, ?) on conflict do nothing`,
		`insert into contact_import_failures (import_id, line, name, phone, reason) values (?, ?, ?, ?, ?) on conflict do nothing`,
	} {
		if stmts[i], err = tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		defer stmts[i].Close()
	}
	insContact, insMember, insFailure := stmts[0], stmts[1], stmts[2]
	now := ms(j.db.now())
	for i, r := range rows {
		c := contacts[i]
		var groups []int64
		if c != nil {
			if groups, reasons[i], err = j.groupIDs(ctx, tx, imp, app.SplitNames(r.Groups)); err != nil {
				return err
			}
		}
		if reasons[i] != "" {
			imp.Failed++
			if _, err := insFailure.ExecContext(ctx, imp.ID, r.Line, r.Name, r.Phone, reasons[i]); err != nil {
				return err
			}
			continue
		}
		id := existing[c.Phone]
		switch {
		case id == 0:
			id, nextID = nextID, nextID+1
			if _, err := insContact.ExecContext(ctx, id, string(c.Book), c.DepartmentID, c.OwnerID, c.Name, c.Phone, c.Company, c.Title,
				tagsJSON(c.Tags), c.Note, now, now); err != nil {
				return err
			}
			existing[c.Phone] = id // a repeat later in the file is a repeat
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
			if _, err := insMember.ExecContext(ctx, g, id); err != nil {
				return err
			}
		}
	}
	_, err = tx.ExecContext(ctx, `update contact_imports set imported = ?, updated = ?, skipped = ?, failed = ? where id = ?`,
		imp.Imported, imp.Updated, imp.Skipped, imp.Failed, imp.ID)
	return err
}

// dropDeletedGroups forgets the groups deleted since the last chunk (a
// user may delete one while the import runs): a group the rows name is made
// again, the import's own group is no longer joined.
func (j *importJob) dropDeletedGroups(ctx context.Context, tx *sql.Tx, imp *app.ContactImport) error {
	ids := make([]int64, 0, len(j.groups)+1)
	for _, id := range j.groups {
		ids = append(ids, id)
	}
	if imp.GroupID != 0 {
		ids = append(ids, imp.GroupID)
	}
	if len(ids) == 0 {
		return nil
	}
	list, _ := json.Marshal(ids)
	alive, err := selectColumn[int64](ctx, tx, `select id from contact_groups where id in (select value from json_each(?))`, string(list))
	if err != nil {
		return err
	}
	live := make(map[int64]bool, len(alive))
	for _, id := range alive {
		live[id] = true
	}
	for name, id := range j.groups {
		if !live[id] {
			delete(j.groups, name)
		}
	}
	if imp.GroupID != 0 && !live[imp.GroupID] {
		imp.GroupID = 0
	}
	return nil
}

// existing maps the numbers the book has among phones to their contacts.
func (j *importJob) existing(ctx context.Context, tx *sql.Tx, imp *app.ContactImport, phones []string) (map[string]int64, error) {
	out := make(map[string]int64, len(phones))
	list, err := json.Marshal(phones)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `select phone, id from contacts where book = ? and department_id = ? and owner_id = ?
		and phone in (select value from json_each(?))`, string(imp.Book), imp.DepartmentID, imp.OwnerID, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var phone string
		var id int64
		if err := rows.Scan(&phone, &id); err != nil {
			return nil, err
		}
		out[phone] = id
	}
	return out, rows.Err()
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
