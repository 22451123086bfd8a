package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"smsgw/app"
)

const groupColumns = `id, book, department_id, owner_id, name, created_at,
	(select count(*) from contact_group_members m where m.group_id = contact_groups.id)`

func scanGroup(s interface{ Scan(...any) error }) (*app.ContactGroup, error) {
	var g app.ContactGroup
	var book string
	var created int64
	if err := s.Scan(&g.ID, &book, &g.DepartmentID, &g.OwnerID, &g.Name, &created, &g.Count); err != nil {
		return nil, err
	}
	g.Book, g.CreatedAt = app.Book(book), fromMS(created)
	return &g, nil
}

// CreateGroup adds a group to a book p may write.
func (db *DB) CreateGroup(ctx context.Context, p *app.Principal, g *app.ContactGroup) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if err := g.Validate(); err != nil {
		return err
	}
	var err error
	if g.DepartmentID, g.OwnerID, err = bookOf(p, g.Book, g.DepartmentID); err != nil {
		return err
	}
	g.CreatedAt = db.now()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := mayWriteBook(ctx, tx, p, g.Book, g.DepartmentID, g.OwnerID); err != nil {
			if app.ErrorCode(err) == app.ENOTFOUND {
				return app.FieldError("department_id", "部门不存在或不在管辖范围内")
			}
			return err
		}
		if err := groupNameFree(ctx, tx, g); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `select count(*) from contact_groups where book = ? and department_id = ? and owner_id = ?`,
			string(g.Book), g.DepartmentID, g.OwnerID).Scan(&n); err != nil {
			return err
		} else if n >= app.MaxGroupsPerBook {
			return app.Errorf(app.ECONFLICT, "一个通讯录最多%d个分组", app.MaxGroupsPerBook)
		}
		id, err := db.nextID(ctx, tx, "contact_groups")
		if err != nil {
			return err
		}
		g.ID = id
		_, err = tx.ExecContext(ctx, `insert into contact_groups (id, book, department_id, owner_id, name, created_at) values (?, ?, ?, ?, ?, ?)`,
			g.ID, string(g.Book), g.DepartmentID, g.OwnerID, g.Name, ms(g.CreatedAt))
		return err
	})
}

// groupNameFree answers ECONFLICT when g's book has another group of g's name.
func groupNameFree(ctx context.Context, q querier, g *app.ContactGroup) error {
	var n int
	if err := q.QueryRowContext(ctx, `select count(*) from contact_groups where book = ? and department_id = ? and owner_id = ? and name = ? and id != ?`,
		string(g.Book), g.DepartmentID, g.OwnerID, g.Name, g.ID).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		e := app.Errorf(app.ECONFLICT, "该通讯录已有名为“%s”的分组", g.Name)
		e.Details = map[string]any{"field": "name"}
		return e
	}
	return nil
}

// visibleGroup reads group id if p sees it.
func visibleGroup(ctx context.Context, q querier, p *app.Principal, id int64) (*app.ContactGroup, error) {
	seen, args := bookSeen(p)
	g, err := scanGroup(q.QueryRowContext(ctx, `select `+groupColumns+` from contact_groups where id = ? and `+seen,
		append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "分组不存在")
	}
	return g, err
}

// RenameGroup renames a group p may write.
func (db *DB) RenameGroup(ctx context.Context, p *app.Principal, id int64, name string) (*app.ContactGroup, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	var g *app.ContactGroup
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if g, err = visibleGroup(ctx, tx, p, id); err != nil {
			return err
		}
		if err := mayWriteBook(ctx, tx, p, g.Book, g.DepartmentID, g.OwnerID); err != nil {
			return err
		}
		g.Name = name
		if err := g.Validate(); err != nil {
			return err
		}
		if err := groupNameFree(ctx, tx, g); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `update contact_groups set name = ? where id = ?`, g.Name, g.ID)
		return err
	})
	return g, err
}

// DeleteGroup removes a group p may write; its contacts stay.
func (db *DB) DeleteGroup(ctx context.Context, p *app.Principal, id int64) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		g, err := visibleGroup(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := mayWriteBook(ctx, tx, p, g.Book, g.DepartmentID, g.OwnerID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `delete from contact_groups where id = ?`, id)
		return err
	})
}

// FindGroups lists the groups p sees, by book, department and name.
func (db *DB) FindGroups(ctx context.Context, p *app.Principal, f app.GroupFilter) ([]*app.ContactGroup, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if err := mayReadBooks(p); err != nil {
		return nil, err
	}
	seen, args := bookSeen(p)
	where := []string{seen}
	if f.Book != "" {
		where, args = append(where, `book = ?`), append(args, string(f.Book))
	}
	if f.DepartmentID != 0 {
		where, args = append(where, `department_id = ?`), append(args, f.DepartmentID)
	}
	rows, err := db.rdb.QueryContext(ctx, `select `+groupColumns+` from contact_groups where `+strings.Join(where, ` and `)+
		` order by book, department_id, name limit 1000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*app.ContactGroup{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}
