package store

import (
	"context"
	"fmt"
	"testing"

	"smsgw/app"
)

// A deleted tail stays reported after the log grows past the anchor again
// (the anchor moves only while the entry it names is unchanged).
func TestAuditTailDeletedAndRegrownIsReported(t *testing.T) {
	path := auditFile(t, 10)
	rawExec(t, path, `delete from audit_log where id > 5`) // hide entries 6..10
	if _, err := verifyFile(t, path); err == nil {
		t.Fatal("verify should report the deleted tail")
	}
	// The server starts again and the log grows (e.g. refused logins).
	db, err := Open(context.Background(), Options{Path: path, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if err := db.Audit(context.Background(), &app.AuditEntry{Actor: "api", Action: "login", Target: fmt.Sprint("x", i), Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if n, err := verifyFile(t, path); err == nil {
		t.Fatalf("verify passes (%d entries) after the tail 6..10 was deleted and replaced", n)
	}
}
