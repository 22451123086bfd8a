package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"smsgw/app"
	"smsgw/store"
)

// TestMain fails the package when a test leaves a goroutine behind (the
// writer, a connection pool), so every Close path is exercised.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// signature is the approved signature the fixtures create for the root
// department; Text prefixes it to a message body.
const signature = "测试单位"

// text returns body with the fixture signature in front, as Send requires.
func text(body string) string { return "【" + signature + "】" + body }

// MustOpenDB opens a fresh database in a temporary folder, exactly as the
// server does (production pragmas, migrations, the folder lock), and closes
// it when the test ends.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, _ := MustOpenDBPath(tb)
	return db
}

// MustOpenDBPath is MustOpenDB that also returns the database file, for tests
// that look at the raw rows or reopen the file.
func MustOpenDBPath(tb testing.TB) (*store.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "smsgw.db")
	return MustReopenDB(tb, path), path
}

// MustReopenDB opens the database at path with Exclusive set, as the server
// does at start (which also resumes jobs claimed before a stop), and closes it
// when the test ends. Closing twice is harmless, so a test may Close early.
func MustReopenDB(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), store.Options{Path: path, Exclusive: true})
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}

// MustRawDB opens a second, plain connection to the database file for
// inspecting stored rows and inserting what has no service yet.
func MustRawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	return raw
}

// MustSignature approves the fixture signature for the root department, so
// every department may send with it.
func MustSignature(tb testing.TB, db *store.DB) {
	tb.Helper()
	s := &app.Signature{DepartmentID: app.RootDepartmentID, Name: signature, Approved: true}
	if err := db.CreateSignature(context.Background(), s); err != nil {
		tb.Fatalf("create signature: %v", err)
	}
}

// MustSysadmin creates the fixture signature and an API key acting as
// sysadmin in the root department, allowed free text, and returns its
// principal.
func MustSysadmin(tb testing.TB, db *store.DB) *app.Principal {
	tb.Helper()
	MustSignature(tb, db)
	return MustAPIKey(tb, db, app.RootDepartmentID, app.RoleSysadmin)
}

// MustAPIKey creates an API key allowed free text with scopes send and query,
// and returns its principal as Authenticate builds it.
func MustAPIKey(tb testing.TB, db *store.DB, dept int64, role app.Role) *app.Principal {
	tb.Helper()
	k := &app.APIKey{Name: "测试应用", DepartmentID: dept, Role: role,
		Scopes: []string{app.ScopeSend, app.ScopeQuery}, AllowFreeText: true}
	secret, err := db.CreateAPIKey(context.Background(), k)
	if err != nil {
		tb.Fatalf("create api key: %v", err)
	}
	p, err := db.Authenticate(context.Background(), secret)
	if err != nil {
		tb.Fatalf("authenticate: %v", err)
	}
	return p
}

// MustDepartment inserts a department through the raw connection (there is
// no department service yet).
func MustDepartment(tb testing.TB, raw *sql.DB, id, parent int64, name string) {
	tb.Helper()
	if _, err := raw.Exec(`insert into departments (id, parent_id, name, created_at) values (?, ?, ?, 0)`, id, parent, name); err != nil {
		tb.Fatalf("insert department %d: %v", id, err)
	}
}

// MustSend sends content to the numbers and fails the test on error.
func MustSend(tb testing.TB, db *store.DB, p *app.Principal, req *app.SendRequest) *app.SendResult {
	tb.Helper()
	res, err := db.Send(context.Background(), p, req)
	if err != nil {
		tb.Fatalf("send: %v", err)
	}
	return res
}

// numbers returns n distinct valid mobile numbers starting at 139 0000 0000+from.
func numbers(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("139%08d", from+i)
	}
	return out
}

// count runs a count query on the raw connection.
func count(tb testing.TB, raw *sql.DB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := raw.QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// wantCode fails the test unless err carries the error code want.
func wantCode(tb testing.TB, err error, want string) {
	tb.Helper()
	if got := app.ErrorCode(err); got != want {
		tb.Fatalf("error code = %q, want %q (error: %v)", got, want, err)
	}
}

// wantField fails the test unless err is EINVALID naming field.
func wantField(tb testing.TB, err error, field string) {
	tb.Helper()
	wantCodeField(tb, err, app.EINVALID, field)
}

// wantCodeField fails unless err has the code and names the field.
func wantCodeField(tb testing.TB, err error, code, field string) {
	tb.Helper()
	wantCode(tb, err, code)
	var e *app.Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %v is not an *app.Error", err)
	} else if e.Details["field"] != field {
		tb.Fatalf("error %v: details = %v, want field %q", err, e.Details, field)
	}
}

// MustFind returns one message as the sysadmin sees it.
func MustFind(tb testing.TB, db *store.DB, id int64) *app.Message {
	tb.Helper()
	m, err := db.FindMessageByID(context.Background(), &app.Principal{Role: app.RoleSysadmin}, id)
	if err != nil {
		tb.Fatalf("find message %d: %v", id, err)
	}
	return m
}

// MustClaimAll claims until nothing is left and returns every job claimed.
func MustClaimAll(tb testing.TB, db *store.DB) []*app.Job {
	tb.Helper()
	var all []*app.Job
	for {
		jobs, err := db.Claim(context.Background(), 16)
		if err != nil {
			tb.Fatalf("claim: %v", err)
		}
		if len(jobs) == 0 {
			return all
		}
		all = append(all, jobs...)
	}
}

// sentIDs returns the ids of the sent messages, in order.
func sentIDs(res *app.SendResult) []int64 {
	out := make([]int64, len(res.Messages))
	for i, m := range res.Messages {
		out[i] = m.ID
	}
	return out
}

// jobMessageIDs returns the message ids of the claimed jobs, in order.
func jobMessageIDs(jobs []*app.Job) []int64 {
	var out []int64
	for _, j := range jobs {
		for _, m := range j.Messages {
			out = append(out, m.ID)
		}
	}
	return out
}
