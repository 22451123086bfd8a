package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/store"
)

// TestCallbacks pins the review callbacks: written with the review for an
// app with a URL, retried with backoff, given up after the last attempt.
func TestCallbacks(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	k := &app.APIKey{Name: "OA", DepartmentID: app.RootDepartmentID, Role: app.RoleOperator,
		Scopes: []string{app.ScopeTemplates, app.ScopeSend}, AllowFreeText: true, CallbackURL: "https://oa.example/cb"}
	secret, err := db.CreateAPIKey(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	silent := &app.Template{Name: "无回调", Kind: app.KindNotice, Content: "你好"}
	mustTemplate(t, db, reviewer, silent) // submitted in the console: no app to tell
	tpl := mustTemplate(t, db, p, &app.Template{Name: "通知", Kind: app.KindNotice, Content: "你好${name}"})
	sig := &app.Signature{Name: "办公室"}
	if err := db.SubmitSignature(ctx, p, sig); err != nil {
		t.Fatal(err)
	}
	mustReview(t, db, silent.ID, "approve", "")
	mustReview(t, db, tpl.ID, "approve", "")
	if _, err := db.ReviewSignature(ctx, reviewer, sig.ID, &app.Review{Decision: "reject", Reason: "与单位名称不符"}); err != nil {
		t.Fatal(err)
	}
	due, err := db.DueCallbacks(ctx, 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due callbacks: %d, %v", len(due), err)
	}
	if due[0].Secret != secret || due[0].URL != k.CallbackURL || due[0].Event != "template.reviewed" || due[1].Event != "signature.reviewed" {
		t.Fatalf("callbacks: %+v %+v", due[0], due[1])
	}
	if err := db.CallbackDone(ctx, due[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	// The signature's fails every time: retried after 10 s, 20 s, ... then given up.
	id := due[1].ID
	for attempt := 1; attempt <= app.MaxCallbackAttempts; attempt++ {
		if err := db.CallbackDone(ctx, id, errors.New("HTTP 503")); err != nil {
			t.Fatal(err)
		}
		if due, _ := db.DueCallbacks(ctx, 10); len(due) != 0 {
			t.Fatalf("attempt %d: due again at once", attempt)
		}
		now = now.Add(app.CallbackBackoff(attempt))
		due, _ := db.DueCallbacks(ctx, 10)
		if attempt < app.MaxCallbackAttempts && (len(due) != 1 || due[0].Attempts != attempt) {
			t.Fatalf("attempt %d: due %+v after its backoff", attempt, due)
		} else if attempt == app.MaxCallbackAttempts && len(due) != 0 {
			t.Fatal("callback not given up after the last attempt")
		}
	}
	// A review owed when the app stops having a URL is given up at once.
	again := mustTemplate(t, db, p, &app.Template{Name: "通知二", Kind: app.KindNotice, Content: "你好"})
	mustReview(t, db, again.ID, "approve", "")
	none, url := "", k.CallbackURL
	for _, u := range []*string{&none, &url} {
		if _, err := db.UpdateApp(ctx, reviewer, k.ID, &app.AppUpdate{CallbackURL: u}); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Hour)
	if due, _ := db.DueCallbacks(ctx, 10); len(due) != 0 {
		t.Fatalf("%d callbacks due after the URL was removed", len(due))
	}

	// A batch of the app's held for review: the app is told the decision.
	MustSignature(t, db)
	if err := db.SaveWordList(ctx, reviewer, app.WordList{Name: "金融", Action: app.WordReview, Words: []string{"贷款"}}); err != nil {
		t.Fatal(err)
	}
	held := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text("贷款")})
	if _, err := db.ReviewBatch(ctx, reviewer, held.BatchID, &app.Review{Decision: "reject", Reason: "不予发送"}); err != nil {
		t.Fatal(err)
	}
	due, err = db.DueCallbacks(ctx, 10)
	if err != nil || len(due) != 1 || due[0].Event != "batch.reviewed" || !strings.Contains(string(due[0].Body), `"reason":"不予发送"`) {
		t.Fatalf("batch review callback: %v, %v", due, err)
	}
}

// TestCallbackFailureHoldsTheApp: after a failed attempt the app's other
// callbacks wait for the same backoff (issue 14, item 14), other apps' do
// not, and one app's backlog does not fill the answer.
func TestCallbackFailureHoldsTheApp(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	owe := func(name string, n int) int64 {
		k := &app.APIKey{Name: name, DepartmentID: app.RootDepartmentID, Role: app.RoleOperator,
			Scopes: []string{app.ScopeTemplates}, CallbackURL: "https://" + name + ".example/cb"}
		secret, err := db.CreateAPIKey(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		p, err := db.Authenticate(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			tpl := mustTemplate(t, db, p, &app.Template{Name: name + strconv.Itoa(i), Kind: app.KindNotice, Content: "你好"})
			mustReview(t, db, tpl.ID, "approve", "")
		}
		return k.ID
	}
	busy, other := owe("busy", 30), owe("other", 2)
	due, err := db.DueCallbacks(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	per := map[int64]int{}
	for _, c := range due {
		per[c.APIKeyID]++
	}
	if per[other] != 2 || per[busy] == 0 || per[busy] >= 30 {
		t.Fatalf("due per app: %v; want a capped share of busy's 30 and other's 2", per)
	}
	if due[0].APIKeyID != busy {
		t.Fatalf("oldest due callback is not busy's: %+v", due[0])
	}
	failed := due[0].ID
	if err := db.CallbackDone(ctx, due[0].ID, errors.New("timeout")); err != nil {
		t.Fatal(err)
	}
	due, _ = db.DueCallbacks(ctx, 100)
	if len(due) != 2 || due[0].APIKeyID != other {
		t.Fatalf("after busy's failure, due: %d callbacks, want only other's 2", len(due))
	}
	now = now.Add(app.CallbackBackoff(1))
	due, _ = db.DueCallbacks(ctx, 100)
	var first *app.Callback
	for _, c := range due {
		if c.APIKeyID == busy && first == nil {
			first = c
		}
	}
	if first == nil || first.ID != failed || first.Attempts != 1 {
		t.Fatalf("after the backoff, busy's failed callback is not its first again: %+v", first)
	}
}
