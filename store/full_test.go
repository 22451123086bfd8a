package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"smsgw/app"
	"smsgw/store"
)

// A full disk (here: the database's size cap, which SQLite reports the same
// way) fails the send with ESTORAGE and stores none of it.
func TestFullStorageStoresNothingOfTheFailedSend(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "smsgw.db")
	db, err := store.Open(ctx, store.Options{Path: path, Exclusive: true, MaxSizeMB: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := MustSysadmin(t, db)
	raw := MustRawDB(t, path)
	accepted, sends := 0, 0
	for i := range 100 {
		res, err := db.Send(ctx, p, &app.SendRequest{To: numbers(i*500, 500), Content: text("磁盘将满")})
		if err != nil {
			if code := app.ErrorCode(err); code != app.ESTORAGE {
				t.Fatalf("send %d: %v (code %s); want ESTORAGE", i, err, code)
			}
			break
		}
		accepted, sends = accepted+len(res.Messages), sends+1
	}
	if accepted == 0 || accepted == 100*500 {
		t.Fatalf("%d accepted before the cap; the fixture should fill 1 MB part way", accepted)
	}
	var messages, batches int
	if err := raw.QueryRow(`select (select count(*) from messages), (select count(*) from batches)`).Scan(&messages, &batches); err != nil {
		t.Fatal(err)
	}
	if messages != accepted || batches != sends {
		t.Errorf("%d messages in %d batches stored, %d accepted in %d sends: the failed send left rows behind", messages, batches, accepted, sends)
	}
	// Reads still work.
	if _, _, err := db.FindMessages(ctx, p, app.MessageFilter{Limit: 10}); err != nil {
		t.Errorf("listing on a full database: %v", err)
	}
}
