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

// templateScope limits templates to what p sees: a system administrator all,
// anyone else its department's subtree and the departments above it (whose
// approved templates it may send with).
func templateScope(p *app.Principal) (string, []any) {
	if p.SeesAll() {
		return `1`, nil
	}
	return `(t.department_id in (` + subtreeSQL + `) or t.department_id in (` + upSQL + `))`, []any{p.DepartmentID, p.DepartmentID}
}

// canWriteTemplates refuses auditors, and apps without the templates scope.
func canWriteTemplates(p *app.Principal) error {
	if !p.HasScope(app.ScopeTemplates) {
		return app.Errorf(app.EFORBIDDEN, "该应用没有模板权限 (scope templates)")
	} else if p.Role == app.RoleAuditor {
		return app.Errorf(app.EFORBIDDEN, "审计员不能提交模板或签名")
	}
	return nil
}

// CreateTemplate runs the automatic checks and stores t as version 1, pending.
func (db *DB) CreateTemplate(ctx context.Context, p *app.Principal, t *app.Template) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	defer db.templates.clear() // an id asked for before it existed is cached as unknown
	if err := canWriteTemplates(p); err != nil {
		return err
	}
	if t.DepartmentID == 0 {
		t.DepartmentID = p.DepartmentID
	}
	words, err := db.wordMatcher(ctx)
	if err != nil {
		return err
	}
	if t.Notes, err = app.CheckTemplate(t, words); err != nil {
		return err
	}
	now := db.now()
	t.UserID, t.APIKeyID, t.Version, t.Status, t.CreatedAt, t.UpdatedAt = p.UserID, p.APIKeyID, 1, app.ReviewPending, now, now
	vars, _ := json.Marshal(t.Vars)
	notes, _ := json.Marshal(nonNil(t.Notes))
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := reachable(ctx, tx, p, t.DepartmentID, true); err != nil {
			return app.FieldError("department_id", "部门不存在或无权为其提交模板")
		}
		id, err := db.nextID(ctx, tx, "templates")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `insert into templates (id, department_id, user_id, api_key_id, name, kind, content, vars, version,
			status, notes, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, 1, 'pending', ?, ?, ?)`,
			id, t.DepartmentID, t.UserID, t.APIKeyID, t.Name, string(t.Kind), t.Content, string(vars), string(notes), ms(now), ms(now))
		if err != nil {
			return err
		}
		t.ID = id
		return addTemplateVersion(ctx, tx, t, p)
	})
}

