package store_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"smsgw/app"
	"smsgw/store"
)

// TestIntegrityCheck damages a closed database file in the middle, as a
// disk or a bad copy does, and pins that a server refuses it and that
// Check lists the damage.
func TestIntegrityCheck(t *testing.T) {
	ctx := context.Background()
	// closedDB returns a closed database holding 10,000 messages, with the
	// sound file's bytes.
	closedDB := func(t *testing.T) (path string) {
		t.Helper()
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		for i := 0; i < 10; i++ {
			MustSend(t, db, p, &app.SendRequest{To: numbers(i*1000, 1000), Content: text("完整性检查")})
		}
		if err := db.Close(); err != nil { // the last connection folds the WAL into the file
			t.Fatal(err)
		}
		return path
	}
	// garble writes random bytes over n pages from page first (1-based).
	garble := func(t *testing.T, path string, first, n int64) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		junk := make([]byte, n*4096)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range junk {
			junk[i] = byte(r.UintN(256))
		}
		if _, err := f.WriteAt(junk, (first-1)*4096); err != nil {
			t.Fatal(err)
		}
	}
	pages := func(t *testing.T, path string) int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size() / 4096
	}
	refused := func(t *testing.T, opts store.Options) {
		t.Helper()
		opts.Exclusive = true
		db, err := store.Open(ctx, opts)
		if err == nil {
			db.Close()
			t.Fatal("a server opened a damaged database")
		}
		for _, want := range []string{"damaged", "smsgw restore", "smsgw check"} {
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not say %q", err, want)
			}
		}
	}

	t.Run("ASoundDatabasePasses", func(t *testing.T) {
		path := closedDB(t)
		r, err := store.Check(ctx, path, "")
		if err != nil || len(r.Problems) > 0 || r.KeyErr != nil || r.Secrets != 1 {
			t.Fatalf("check of a sound database: %+v, %v", r, err)
		}
		MustReopenDB(t, path)
		db := MustReopenDB(t, filepath.Join(t.TempDir(), "smsgw.db")) // and a new one
		db.Close()
	})

	t.Run("TheServerRefusesPagesGarbledMidFile", func(t *testing.T) {
		path := closedDB(t)
		garble(t, path, pages(t, path)/2, 4)
		refused(t, store.Options{Path: path})
		r, err := store.Check(ctx, path, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Problems) == 0 {
			t.Fatal("Check found nothing wrong")
		}
	})

	t.Run("TheBoundedCheckFindsAGarbledMessagePage", func(t *testing.T) {
		path := closedDB(t)
		// A leaf of the messages table in the middle of the file: what the
		// bounded check samples (it reads past damaged indexes).
		var leaf int64
		raw := MustRawDB(t, path)
		if err := raw.QueryRow(`select pageno from dbstat where name = 'messages' and pagetype = 'leaf' order by pageno
			limit 1 offset (select count(*) / 2 from dbstat where name = 'messages' and pagetype = 'leaf')`).Scan(&leaf); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		garble(t, path, leaf, 1)
		refused(t, store.Options{Path: path, FullCheckMB: -1})
	})

	t.Run("AGarbledHeaderIsRefusedToo", func(t *testing.T) {
		path := closedDB(t)
		garble(t, path, 1, 1)
		refused(t, store.Options{Path: path})
	})
}
