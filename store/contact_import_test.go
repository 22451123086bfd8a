package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/app/apptest"
	"smsgw/store"
)

// importer is a console system administrator: every scope, every book.
var importer = &app.Principal{UserID: 0, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}

func contactRows(n int) []app.ContactRow {
	rows := make([]app.ContactRow, n)
	for i := range rows {
		rows[i] = app.ContactRow{Line: i + 2, Name: fmt.Sprintf("联系人%d", i), Phone: fmt.Sprintf("139%08d", i), Groups: fmt.Sprintf("组%d", i%7)}
	}
	return rows
}

// waitImport waits for an import to end and returns its result.
func waitImport(tb testing.TB, db *store.DB, id int64) *app.ContactImport {
	tb.Helper()
	var imp *app.ContactImport
	apptest.Eventually(tb, 5*time.Minute, func() error {
		var err error
		if imp, err = db.ContactImport(context.Background(), importer, id); err != nil {
			return err
		} else if imp.Status == app.ImportRunning {
			return fmt.Errorf("import %d: %d of %d", id, imp.Done(), imp.Total)
		}
		return nil
	})
	return imp
}

// TestImportInterruptedByStop: a server stopped mid-import keeps the rows
// it committed, and its next start marks the import interrupted with
// counts that match the book.
func TestImportInterruptedByStop(t *testing.T) {
	db, path := MustOpenDBPath(t)
	imp := &app.ContactImport{FileName: "big.csv", Book: app.BookOrg, OnDuplicate: app.DuplicateSkip}
	if err := db.StartImport(context.Background(), importer, imp, contactRows(20000)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let a chunk or two commit (either way the counts must match)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = MustReopenDB(t, path)
	got, err := db.ContactImport(context.Background(), importer, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	raw := MustRawDB(t, path)
	if n := count(t, raw, `select count(*) from contacts`); got.Imported != n {
		t.Errorf("import says %d imported, the book has %d", got.Imported, n)
	}
	if got.Status != app.ImportInterrupted && !(got.Status == app.ImportDone && got.Imported == 20000) {
		t.Errorf("after a stop: %+v", got)
	}
	if got.Status == app.ImportInterrupted && got.DoneAt.IsZero() {
		t.Errorf("interrupted import without an end time")
	}
	// Imported again with repeats skipped, the book completes.
	again := &app.ContactImport{FileName: "big.csv", Book: app.BookOrg, OnDuplicate: app.DuplicateSkip}
	if err := db.StartImport(context.Background(), importer, again, contactRows(20000)); err != nil {
		t.Fatal(err)
	}
	if res := waitImport(t, db, again.ID); res.Imported+res.Skipped != 20000 || count(t, raw, `select count(*) from contacts`) != 20000 {
		t.Errorf("second import %+v", res)
	}
}

// TestImportOutlivesADeletedGroup: a group deleted while an import fills it
// does not stop the import; a group the rows name is made again.
func TestImportOutlivesADeletedGroup(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	g := &app.ContactGroup{Book: app.BookOrg, Name: "会议"}
	if err := db.CreateGroup(ctx, importer, g); err != nil {
		t.Fatal(err)
	}
	imp := &app.ContactImport{FileName: "big.csv", Book: app.BookOrg, GroupID: g.ID, OnDuplicate: app.DuplicateSkip}
	if err := db.StartImport(ctx, importer, imp, contactRows(5000)); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteGroup(ctx, importer, g.ID); err != nil {
		t.Fatal(err)
	}
	groups, _ := db.FindGroups(ctx, importer, app.GroupFilter{})
	for _, gr := range groups {
		if strings.HasPrefix(gr.Name, "组") {
			if err := db.DeleteGroup(ctx, importer, gr.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if res := waitImport(t, db, imp.ID); res.Status != app.ImportDone || res.Imported != 5000 {
		t.Fatalf("import after its groups were deleted: %+v", res)
	}
}

// TestOneImportAtATime: a user runs one import at a time.
func TestOneImportAtATime(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	first := &app.ContactImport{FileName: "a.csv", Book: app.BookOrg, OnDuplicate: app.DuplicateSkip}
	if err := db.StartImport(ctx, importer, first, contactRows(20000)); err != nil {
		t.Fatal(err)
	}
	second := &app.ContactImport{FileName: "b.csv", Book: app.BookOrg, OnDuplicate: app.DuplicateSkip}
	err := db.StartImport(ctx, importer, second, contactRows(10))
	if got := waitImport(t, db, first.ID); got.Status == app.ImportRunning {
		t.Fatal("still running")
	}
	if app.ErrorCode(err) != app.ECONFLICT && err != nil {
		t.Fatalf("a second import: %v", err)
	}
	if err == nil {
		t.Skip("the first import ended before the second began (a fast machine)")
	}
	if err := db.StartImport(ctx, importer, second, contactRows(10)); err != nil {
		t.Fatalf("after the first ended: %v", err)
	}
	waitImport(t, db, second.ID)
}
