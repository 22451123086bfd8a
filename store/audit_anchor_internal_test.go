package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"smsgw/app"
)

// auditFile is a database file with an audit log of n entries, written by
// a server that then stopped (its anchor written), for tampering.
func auditFile(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "smsgw.db")
	db, err := Open(context.Background(), Options{Path: path, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := db.Audit(context.Background(), &app.AuditEntry{Actor: "api", Action: "POST /api/v1/channels", Target: fmt.Sprint("channel:", i+1), Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// verifyFile runs verify as `smsgw audit verify` does: a fresh process's
// view of the files, beside no server.
func verifyFile(t *testing.T, path string) (int, error) {
	t.Helper()
	db, err := Open(context.Background(), Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return db.VerifyAudit(context.Background())
}

func rawExec(t *testing.T, path string, query string, args ...any) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

// rehash recomputes every hash of the chain with key (nil: plain SHA-256),
// as an attacker who edited entries would, after applying edit.
func rehash(t *testing.T, path string, key []byte) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`select ` + auditColumns + `, prev_hash, hash from audit_log order by id`)
	if err != nil {
		t.Fatal(err)
	}
	var entries []*app.AuditEntry
	for rows.Next() {
		var p, h string
		e, err := scanAudit(rows, &p, &h)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	rows.Close()
	prev := genesis
	for _, e := range entries {
		h := auditHash(key, prev, e)
		if _, err := raw.Exec(`update audit_log set prev_hash = ?, hash = ? where id = ?`, prev, h, e.ID); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
}

// TestAuditVerifyFindsTampering (issue 14, item 9): verify reports a tail
// deleted, the log wiped and every hash recomputed (plainly or with another
// key), besides an edited or deleted entry, each distinctly; and an anchor
// missing or not signed with the key.
func TestAuditVerifyFindsTampering(t *testing.T) {
	wrongKey := make([]byte, 32)
	rand.Read(wrongKey)
	for _, tt := range []struct {
		name   string
		tamper func(t *testing.T, path string)
		want   string // in the error; "" for none
	}{
		{"IntactLogVerifies", func(*testing.T, string) {}, ""},
		{"EditedEntry", func(t *testing.T, p string) {
			rawExec(t, p, `update audit_log set summary = 'nothing happened' where id = 3`)
		}, "entry 3 was altered"},
		{"DeletedEntryInTheMiddle", func(t *testing.T, p string) { rawExec(t, p, `delete from audit_log where id = 2`) }, "entry 2 missing"},
		{"DeletedTail", func(t *testing.T, p string) { rawExec(t, p, `delete from audit_log where id > 3`) }, "entries 4 to 5 missing at the tail"},
		{"WipedLog", func(t *testing.T, p string) { rawExec(t, p, `delete from audit_log`) }, "the audit log was wiped"},
		{"EveryHashRecomputedWithPlainSHA256", func(t *testing.T, p string) {
			rawExec(t, p, `update audit_log set target = 'channel:9' where id = 2`)
			rehash(t, p, nil)
		}, "entry 1 was altered: its hash does not verify under the audit key"},
		{"EveryHashRecomputedWithAnotherKey", func(t *testing.T, p string) {
			rawExec(t, p, `update audit_log set target = 'channel:9' where id = 2`)
			rehash(t, p, wrongKey)
		}, "entry 1 was altered"},
		{"TailDeletedAndRehashed", func(t *testing.T, p string) {
			rawExec(t, p, `delete from audit_log where id > 2`)
			rehash(t, p, wrongKey)
		}, "entry 1 was altered"},
		{"AnchorMissing", func(t *testing.T, p string) { os.Remove(p + ".anchor") }, "anchor file " + "%s" + " is missing"},
		{"AnchorForged", func(t *testing.T, p string) {
			raw, _ := os.ReadFile(p + ".anchor")
			os.WriteFile(p+".anchor", []byte(strings.Replace(string(raw), `"last_id":5`, `"last_id":3`, 1)), 0o600)
		}, "its signature does not verify"},
		{"AnchorFromAnotherKey", func(t *testing.T, p string) {
			a := &anchor{LastID: 2, Hash: genesis, At: "2026-01-01T00:00:00Z"}
			a.Sig = a.sign(wrongKey)
			writeFileAtomic(p+".anchor", []byte(fmt.Sprintf(`{"last_id":2,"hash":%q,"count":0,"at":%q,"sig":%q}`, a.Hash, a.At, a.Sig)))
		}, "its signature does not verify"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := auditFile(t, 5)
			tt.tamper(t, path)
			n, err := verifyFile(t, path)
			want := strings.ReplaceAll(tt.want, "%s", path+".anchor")
			switch {
			case want == "" && (err != nil || n != 5):
				t.Fatalf("verified %d entries, %v; want 5 and no error", n, err)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Fatalf("got %v, want an error saying %q", err, want)
			}
		})
	}
	t.Run("AServerDoesNotMoveTheAnchorBack", func(t *testing.T) {
		path := auditFile(t, 5)
		rawExec(t, path, `delete from audit_log where id > 3`)
		db, err := Open(context.Background(), Options{Path: path, Exclusive: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Audit(context.Background(), &app.AuditEntry{Action: "login", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := verifyFile(t, path); err == nil || !strings.Contains(err.Error(), "up to 5") {
			t.Fatalf("got %v, want the anchor to still name entry 5", err)
		}
	})
}

// TestAuditChainUpgrade: a log an older version chained with plain SHA-256
// verifies as it is until a server opens it, which keys it once; after
// that a chain recomputed with plain SHA-256 no longer verifies. An entry
// already altered under the old version is still reported after the
// upgrade.
func TestAuditChainUpgrade(t *testing.T) {
	legacy := func(t *testing.T) string {
		path := auditFile(t, 4)
		rehash(t, path, nil)
		rawExec(t, path, `delete from upkeep where name = ?`, auditKeyedFlag)
		os.Remove(path + ".anchor")
		return path
	}
	t.Run("KeyedOnceByTheServer", func(t *testing.T) {
		path := legacy(t)
		if n, err := verifyFile(t, path); err != nil || n != 4 {
			t.Fatalf("the old chain: %d, %v", n, err)
		}
		db, err := Open(context.Background(), Options{Path: path, Exclusive: true})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if n, err := verifyFile(t, path); err != nil || n != 4 {
			t.Fatalf("after the upgrade: %d, %v", n, err)
		}
		rehash(t, path, nil)
		if _, err := verifyFile(t, path); err == nil || !strings.Contains(err.Error(), "entry 1 was altered") {
			t.Fatalf("a chain recomputed with plain SHA-256 after the upgrade: %v", err)
		}
	})
	t.Run("AnEntryAlteredBeforeStaysReported", func(t *testing.T) {
		path := legacy(t)
		rawExec(t, path, `update audit_log set actor = 'someone else' where id = 3`)
		db, err := Open(context.Background(), Options{Path: path, Exclusive: true})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := verifyFile(t, path); err == nil || !strings.Contains(err.Error(), "entry 3") {
			t.Fatalf("got %v, want entry 3 reported", err)
		}
	})
	t.Run("ACommandKeysItOnItsFirstAppend", func(t *testing.T) {
		path := legacy(t)
		db, err := Open(context.Background(), Options{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Audit(context.Background(), &app.AuditEntry{Actor: "cli:root", Action: "channel.add", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if n, err := verifyFile(t, path); err != nil || n != 5 {
			t.Fatalf("after a command's append: %d, %v", n, err)
		}
	})
}

// TestAuditAnchorIsLogged: the anchored head also goes to the log, which
// is shipped elsewhere, with the anchor's signature.
func TestAuditAnchorIsLogged(t *testing.T) {
	var buf syncBuffer
	path := filepath.Join(t.TempDir(), "smsgw.db")
	db, err := Open(context.Background(), Options{Path: path, Exclusive: true, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := db.Audit(context.Background(), &app.AuditEntry{Action: "login", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	a, err := readAnchor(path+".anchor", db.audit.key)
	if err != nil || a.LastID != 3 {
		t.Fatalf("anchor %+v, %v", a, err)
	}
	if out := buf.String(); !strings.Contains(out, `msg="audit anchor" last_id=3 hash=`+a.Hash) {
		t.Errorf("the log lacks the anchored head:\n%s", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
