package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"smsgw/app"
)

// CreateSignature stores a signature as the CLI and the demo set it up,
// approved or pending, with no review.
func (db *DB) CreateSignature(ctx context.Context, s *app.Signature) error {
	defer db.forgetAccess() // changes to keys, departments and signatures take effect at once
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if err := s.Validate(); err != nil {
		return err
	}
	s.Status = app.ReviewPending
	if s.Approved {
		s.Status = app.ReviewApproved
	}
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.insertSignature(ctx, tx, s)
	})
}

func (db *DB) insertSignature(ctx context.Context, tx *sql.Tx, s *app.Signature) error {
	s.CreatedAt = db.now()
	id, err := db.nextID(ctx, tx, "signatures")
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `insert into signatures (id, department_id, name, approved, status, is_default, api_key_id, created_at)
		values (?, ?, ?, ?, ?, ?, ?, ?)`, id, s.DepartmentID, s.Name, s.Status == app.ReviewApproved, string(s.Status), s.Default, s.APIKeyID, ms(s.CreatedAt))
	if err != nil {
		return uniqueError(foreignKeyError(err, "department_id", "部门不存在"), "该部门已有同名签名")
	}
	s.ID = id
	return nil
}

// SubmitSignature stores a signature for a department p reaches, pending.
func (db *DB) SubmitSignature(ctx context.Context, p *app.Principal, s *app.Signature) error {
	defer db.forgetAccess()
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if err := canWriteTemplates(p); err != nil {
		return err
	} else if err := s.Validate(); err != nil {
		return err
	}
	if s.DepartmentID == 0 {
		s.DepartmentID = p.DepartmentID
	}
	s.Status, s.Approved, s.APIKeyID = app.ReviewPending, false, p.APIKeyID
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := reachable(ctx, tx, p, s.DepartmentID, true); err != nil {
			return app.FieldError("department_id", "部门不存在或无权为其提交签名")
		}
		return db.insertSignature(ctx, tx, s)
	})
}

const signatureCols = `t.id, t.department_id, t.name, t.status, t.reason, t.is_default, t.reviewed_by, t.reviewed_at, t.created_at`

func scanSignature(row interface{ Scan(...any) error }) (*app.Signature, error) {
	var s app.Signature
	var status string
	var reviewed, created int64
	if err := row.Scan(&s.ID, &s.DepartmentID, &s.Name, &status, &s.Reason, &s.Default, &s.ReviewedBy, &reviewed, &created); err != nil {
		return nil, err
	}
	s.Status, s.Approved = app.ReviewStatus(status), status == string(app.ReviewApproved)
	s.ReviewedAt, s.CreatedAt = fromMS(reviewed), fromMS(created)
	return &s, nil
}

