package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"smsgw/app"
)

// The quota ledger (see app.AccountService). Every balance change is a
// guarded update and a ledger row in one writer transaction: the debit of a
// send in the op that stores its batch (chargeSend), refunds before each
// commit (settleRefunds), top-ups and allocations in their own op.

const (
	// qPayer finds the nearest account at or above a department.
	qPayer = `with recursive up(id, parent_id, depth) as (
		select id, parent_id, 0 from departments where id = ?
		union all select d.id, d.parent_id, up.depth + 1 from departments d join up on d.id = up.parent_id)
	select a.department_id from up join accounts a on a.department_id = up.id order by up.depth limit 1`
	// qDebit takes a charge only if the balance covers it: the check and
	// the change are one statement inside the writer's transaction, so no
	// two sends can both spend the same segments.
	qDebit            = `update accounts set balance = balance - ? where department_id = ? and balance >= ? returning balance`
	qCredit           = `update accounts set balance = balance + ? where department_id = ? returning balance`
	qInsertLedgerRows = `insert into ledger (id, at, department_id, kind, segments, balance_after, batch_id, actor_user_id, actor_api_key_id, note) values `
	qInsertLedger     = qInsertLedgerRows + `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qConsume          = `insert into consumption (month, department_id, user_id, api_key_id, debited, refunded) values (?, ?, ?, ?, ?, ?)
		on conflict (month, department_id, user_id, api_key_id) do update set debited = debited + excluded.debited, refunded = refunded + excluded.refunded`
	qPendingRefunds = `select p.batch_id, p.segments, coalesce(b.paid_by, 0), coalesce(b.charged - b.refunded, 0),
			coalesce(b.department_id, 0), coalesce(b.user_id, 0), coalesce(b.api_key_id, 0)
		from refund_pending p left join batches b on b.id = p.batch_id`

	settingRefundFailed = "refund_failed"
)

// payer returns the department whose account dept's sends draw on, 0 when
// unmetered.
func (db *DB) payer(ctx context.Context, tx *sql.Tx, dept int64) (int64, error) {
	if p, ok := db.payers.get(dept); ok {
		return p, nil
	}
	var paidBy int64
	err := db.queryRow(ctx, tx, qPayer, dept).Scan(&paidBy)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	db.payers.put(dept, paidBy)
	return paidBy, nil
}

// chargeSend debits a send's charge from the account its department draws
// on and counts it in the month's consumption, inside the writer's
// transaction; it answers EQUOTA, changing nothing, when the balance does
// not cover it. It returns the paying department (0: unmetered).
func (db *DB) chargeSend(ctx context.Context, tx *sql.Tx, b *app.Batch, charge int64) (int64, error) {
	paidBy, err := db.payer(ctx, tx, b.DepartmentID)
	if err != nil || charge == 0 {
		return paidBy, err
	}
	if paidBy != 0 {
		var after int64
		err := db.queryRow(ctx, tx, qDebit, charge, paidBy, charge).Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			var balance int64
			err := tx.QueryRowContext(ctx, `select balance from accounts where department_id = ?`, paidBy).Scan(&balance)
			if errors.Is(err, sql.ErrNoRows) {
				// Cached from an account whose creation was rolled back.
				db.payers.reset()
				return db.chargeSend(ctx, tx, b, charge)
			} else if err != nil {
				return 0, err
			}
			e := app.Errorf(app.EQUOTA, "余额不足：剩余 %d 条，本次发送需 %d 条，未发送", balance, charge)
			e.Details = map[string]any{"balance": balance, "cost": charge}
			return 0, e
		} else if err != nil {
			return 0, err
		}
		if err := db.addLedger(ctx, tx, ledgerRow{at: ms(b.CreatedAt), dept: paidBy, kind: string(app.LedgerDebit), segs: -charge,
			after: after, batch: b.ID, user: b.UserID, key: b.APIKeyID}); err != nil {
			return 0, err
		}
	}
	return paidBy, db.addConsumption(ctx, tx, consumeKey{app.MonthOf(b.CreatedAt), b.DepartmentID, b.UserID, b.APIKeyID}, consumeDelta{debited: charge})
}

// settleRefunds turns the segments the refund trigger (migration 0022)
// gathered in this transaction into refunds: at most what each batch was
// charged, one ledger entry per paying batch, the month's consumption, and
// an empty refund_pending. A refund names the batch's sender as its actor,
// as the debit does, so a sender sees both. The writer runs it before every commit, so a
// refund commits with the status change that caused it, and only once.
func (db *DB) settleRefunds(ctx context.Context, tx *sql.Tx, n *ledgerNotes) error {
	rows, err := db.queryRows(ctx, tx, qPendingRefunds)
	if err != nil {
		return err
	}
	type pending struct{ batch, segs, paidBy, left, dept, user, key int64 }
	var list []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.batch, &p.segs, &p.paidBy, &p.left, &p.dept, &p.user, &p.key); err != nil {
			rows.Close()
			return err
		}
		list = append(list, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(list) == 0 {
		return err
	}
	now := db.now()
	for _, p := range list {
		amt := min(p.segs, p.left)
		if amt <= 0 {
			continue // charged nothing (from before the ledger, or all refunded)
		}
		if _, err := tx.ExecContext(ctx, `update batches set refunded = refunded + ? where id = ?`, amt, p.batch); err != nil {
			return err
		}
		if p.paidBy != 0 {
			after, err := db.credit(ctx, tx, p.paidBy, amt, p.batch)
			if err != nil {
				return err
			}
			n.rows = append(n.rows, ledgerRow{at: ms(now), dept: p.paidBy, kind: string(app.LedgerRefund), segs: amt, after: after,
				batch: p.batch, user: p.user, key: p.key, note: "未发出或发送失败的短信退还"})
		}
		n.consume(consumeKey{app.MonthOf(now), p.dept, p.user, p.key}, consumeDelta{refunded: amt})
	}
	_, err = tx.ExecContext(ctx, `delete from refund_pending`)
	return err
}

// credit adds a refund to the account that paid for batch. The account is
// there: DeleteDepartment keeps an account while messages it paid for are
// unfinished. Should it be missing all the same (a database edited by
// hand), it is made again, empty, rather than fail the refund: settle runs
// in the writer's shared transaction, and its error would undo every
// other caller's work with it, again on every later write (issue 16).
func (db *DB) credit(ctx context.Context, tx *sql.Tx, dept, amt, batch int64) (int64, error) {
	var after int64
	err := tx.QueryRowContext(ctx, qCredit, amt, dept).Scan(&after)
	if !errors.Is(err, sql.ErrNoRows) {
		return after, err
	}
	db.log.Warn("退还的账户不存在，已重新建立 (the account a refund goes to was missing: made again)",
		"department", dept, "batch", batch, "segments", amt)
	if _, err := tx.ExecContext(ctx, `insert into accounts (department_id, balance, created_at) values (?, 0, ?)
		on conflict (department_id) do nothing`, dept, ms(db.now())); err != nil {
		return 0, err
	}
	db.payers.reset()
	err = tx.QueryRowContext(ctx, qCredit, amt, dept).Scan(&after)
	return after, err
}

// mayChangeAccount answers EFORBIDDEN unless p may change the accounts of
// the departments below its own (allocate, thresholds): a system
// administrator, or a department administrator; an API app needs scope
// admin.
func mayChangeAccount(p *app.Principal) error {
	if p.Role != app.RoleSysadmin && p.Role != app.RoleDeptAdmin || !p.HasScope(app.ScopeAdmin) {
		return app.Errorf(app.EFORBIDDEN, "只有系统管理员或部门管理员可以调整额度")
	}
	return nil
}

// mayReadAccount answers ENOTFOUND unless p may see department dept's
// account: a system administrator any; department administrators and
// auditors their subtree; operators their own department.
func mayReadAccount(ctx context.Context, q querier, p *app.Principal, dept int64) error {
	if !p.HasScope(app.ScopeAccount) && !p.HasScope(app.ScopeAdmin) {
		return app.Errorf(app.EFORBIDDEN, "该应用没有账户权限 (scope account)")
	}
	if p.Role == app.RoleOperator {
		if dept != p.DepartmentID {
			return app.Errorf(app.ENOTFOUND, "部门不存在")
		}
		return nil
	}
	return reachable(ctx, q, p, dept, true)
}

// Account implements app.AccountService.
func (db *DB) Account(ctx context.Context, p *app.Principal, dept int64) (*app.Account, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if dept == 0 {
		dept = p.DepartmentID
	}
	tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := mayReadAccount(ctx, tx, p, dept); err != nil {
		return nil, err
	}
	a := &app.Account{DepartmentID: dept}
	err = tx.QueryRowContext(ctx, qPayer, dept).Scan(&a.PaidBy)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if a.PaidBy != 0 {
		if err := tx.QueryRowContext(ctx, `select balance, low_balance_threshold from accounts where department_id = ?`, a.PaidBy).
			Scan(&a.Balance, &a.LowBalanceThreshold); err != nil {
			return nil, err
		}
	}
	// An operator sees its own use, as in Consumption.
	used, args := `department_id in (`+subtreeSQL+`)`, []any{dept}
	switch {
	case p.Role == app.RoleOperator && p.APIKeyID != 0:
		used, args = `api_key_id = ?`, []any{p.APIKeyID}
	case p.Role == app.RoleOperator:
		used, args = `user_id = ? and api_key_id = 0`, []any{p.UserID}
	}
	err = tx.QueryRowContext(ctx, `select coalesce(sum(debited - refunded), 0) from consumption
		where month = ? and `+used, append([]any{app.MonthOf(db.now())}, args...)...).Scan(&a.MonthUsed)
	return a, err
}

// TopUp implements app.AccountService.
func (db *DB) TopUp(ctx context.Context, p *app.Principal, dept, segments int64, note string) (*app.LedgerEntry, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if p.Role != app.RoleSysadmin || !p.HasScope(app.ScopeAdmin) {
		return nil, app.Errorf(app.EFORBIDDEN, "只有系统管理员可以充值或冲正")
	}
	note = strings.TrimSpace(note)
	switch {
	case segments == 0:
		return nil, app.FieldError("segments", "充值条数不能为 0")
	case segments > app.MaxTopUp || segments < -app.MaxTopUp:
		return nil, app.FieldError("segments", "一次充值最多 %d 条", app.MaxTopUp)
	case note == "":
		return nil, app.FieldError("note", "请填写充值或冲正的原因")
	case len([]rune(note)) > 200:
		return nil, app.FieldError("note", "备注最长200个字")
	}
	e := &app.LedgerEntry{At: db.now(), DepartmentID: dept, Kind: app.LedgerTopup, Segments: segments, Note: note}
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := reachable(ctx, tx, p, dept, true); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `insert into accounts (department_id, balance, created_at) values (?, 0, ?)
			on conflict (department_id) do nothing`, dept, ms(e.At)); err != nil {
			return err
		}
		db.payers.reset() // the department, and those below it, may draw on it now
		var err error
		if segments > 0 {
			err = tx.QueryRowContext(ctx, qCredit, segments, dept).Scan(&e.BalanceAfter)
		} else {
			err = tx.QueryRowContext(ctx, qDebit, -segments, dept, -segments).Scan(&e.BalanceAfter)
			if errors.Is(err, sql.ErrNoRows) {
				return app.FieldError("segments", "冲正后余额不能小于 0")
			}
		}
		if err != nil {
			return err
		}
		if err := db.addLedger(ctx, tx, ledgerRow{at: ms(e.At), dept: dept, kind: string(e.Kind), segs: segments, after: e.BalanceAfter,
			user: p.UserID, key: p.APIKeyID, note: note, id: &e.ID}); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `select `+actorName+` from (select 1) left join users u on u.id = ?
			left join api_keys k on k.id = ?`, p.UserID, p.APIKeyID).Scan(&e.Actor)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Allocate implements app.AccountService.
func (db *DB) Allocate(ctx context.Context, p *app.Principal, from, to, segments int64, note string) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if err := mayChangeAccount(p); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	switch {
	case segments <= 0:
		return app.FieldError("segments", "划拨条数必须大于 0")
	case segments > app.MaxTopUp:
		return app.FieldError("segments", "一次划拨最多 %d 条", app.MaxTopUp)
	case len([]rune(note)) > 200:
		return app.FieldError("note", "备注最长200个字")
	case from == to:
		return app.FieldError("to_department_id", "不能划拨给本部门")
	}
	now := db.now()
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := reachable(ctx, tx, p, from, true); err != nil {
			return err
		}
		if err := reachable(ctx, tx, p, to, true); err != nil {
			return err
		}
		var below bool
		if err := tx.QueryRowContext(ctx, `select ? in (`+subtreeSQL+`)`, to, from).Scan(&below); err != nil {
			return err
		}
		if !below {
			return app.FieldError("to_department_id", "只能划拨给下级部门")
		}
		var after int64
		err := tx.QueryRowContext(ctx, qDebit, segments, from, segments).Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			var balance int64
			err := tx.QueryRowContext(ctx, `select balance from accounts where department_id = ?`, from).Scan(&balance)
			if errors.Is(err, sql.ErrNoRows) {
				e := app.Errorf(app.EQUOTA, "该部门没有独立额度，不能划拨：请先为其充值或从上级部门划拨")
				e.Details = map[string]any{"balance": 0, "cost": segments}
				return e
			} else if err != nil {
				return err
			}
			e := app.Errorf(app.EQUOTA, "余额不足：剩余 %d 条，划拨 %d 条", balance, segments)
			e.Details = map[string]any{"balance": balance, "cost": segments}
			return e
		} else if err != nil {
			return err
		}
		if err := db.addLedger(ctx, tx, ledgerRow{at: ms(now), dept: from, kind: string(app.LedgerAllocate), segs: -segments, after: after,
			user: p.UserID, key: p.APIKeyID, note: note}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `insert into accounts (department_id, balance, created_at) values (?, 0, ?)
			on conflict (department_id) do nothing`, to, ms(now)); err != nil {
			return err
		}
		db.payers.reset()
		if err := tx.QueryRowContext(ctx, qCredit, segments, to).Scan(&after); err != nil {
			return err
		}
		return db.addLedger(ctx, tx, ledgerRow{at: ms(now), dept: to, kind: string(app.LedgerAllocate), segs: segments, after: after,
			user: p.UserID, key: p.APIKeyID, note: note})
	})
}

// SetLowBalance implements app.AccountService.
func (db *DB) SetLowBalance(ctx context.Context, p *app.Principal, dept, threshold int64) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if err := mayChangeAccount(p); err != nil {
		return err
	}
	if threshold < 0 || threshold > app.MaxTopUp {
		return app.FieldError("low_balance_threshold", "提醒阈值须在 0 到 %d 之间", app.MaxTopUp)
	}
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := reachable(ctx, tx, p, dept, true); err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `update accounts set low_balance_threshold = ? where department_id = ?`, threshold, dept)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "该部门没有独立额度账户")
		}
		return nil
	})
}

// RefundFailed implements app.AccountService.
func (db *DB) RefundFailed(ctx context.Context) (bool, error) {
	if err := db.enter(); err != nil {
		return false, err
	}
	defer db.leave()
	var v string
	err := db.rdb.QueryRowContext(ctx, `select value from settings where key = ?`, settingRefundFailed).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return v == "true", err
}

// SetRefundFailed implements app.AccountService. The trigger of migration
// 0022 reads the value as the JSON true or false.
func (db *DB) SetRefundFailed(ctx context.Context, p *app.Principal, on bool) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if p.Role != app.RoleSysadmin || !p.HasScope(app.ScopeAdmin) {
		return app.Errorf(app.EFORBIDDEN, "只有系统管理员可以修改失败退还设置")
	}
	v := "false"
	if on {
		v = "true"
	}
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `insert into settings (key, value) values (?, ?) on conflict (key) do update set value = excluded.value`,
			settingRefundFailed, v)
		return err
	})
}
