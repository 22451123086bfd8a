package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/store"
)

// TestReplyParts pins how parts of concatenated replies are kept until
// their set is complete, and how copies the SMSC sends again are told from
// replies a person sends again (issue 13, item 10).
func TestReplyParts(t *testing.T) {
	ctx := context.Background()
	admin := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
	part := func(ch int64, seq int, text string, when time.Time) *app.Reply {
		return &app.Reply{ChannelID: ch, From: "13800138000", To: "10690001", Content: text, ReceivedAt: when,
			Part: &app.ReplyPart{Ref: 7, Total: 3, Seq: seq}}
	}
	save := func(t *testing.T, db *store.DB, rs ...*app.Reply) {
		t.Helper()
		if err := db.SaveReplies(ctx, rs); err != nil {
			t.Fatal(err)
		}
	}
	list := func(t *testing.T, db *store.DB) []*app.Reply {
		t.Helper()
		rs, _, err := db.FindReplies(ctx, admin, app.ReplyFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}

	t.Run("PartsSurviveReopenAndTheLastStoresTheReplyOnce", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		ch := mustChannel(t, db)
		save(t, db, part(ch.ID, 3, "丙", at.Add(2*time.Second)), part(ch.ID, 1, "甲", at))
		if rs := list(t, db); len(rs) != 0 {
			t.Fatalf("%d replies stored before the set is complete", len(rs))
		}
		db.Close()
		db = MustReopenDB(t, path)
		again := part(ch.ID, 1, "甲", at.Add(time.Second)) // the SMSC sends a part again
		last := part(ch.ID, 2, "乙", at.Add(3*time.Second))
		save(t, db, again, last)
		if !again.Duplicate || last.Duplicate || last.ID == 0 {
			t.Fatalf("copy duplicate=%v, last part duplicate=%v id %d", again.Duplicate, last.Duplicate, last.ID)
		}
		late := part(ch.ID, 3, "丙", at.Add(4*time.Second)) // and one of the set just completed
		save(t, db, late)
		if !late.Duplicate || late.ID != last.ID {
			t.Fatalf("copy of a completed set's part: duplicate=%v id %d, want reply %d", late.Duplicate, late.ID, last.ID)
		}
		rs := list(t, db)
		if len(rs) != 1 || rs[0].ID != last.ID || rs[0].Content != "甲乙丙" || !rs[0].ReceivedAt.Equal(at) || rs[0].Incomplete {
			t.Fatalf("replies %+v: want one, 甲乙丙, received when its first part came", rs)
		}
	})

	t.Run("SameReferenceAfterTheWindowIsAnotherReply", func(t *testing.T) {
		db := MustOpenDB(t)
		ch := mustChannel(t, db)
		save(t, db, part(ch.ID, 1, "甲", at), part(ch.ID, 2, "乙", at), part(ch.ID, 3, "丙", at))
		later := at.Add(app.ReplyResendWindow + time.Second)
		save(t, db, part(ch.ID, 1, "子", later), part(ch.ID, 2, "丑", later), part(ch.ID, 3, "寅", later))
		if rs := list(t, db); len(rs) != 2 || rs[1].Content != "子丑寅" {
			t.Fatalf("replies %+v: want two, the second 子丑寅", rs)
		}
	})

	t.Run("SameReferenceOtherTextWithinTheWindowIsAnotherReply", func(t *testing.T) {
		db := MustOpenDB(t)
		ch := mustChannel(t, db)
		save(t, db, part(ch.ID, 1, "甲", at), part(ch.ID, 2, "乙", at), part(ch.ID, 3, "丙", at))
		soon := at.Add(10 * time.Second)
		second := []*app.Reply{part(ch.ID, 1, "子", soon), part(ch.ID, 2, "丑", soon), part(ch.ID, 3, "寅", soon)}
		save(t, db, second...)
		for _, r := range second {
			if r.Duplicate {
				t.Errorf("part %q of another reply taken for a copy", r.Content)
			}
		}
		if rs := list(t, db); len(rs) != 2 || rs[1].Content != "子丑寅" {
			t.Fatalf("replies %+v: want two, the second 子丑寅", rs)
		}
	})

	t.Run("OpenSetMeetsAnotherReplyWithItsReference", func(t *testing.T) {
		db := MustOpenDB(t)
		ch := mustChannel(t, db)
		save(t, db, part(ch.ID, 1, "甲", at)) // its other parts never come
		soon := at.Add(5 * time.Second)
		save(t, db, part(ch.ID, 1, "子", soon), part(ch.ID, 2, "丑", soon), part(ch.ID, 3, "寅", soon))
		rs := list(t, db)
		if len(rs) != 2 || rs[0].Content != "甲" || !rs[0].Incomplete || rs[1].Content != "子丑寅" || rs[1].Incomplete {
			t.Fatalf("replies %+v: want 甲 (incomplete) and 子丑寅", rs)
		}
	})

	t.Run("ResentWithinTheWindowIsStoredOnce", func(t *testing.T) {
		db := MustOpenDB(t)
		ch := mustChannel(t, db)
		first := &app.Reply{ChannelID: ch.ID, From: "13800138000", To: "10690001", Content: "TD", ReceivedAt: at}
		copy := *first
		copy.ReceivedAt = at.Add(app.ReplyResendWindow - time.Second)
		again := *first // the person, a minute later
		again.ReceivedAt = at.Add(time.Minute)
		save(t, db, first)
		save(t, db, &copy, &again)
		if !copy.Duplicate || copy.ID != first.ID || again.Duplicate || again.ID == first.ID {
			t.Fatalf("copy %+v, later %+v: want the copy taken for the first, the later one stored", copy, again)
		}
		if rs := list(t, db); len(rs) != 2 {
			t.Fatalf("%d replies, want 2", len(rs))
		}
		audit, _, err := db.FindAudit(ctx, admin, app.AuditFilter{Action: "blacklist.unsubscribe"})
		if err != nil || len(audit) != 1 {
			t.Fatalf("audit %+v, %v: want one unsubscribe", audit, err)
		}
	})

	t.Run("IncompleteSetIsStoredMarkedAfterTheWait", func(t *testing.T) {
		now := at
		db, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true,
			Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ch := mustChannel(t, db)
		save(t, db, part(ch.ID, 1, "退订", at), part(ch.ID, 2, "吧", at.Add(time.Minute)))
		now = at.Add(time.Minute + app.ReplyPartsWait - time.Second)
		if err := db.ExpireReplyParts(ctx); err != nil {
			t.Fatal(err)
		}
		if rs := list(t, db); len(rs) != 0 {
			t.Fatalf("stored %+v before the wait counted from the last part", rs)
		}
		now = now.Add(2 * time.Second)
		if err := db.ExpireReplyParts(ctx); err != nil {
			t.Fatal(err)
		}
		rs := list(t, db)
		if len(rs) != 1 || rs[0].Content != "退订吧" || !rs[0].Incomplete {
			t.Fatalf("replies %+v: want one incomplete, 退订吧", rs)
		}
		// The missing part, coming after all, starts a set of its own; the
		// expired one is forgotten once its copies could no longer come.
		late := part(ch.ID, 3, "呀", now)
		save(t, db, late)
		if late.Duplicate || late.ID != 0 {
			t.Fatalf("late part %+v: want it kept, waiting for its set", late)
		}
		now = now.Add(app.ReplyResendWindow + time.Second)
		if err := db.ExpireReplyParts(ctx); err != nil {
			t.Fatal(err)
		}
		again := part(ch.ID, 1, "退订", now)
		save(t, db, again)
		if again.Duplicate {
			t.Fatal("a part of a set forgotten was taken for a copy")
		}
	})

	t.Run("IncompleteUnsubscribeDoesNotBlacklist", func(t *testing.T) {
		now := at
		db, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true,
			Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ch := mustChannel(t, db)
		save(t, db, part(ch.ID, 3, "TD", at))
		now = at.Add(app.ReplyPartsWait + time.Second)
		if err := db.ExpireReplyParts(ctx); err != nil {
			t.Fatal(err)
		}
		if rs := list(t, db); len(rs) != 1 || rs[0].Content != "TD" || !rs[0].Incomplete {
			t.Fatalf("replies %+v: want the fragment stored, marked", rs)
		}
		if bl, _, err := db.FindBlacklist(ctx, admin, app.BlacklistFilter{}); err != nil || len(bl) != 0 {
			t.Fatalf("blacklist %+v, %v: a fragment reading TD must not unsubscribe", bl, err)
		}
	})
}