// FindSignatures lists the signatures p sees (its subtree's and those above
// it), optionally of one status, or those it may send with.
func (db *DB) FindSignatures(ctx context.Context, p *app.Principal, f app.SignatureFilter) ([]*app.Signature, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	where, args := templateScope(p)
	if f.ForSending { // as signatureApproved: own department or above, whoever asks
		where, args, f.Status = `t.department_id in (`+upSQL+`)`, []any{p.DepartmentID}, app.ReviewApproved
	}
	if f.Status != "" {
		where, args = where+` and t.status = ?`, append(args, string(f.Status))
	}
	rows, err := db.rdb.QueryContext(ctx, `select `+signatureCols+` from signatures t where `+where+` order by t.id desc limit 1000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*app.Signature
	for rows.Next() {
		s, err := scanSignature(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (db *DB) findSignature(ctx context.Context, q querier, p *app.Principal, id int64) (*app.Signature, error) {
	scope, args := templateScope(p)
	s, err := scanSignature(q.QueryRowContext(ctx, `select `+signatureCols+` from signatures t where t.id = ? and `+scope, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "签名不存在")
	}
	return s, err
}

// DeleteSignature removes a signature of p's subtree.
func (db *DB) DeleteSignature(ctx context.Context, p *app.Principal, id int64) error {
	defer db.forgetAccess()
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if err := canWriteTemplates(p); err != nil {
		return err
	}
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		s, err := db.findSignature(ctx, tx, p, id)
		if err != nil {
			return err
		} else if err := reachable(ctx, tx, p, s.DepartmentID, true); err != nil {
			return app.Errorf(app.EFORBIDDEN, "上级部门的签名只能使用，不能删除")
		}
		_, err = tx.ExecContext(ctx, `delete from signatures where id = ?`, id)
		return err
	})
}

// ReviewSignature approves or rejects a pending signature.
func (db *DB) ReviewSignature(ctx context.Context, p *app.Principal, id int64, r *app.Review) (*app.Signature, error) {
	defer db.forgetAccess()
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if !p.CanReview() {
		return nil, app.Errorf(app.EFORBIDDEN, "只有审核员（系统管理员）可以审核签名")
	} else if err := r.Validate(); err != nil {
		return nil, err
	}
	var s *app.Signature
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if s, err = db.findSignature(ctx, tx, p, id); err != nil {
			return err
		} else if s.Status != app.ReviewPending {
			return app.Errorf(app.ECONFLICT, "签名已审核（%s）", s.Status)
		}
		s.Status, s.Reason = app.ReviewApproved, ""
		if r.Decision == "reject" {
			s.Status, s.Reason = app.ReviewRejected, strings.TrimSpace(r.Reason)
		}
		s.Approved, s.ReviewedBy, s.ReviewedAt = s.Status == app.ReviewApproved, p.UserID, db.now()
		if _, err = tx.ExecContext(ctx, `update signatures set status = ?, approved = ?, reason = ?, reviewed_by = ?, reviewed_at = ? where id = ?`,
			string(s.Status), s.Approved, s.Reason, s.ReviewedBy, ms(s.ReviewedAt), id); err != nil {
			return err
		}
		var apiKeyID int64
		if err := tx.QueryRowContext(ctx, `select api_key_id from signatures where id = ?`, id).Scan(&apiKeyID); err != nil {
			return err
		}
		return db.owedCallback(ctx, tx, apiKeyID, reviewNotice{Event: "signature.reviewed", ID: strconv.FormatInt(id, 10), Name: s.Name,
			Status: string(s.Status), Reason: s.Reason, ReviewedAt: rfc3339(s.ReviewedAt)})
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// defaultSignature picks the signature of a templated send that names
// none: the nearest default one approved for p's department or one above;
// else the only approved one. Errors: ESIGNATURE_NOT_APPROVED.
func (db *DB) defaultSignature(ctx context.Context, p *app.Principal) (string, error) {
	// The ancestors come nearest first: up() walks from the department to the root.
	rows, err := db.rdb.QueryContext(ctx, `with recursive up(id, parent_id, depth) as (
			select id, parent_id, 0 from departments where id = ?
			union select d.id, d.parent_id, up.depth + 1 from departments d join up on d.id = up.parent_id)
		select s.name, s.is_default from signatures s join up on up.id = s.department_id
		where s.status = 'approved' order by s.is_default desc, up.depth, s.id limit 2`, p.DepartmentID)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var names []string
	var def []bool
	for rows.Next() {
		var n string
		var d bool
		if err := rows.Scan(&n, &d); err != nil {
			return "", err
		}
		names, def = append(names, n), append(def, d)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if len(names) == 1 || len(names) > 1 && def[0] {
		return names[0], nil
	}
	e := app.Errorf(app.ESIGNATURE_NOT_APPROVED, "本部门没有已审核的默认签名，请用 signature 指定一个")
	if len(names) > 1 {
		e.Message = "本部门有多个已审核签名，请用 signature 指定一个"
	}
	e.Details = map[string]any{"field": "signature"}
	return "", e
}