func addTemplateVersion(ctx context.Context, tx *sql.Tx, t *app.Template, p *app.Principal) error {
	vars, _ := json.Marshal(t.Vars)
	_, err := tx.ExecContext(ctx, `insert into template_versions (template_id, version, content, vars, status, submitted_by, submitted_at)
		values (?, ?, ?, ?, 'pending', ?, ?)`, t.ID, t.Version, t.Content, string(vars), p.UserID, ms(t.UpdatedAt))
	return err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

const templateCols = `t.id, t.department_id, t.user_id, t.api_key_id, t.name, t.kind, t.content, t.vars, t.version, t.status, t.reason,
	t.notes, t.live_content, t.live_vars, t.live_version, t.reviewed_by, t.reviewed_at, t.created_at, t.updated_at`

func scanTemplate(row interface{ Scan(...any) error }) (*app.Template, error) {
	var t app.Template
	var kind, vars, status, notes, liveVars string
	var reviewed, created, updated int64
	if err := row.Scan(&t.ID, &t.DepartmentID, &t.UserID, &t.APIKeyID, &t.Name, &kind, &t.Content, &vars, &t.Version, &status,
		&t.Reason, &notes, &t.LiveContent, &liveVars, &t.LiveVersion, &t.ReviewedBy, &reviewed, &created, &updated); err != nil {
		return nil, err
	}
	t.Kind, t.Status = app.TemplateKind(kind), app.ReviewStatus(status)
	t.ReviewedAt, t.CreatedAt, t.UpdatedAt = fromMS(reviewed), fromMS(created), fromMS(updated)
	for _, j := range []struct {
		s string
		v any
	}{{vars, &t.Vars}, {liveVars, &t.LiveVars}, {notes, &t.Notes}} {
		if err := json.Unmarshal([]byte(j.s), j.v); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// FindTemplateByID returns a template p sees. Errors: ENOTFOUND.
func (db *DB) FindTemplateByID(ctx context.Context, p *app.Principal, id int64) (*app.Template, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	return db.findTemplate(ctx, db.rdb, p, id)
}

func (db *DB) findTemplate(ctx context.Context, q querier, p *app.Principal, id int64) (*app.Template, error) {
	scope, args := templateScope(p)
	t, err := scanTemplate(q.QueryRowContext(ctx, `select `+templateCols+` from templates t where t.id = ? and `+scope,
		append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "模板不存在 (template %d not found)", id)
	}
	return t, err
}

// FindTemplates lists the templates p sees, newest first.
func (db *DB) FindTemplates(ctx context.Context, p *app.Principal, f app.TemplateFilter) ([]*app.Template, string, error) {
	if err := db.enter(); err != nil {
		return nil, "", err
	}
	defer db.leave()
	where, args := templateScope(p)
	if f.ForSending {
		where = `t.live_version > 0`
		if args = nil; !p.SeesAll() {
			where, args = where+` and t.department_id in (`+upSQL+`)`, []any{p.DepartmentID}
		}
	}
	switch f.Status {
	case "":
	case app.ReviewPending, app.ReviewApproved, app.ReviewRejected:
		where, args = where+` and t.status = ?`, append(args, string(f.Status))
	default:
		return nil, "", app.FieldError("status", "status 应为 pending、approved 或 rejected")
	}
	if c, ok, err := idCursor(f.Cursor); err != nil {
		return nil, "", err
	} else if ok {
		where, args = where+` and t.id < ?`, append(args, c)
	}
	limit := clampLimit(f.Limit)
	rows, err := db.rdb.QueryContext(ctx, `select `+templateCols+` from templates t where `+where+` order by t.id desc limit ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*app.Template
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, t)
	}
	out, next := idPage(out, limit, func(x *app.Template) int64 { return x.ID })
	return out, next, rows.Err()
}

// writableTemplate reads a template p may change: its subtree's (any for a
// system administrator). Errors: ENOTFOUND, EFORBIDDEN.
func (db *DB) writableTemplate(ctx context.Context, tx *sql.Tx, p *app.Principal, id int64) (*app.Template, error) {
	if err := canWriteTemplates(p); err != nil {
		return nil, err
	}
	t, err := db.findTemplate(ctx, tx, p, id)
	if err != nil {
		return nil, err
	}
	if err := reachable(ctx, tx, p, t.DepartmentID, true); err != nil {
		return nil, app.Errorf(app.EFORBIDDEN, "上级部门的模板只能使用，不能修改")
	}
	return t, nil
}

// UpdateTemplate edits a template. New content or rules make a new pending
// version; the approved one stays in use until the new one is approved.
func (db *DB) UpdateTemplate(ctx context.Context, p *app.Principal, id int64, u *app.TemplateUpdate) (*app.Template, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	defer db.templates.clear()
	words, err := db.wordMatcher(ctx)
	if err != nil {
		return nil, err
	}
	var t *app.Template
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if t, err = db.writableTemplate(ctx, tx, p, id); err != nil {
			return err
		}
		newVersion := u.Content != nil && *u.Content != t.Content || u.Vars != nil || u.Kind != nil && *u.Kind != t.Kind
		if u.Name != nil {
			t.Name = *u.Name
		}
		if u.Kind != nil {
			t.Kind = *u.Kind
		}
		if u.Content != nil {
			t.Content = *u.Content
		}
		if u.Vars != nil {
			t.Vars = *u.Vars
		}
		if t.Notes, err = app.CheckTemplate(t, words); err != nil {
			return err
		}
		t.UpdatedAt = db.now()
		if newVersion {
			t.Version++
			t.Status, t.Reason = app.ReviewPending, ""
			if err := addTemplateVersion(ctx, tx, t, p); err != nil {
				return err
			}
		}
		vars, _ := json.Marshal(t.Vars)
		notes, _ := json.Marshal(nonNil(t.Notes))
		_, err := tx.ExecContext(ctx, `update templates set name = ?, kind = ?, content = ?, vars = ?, version = ?, status = ?, reason = ?,
			notes = ?, updated_at = ? where id = ?`, t.Name, string(t.Kind), t.Content, string(vars), t.Version, string(t.Status), t.Reason,
			string(notes), ms(t.UpdatedAt), t.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// DeleteTemplate removes a template; messages sent with it keep their text.
func (db *DB) DeleteTemplate(ctx context.Context, p *app.Principal, id int64) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	defer db.templates.clear()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := db.writableTemplate(ctx, tx, p, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `delete from template_versions where template_id = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `delete from templates where id = ?`, id)
		return err
	})
}

// ReviewTemplate approves or rejects a template's newest version. Approval
// makes it the version messages are sent with.
func (db *DB) ReviewTemplate(ctx context.Context, p *app.Principal, id int64, r *app.Review) (*app.Template, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	defer db.templates.clear()
	if !p.CanReview() {
		return nil, app.Errorf(app.EFORBIDDEN, "只有审核员（系统管理员）可以审核模板")
	} else if err := r.Validate(); err != nil {
		return nil, err
	}
	var t *app.Template
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if t, err = db.findTemplate(ctx, tx, p, id); err != nil {
			return err
		} else if r.Version != 0 && r.Version != t.Version {
			return app.Errorf(app.ECONFLICT, "模板已修改为第%d版，请阅读新版本后再审核", t.Version)
		} else if t.Status != app.ReviewPending {
			return app.Errorf(app.ECONFLICT, "模板第%d版已审核（%s），修改后才能再次审核", t.Version, t.Status)
		}
		t.ReviewedBy, t.ReviewedAt = p.UserID, db.now()
		if r.Decision == "approve" {
			t.Status, t.Reason = app.ReviewApproved, ""
			t.LiveContent, t.LiveVars, t.LiveVersion = t.Content, t.Vars, t.Version
		} else {
			t.Status, t.Reason = app.ReviewRejected, strings.TrimSpace(r.Reason)
		}
		liveVars, _ := json.Marshal(t.LiveVars)
		if _, err := tx.ExecContext(ctx, `update templates set status = ?, reason = ?, live_content = ?, live_vars = ?, live_version = ?,
			reviewed_by = ?, reviewed_at = ? where id = ?`, string(t.Status), t.Reason, t.LiveContent, string(liveVars), t.LiveVersion,
			t.ReviewedBy, ms(t.ReviewedAt), t.ID); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `update template_versions set status = ?, reason = ?, reviewed_by = ?, reviewed_at = ?
			where template_id = ? and version = ?`, string(t.Status), t.Reason, t.ReviewedBy, ms(t.ReviewedAt), t.ID, t.Version); err != nil {
			return err
		}
		return db.owedCallback(ctx, tx, t.APIKeyID, reviewNotice{Event: "template.reviewed", ID: strconv.FormatInt(t.ID, 10), Name: t.Name,
			Version: t.Version, Status: string(t.Status), Reason: t.Reason, ReviewedAt: rfc3339(t.ReviewedAt)})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// sendTemplate reads the template a send names, if p may send with it: one
// of its own department or one above (app.PlanSend checks it is approved). Cached like signatures, cleared by
// every change to templates.
func (db *DB) sendTemplate(ctx context.Context, p *app.Principal, id int64) (*app.Template, error) {
	t, ok := db.templates.get(id)
	if !ok {
		var err error
		t, err = scanTemplate(db.reads.row(ctx, `select `+templateCols+` from templates t where t.id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			t = nil
		} else if err != nil {
			return nil, err
		}
		db.templates.put(id, t)
	}
	if t == nil {
		return nil, templateNotFound(id)
	}
	if !p.SeesAll() {
		var ok bool
		if err := db.reads.row(ctx, `select ? in (`+upSQL+`)`, t.DepartmentID, p.DepartmentID).Scan(&ok); err != nil {
			return nil, err
		} else if !ok {
			return nil, templateNotFound(id)
		}
	}
	return t, nil
}

func templateNotFound(id int64) error {
	e := app.Errorf(app.ENOTFOUND, "模板不存在 (template %d not found)", id)
	e.Details = map[string]any{"field": "template_id"}
	return e
}
