package store

import (
	"context"
	"database/sql"
)

// The ledger rows and monthly consumption a writer transaction makes are
// written once, at its end (settleLedger), rather than one statement per
// send: each op collects them in its ledgerNotes, the writer keeps those
// of the ops that succeeded (a failed op's notes go with its savepoint),
// in op order, and settle inserts the rows in that order, so ledger ids
// follow the order of the balance changes. The balance changes themselves
// (the guarded debit, the credits) run in the op, at once.

// ledgerNotes are what ops leave for the end of the transaction.
type ledgerNotes struct {
	rows     []ledgerRow
	consumed map[consumeKey]consumeDelta
	keys     []consumeKey // consumed's keys in first-seen order, for a stable write order
}

// ledgerRow is one ledger entry to insert; id, when set, receives its id.
type ledgerRow struct {
	at, dept           int64
	kind               string
	segs, after, batch int64
	user, key          int64
	note               string
	id                 *int64
}

type consumeKey struct {
	month           string
	dept, user, key int64
}

type consumeDelta struct{ debited, refunded int64 }

type notesKey struct{}

// notesOf returns the notes of the writer op running ctx, nil outside one.
func notesOf(ctx context.Context) *ledgerNotes {
	n, _ := ctx.Value(notesKey{}).(*ledgerNotes)
	return n
}

func (n *ledgerNotes) consume(k consumeKey, d consumeDelta) {
	if n.consumed == nil {
		n.consumed = make(map[consumeKey]consumeDelta)
	}
	have, ok := n.consumed[k]
	if !ok {
		n.keys = append(n.keys, k)
	}
	n.consumed[k] = consumeDelta{have.debited + d.debited, have.refunded + d.refunded}
}

// merge appends an op's notes after those of the ops before it.
func (n *ledgerNotes) merge(op *ledgerNotes) {
	n.rows = append(n.rows, op.rows...)
	for _, k := range op.keys {
		n.consume(k, op.consumed[k])
	}
}

// addLedger records a ledger row for the end of the transaction, or
// inserts it now outside the writer's ops.
func (db *DB) addLedger(ctx context.Context, tx *sql.Tx, r ledgerRow) error {
	if n := notesOf(ctx); n != nil {
		n.rows = append(n.rows, r)
		return nil
	}
	return db.insertLedger(ctx, tx, []ledgerRow{r})
}

// addConsumption records consumption for the end of the transaction, or
// writes it now outside the writer's ops.
func (db *DB) addConsumption(ctx context.Context, tx *sql.Tx, k consumeKey, d consumeDelta) error {
	if n := notesOf(ctx); n != nil {
		n.consume(k, d)
		return nil
	}
	return db.upsertConsumption(ctx, tx, k, d)
}

const ledgerCols = 10

// qNextLedgerID answers the ledger's next id: ledger ids are in the id
// epochs of ids.go, so a restored or promoted copy never hands out again
// the id of an entry the old primary made and an exported statement holds.
var qNextLedgerID = nextIDQuery("ledger")

func init() { hotQueries = append(hotQueries, qNextLedgerID) }

// insertLedger inserts rows in order, in multi-row statements, and hands
// each its id.
func (db *DB) insertLedger(ctx context.Context, tx *sql.Tx, rows []ledgerRow) error {
	if len(rows) == 0 {
		return nil
	}
	next, err := db.nextID(ctx, tx, "ledger")
	if err != nil {
		return err
	}
	const chunk = 100
	args := make([]any, 0, min(len(rows), chunk)*ledgerCols)
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		args = args[:0]
		for _, r := range part {
			if r.id != nil {
				*r.id = next
			}
			args = append(args, next, r.at, r.dept, r.kind, r.segs, r.after, r.batch, r.user, r.key, r.note)
			next++
		}
		q := qInsertLedger
		if len(part) > 1 {
			q = qInsertLedgerRows + placeholders(len(part), ledgerCols)
		}
		if _, err := db.exec(ctx, tx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) upsertConsumption(ctx context.Context, tx *sql.Tx, k consumeKey, d consumeDelta) error {
	_, err := db.exec(ctx, tx, qConsume, k.month, k.dept, k.user, k.key, d.debited, d.refunded)
	return err
}

// settleLedger ends a writer transaction: the pending refunds become
// credits and refund rows (settleRefunds), then every ledger row of the
// transaction is inserted in order and the consumption written, one row
// per month, department and sender.
func (db *DB) settleLedger(ctx context.Context, tx *sql.Tx, n *ledgerNotes) error {
	if err := db.settleRefunds(ctx, tx, n); err != nil {
		return err
	}
	if err := db.insertLedger(ctx, tx, n.rows); err != nil {
		return err
	}
	for _, k := range n.keys {
		if err := db.upsertConsumption(ctx, tx, k, n.consumed[k]); err != nil {
			return err
		}
	}
	return nil
}
