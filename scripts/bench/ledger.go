package main

import (
	"context"
	"database/sql"
	"path/filepath"

	"smsgw/store"
)

// drillQuota is what the crash drill tops up before it starts: far more
// than it sends, so every send is metered and none is refused.
const drillQuota = 1_000_000_000

// checkLedger compares the stopped server's quota ledger with its messages
// (issue 16), batch by batch: each batch's charge equals the segments of
// its messages accepted for sending (all but those refused at accept,
// EBLACKLIST) and its debit entry the charge; what it records as refunded
// equals its refund entries and never exceeds its charge. Over all: with
// 失败退还 off, the refunds are the segments of the messages always
// refunded (never taken by an SMSC: cancelled, rejected by a reviewer,
// failed or expired with EVALIDITY or EENCODE and no submit answer), plus
// at most those dead in the queue with no submit answer (EDEADLETTER:
// refunded when they died waiting, not when they died submitting; the row
// does not say which). The balance is the top-up minus the debits plus the
// refunds. A debit commits with its batch and a refund with its status
// change, so no kill can part them.
func checkLedger(ctx context.Context, dir string, topUp int64, res *drillResult) error {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DBFile)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	const (
		// Per batch: what its messages cost, its debit and refund entries.
		perBatch = `with m as (select batch_id, sum(segments) as segs from messages
				where not (status = 'rejected' and error_code = 'EBLACKLIST') group by batch_id),
			d as (select batch_id, -sum(segments) as segs from ledger where kind = 'debit' group by batch_id),
			r as (select batch_id, sum(segments) as segs from ledger where kind = 'refund' group by batch_id)
			select b.charged, b.refunded, coalesce(m.segs, 0), coalesce(d.segs, 0), coalesce(r.segs, 0)
			from batches b left join m on m.batch_id = b.id left join d on d.batch_id = b.id left join r on r.batch_id = b.id`
		neverSent = `submitted_at = 0 and concat_ref is null`
	)
	for _, q := range []struct {
		v   *int64
		sql string
	}{
		{&res.AcceptedSegments, `select coalesce(sum(segments), 0) from messages where error_code != 'EBLACKLIST'`},
		{&res.LedgerDebited, `select coalesce(-sum(segments), 0) from ledger where kind = 'debit'`},
		{&res.LedgerRefunded, `select coalesce(sum(segments), 0) from ledger where kind = 'refund'`},
		{&res.BatchesRefunded, `select coalesce(sum(refunded), 0) from batches`},
		{&res.Balance, `select coalesce(sum(balance), 0) from accounts`},
		{&res.AlwaysRefunded, `select coalesce(sum(segments), 0) from messages where status = 'cancelled'
			or status = 'rejected' and error_code != 'EBLACKLIST'
			or status in ('failed', 'expired') and error_code in ('EVALIDITY', 'EENCODE') and ` + neverSent},
		{&res.MaybeRefunded, `select coalesce(sum(segments), 0) from messages where status = 'failed' and error_code = 'EDEADLETTER' and ` + neverSent},
		{&res.RefundFailedOn, `select count(*) from settings where key = 'refund_failed' and value = 'true'`},
	} {
		if err := db.QueryRowContext(ctx, q.sql).Scan(q.v); err != nil {
			return err
		}
	}
	rows, err := db.QueryContext(ctx, perBatch)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var charged, refunded, cost, debit, refunds int64
		if err := rows.Scan(&charged, &refunded, &cost, &debit, &refunds); err != nil {
			return err
		}
		res.Batches++
		if charged != cost || debit != charged || refunds != refunded || refunded > charged || refunded < 0 {
			res.BatchesOff++
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	res.BalanceExpected = topUp - res.LedgerDebited + res.LedgerRefunded
	res.LedgerOK = res.BatchesOff == 0 && res.LedgerDebited == res.AcceptedSegments && res.LedgerRefunded == res.BatchesRefunded &&
		res.Balance == res.BalanceExpected &&
		(res.RefundFailedOn != 0 || res.AlwaysRefunded <= res.LedgerRefunded && res.LedgerRefunded <= res.AlwaysRefunded+res.MaybeRefunded)
	return nil
}
