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
// (issue 16): the debits equal the segments of every message accepted for
// sending (all but those refused at accept, EBLACKLIST), the refunds equal
// what the batches record as refunded, and the balance is the top-up minus
// the debits plus the refunds. A debit commits with its batch and a refund
// with its status change, so no kill can part them.
func checkLedger(ctx context.Context, dir string, topUp int64, res *drillResult) error {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DBFile)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []struct {
		v   *int64
		sql string
	}{
		{&res.AcceptedSegments, `select coalesce(sum(segments), 0) from messages where error_code != 'EBLACKLIST'`},
		{&res.LedgerDebited, `select coalesce(-sum(segments), 0) from ledger where kind = 'debit'`},
		{&res.LedgerRefunded, `select coalesce(sum(segments), 0) from ledger where kind = 'refund'`},
		{&res.BatchesRefunded, `select coalesce(sum(refunded), 0) from batches`},
		{&res.Balance, `select coalesce(sum(balance), 0) from accounts`},
	} {
		if err := db.QueryRowContext(ctx, q.sql).Scan(q.v); err != nil {
			return err
		}
	}
	res.BalanceExpected = topUp - res.LedgerDebited + res.LedgerRefunded
	res.LedgerOK = res.LedgerDebited == res.AcceptedSegments && res.LedgerRefunded == res.BatchesRefunded &&
		res.Balance == res.BalanceExpected
	return nil
}
