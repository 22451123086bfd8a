package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"smsgw/app"
)

// TestStatusMachineEnforced tries every status change on a real database:
// the triggers made from app's table let each legal one through and abort
// every other, and refuse a message stored in a status it cannot start in.
func TestStatusMachineEnforced(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateSignature(ctx, &app.Signature{DepartmentID: app.RootDepartmentID, Name: "测试单位", Approved: true}); err != nil {
		t.Fatal(err)
	}
	admin := &app.Principal{UserID: 1, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}
	n := len(app.Statuses) * len(app.Statuses)
	to := make([]string, n)
	for i := range to {
		to[i] = fmt.Sprintf("139%08d", i)
	}
	// Scheduled, so every message starts accepted: every status is
	// reachable from there.
	res, err := db.Send(ctx, admin, &app.SendRequest{To: to, Content: "【测试单位】状态机", SendAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	set := func(id int64, s app.Status) error {
		_, err := db.wdb.ExecContext(ctx, `update messages set status = ? where id = ?`, string(s), id)
		return err
	}
	next := 0
	for _, from := range app.Statuses {
		path := pathTo(from)
		if path == nil {
			t.Fatalf("no legal path from accepted to %s", from)
		}
		for _, target := range app.Statuses {
			if target == from {
				continue
			}
			id := res.Messages[next].ID
			next++
			for _, s := range path {
				if err := set(id, s); err != nil {
					t.Fatalf("legal move to %s on the way to %s refused: %v", s, from, err)
				}
			}
			err := set(id, target)
			switch {
			case from.CanMove(target) && err != nil:
				t.Errorf("%s -> %s is legal but was refused: %v", from, target, err)
			case !from.CanMove(target) && (err == nil || !strings.Contains(err.Error(), errIllegalStatus)):
				t.Errorf("%s -> %s is illegal but the database answered %v", from, target, err)
			}
		}
	}
	for _, s := range app.Statuses {
		_, err := db.wdb.ExecContext(ctx, `insert into messages `+messageCols+` select batch_id, department_id, user_id, api_key_id,
			phone, carrier, segments, ?, ext, created_at, content, error_code, done_at from messages where id = ?`, string(s), res.Messages[0].ID)
		initial := false
		for _, v := range app.InitialStatuses {
			initial = initial || v == s
		}
		if initial != (err == nil) {
			t.Errorf("storing a message as %s: %v (initial status: %v)", s, err, initial)
		}
	}
}

// pathTo returns the legal moves that take an accepted message to s.
func pathTo(s app.Status) []app.Status {
	type step struct {
		at   app.Status
		path []app.Status
	}
	seen := map[app.Status]bool{}
	queue := []step{{app.StatusAccepted, []app.Status{}}}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		if st.at == s {
			return st.path
		}
		if seen[st.at] {
			continue
		}
		seen[st.at] = true
		for _, to := range app.Statuses {
			if st.at.CanMove(to) {
				queue = append(queue, step{to, append(append([]app.Status{}, st.path...), to)})
			}
		}
	}
	return nil
}
