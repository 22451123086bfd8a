package store_test

import (
	"context"
	"sync"
	"testing"

	"smsgw/app"
)

// TestWriter pins the group-commit writer through the public methods that use
// it: many callers at once, one caller's failure, and shutdown.
func TestWriter(t *testing.T) {
	t.Run("ConcurrentSendsGetDistinctIDsAndOneRowEach", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		raw := MustRawDB(t, path)

		const n = 200
		results := make([]*app.SendResult, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start // release together so the writer merges them
				results[i], errs[i] = db.Send(context.Background(), p, &app.SendRequest{To: numbers(i, 1), Content: text("并发")})
			})
		}
		close(start)
		wg.Wait()

		seen := map[int64]int{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("send %d: %v", i, errs[i])
			} else if len(results[i].Messages) != 1 {
				t.Fatalf("send %d: %d messages, want 1", i, len(results[i].Messages))
			}
			id := results[i].Messages[0].ID
			if j, dup := seen[id]; dup {
				t.Fatalf("sends %d and %d both got message id %d", j, i, id)
			}
			seen[id] = i
			var phone string
			if err := raw.QueryRow(`select phone from messages where id = ?`, id).Scan(&phone); err != nil {
				t.Fatalf("message %d: %v", id, err)
			} else if want := numbers(i, 1)[0]; phone != want {
				t.Fatalf("message %d is to %s, want %s", id, phone, want)
			}
		}
		if got := count(t, raw, `select count(*) from messages`); got != n {
			t.Fatalf("%d message rows, want %d", got, n)
		}
		if got := count(t, raw, `select count(distinct phone) from messages`); got != n {
			t.Fatalf("%d distinct numbers stored, want %d", got, n)
		}
		if got := count(t, raw, `select count(*) from batches`); got != n {
			t.Fatalf("%d batch rows, want %d", got, n)
		}
	})

	t.Run("OneCallersErrorDoesNotUndoOthersWork", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		raw := MustRawDB(t, path)

		// Half the callers send, half try to create the same signature: all
		// but one of those fail inside the shared transaction.
		const n = 100
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				if i%2 == 0 {
					_, errs[i] = db.Send(context.Background(), p, &app.SendRequest{To: numbers(i, 1), Content: text("好")})
				} else {
					errs[i] = db.CreateSignature(context.Background(), &app.Signature{DepartmentID: app.RootDepartmentID, Name: "重复签名"})
				}
			})
		}
		close(start)
		wg.Wait()

		created := 0
		for i := range n {
			switch {
			case i%2 == 0 && errs[i] != nil:
				t.Fatalf("send %d: %v", i, errs[i])
			case i%2 == 1 && errs[i] == nil:
				created++
			case i%2 == 1:
				wantCode(t, errs[i], app.ECONFLICT)
			}
		}
		if created != 1 {
			t.Fatalf("%d callers created the same signature, want 1", created)
		}
		if got := count(t, raw, `select count(*) from messages`); got != n/2 {
			t.Fatalf("%d messages stored, want %d", got, n/2)
		}
		if got := count(t, raw, `select count(*) from signatures where name = '重复签名'`); got != 1 {
			t.Fatalf("%d signature rows, want 1", got)
		}
	})

	t.Run("CallsAfterCloseAnswerUnavailable", func(t *testing.T) {
		db := MustOpenDB(t)
		p := MustSysadmin(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		calls := []struct {
			name string
			call func() error
		}{
			{"Send", func() error {
				_, err := db.Send(ctx, p, &app.SendRequest{To: numbers(0, 1), Content: text("晚了")})
				return err
			}},
			{"Claim", func() error { _, err := db.Claim(ctx, 1); return err }},
			{"Record", func() error { return db.Record(ctx, []app.Outcome{{MessageID: 1, Kind: app.OutcomeFailed}}, nil) }},
			{"ApplyReceipts", func() error {
				return db.ApplyReceipts(ctx, []app.Receipt{{ChannelID: 1, SMSCID: "x", Stat: "DELIVRD"}})
			}},
			{"SaveReplies", func() error {
				return db.SaveReplies(ctx, []*app.Reply{{ChannelID: 1, From: "13800138000", To: "1069"}})
			}},
			{"CreateSignature", func() error { return db.CreateSignature(ctx, &app.Signature{DepartmentID: 1, Name: "晚"}) }},
			{"CreateChannel", func() error { return db.CreateChannel(ctx, validChannel()) }},
			{"CreateAPIKey", func() error {
				_, err := db.CreateAPIKey(ctx, &app.APIKey{Name: "晚", DepartmentID: 1, Role: app.RoleOperator})
				return err
			}},
		}
		for _, c := range calls {
			t.Run(c.name, func(t *testing.T) { wantCode(t, c.call(), app.EUNAVAILABLE) })
		}
	})

	t.Run("ConcurrentSendsDuringCloseAreDurableOrUnavailable", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)

		const n = 100
		results := make([]*app.SendResult, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				results[i], errs[i] = db.Send(context.Background(), p, &app.SendRequest{To: numbers(i, 1), Content: text("关机")})
			})
		}
		wg.Go(func() {
			<-start
			if err := db.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		close(start)
		wg.Wait()

		// Every id handed back must survive; every refusal must say "retry".
		raw := MustRawDB(t, path)
		accepted, wrong := 0, map[string]int{}
		for i := range n {
			if errs[i] != nil {
				if code := app.ErrorCode(errs[i]); code != app.EUNAVAILABLE {
					if wrong[code] == 0 {
						t.Errorf("send %d during close: code %s (%v), want success or EUNAVAILABLE", i, code, errs[i])
					}
					wrong[code]++
				}
				continue
			}
			accepted++
			id := results[i].Messages[0].ID
			if got := count(t, raw, `select count(*) from messages where id = ? and phone = ?`, id, numbers(i, 1)[0]); got != 1 {
				t.Errorf("accepted message %d not stored after close", id)
			}
		}
		if got := count(t, raw, `select count(*) from messages`); got != accepted {
			t.Errorf("%d messages stored, %d accepted", got, accepted)
		}
		if len(wrong) > 0 {
			t.Errorf("of %d sends during close, %d accepted and these failed with the wrong code: %v", n, accepted, wrong)
		}
	})
}

// validChannel returns a channel record that passes validation.
func validChannel() *app.Channel {
	return &app.Channel{Name: "移动一号", Host: "127.0.0.1", Port: 2775, SystemID: "smsgw", Password: "pw123456",
		SourceAddr: "10690001", TPS: 100, Window: 16, Enabled: true}
}
