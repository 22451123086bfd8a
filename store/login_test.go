package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/store"
)

// TestLoginLockout pins issue 14, items 7 and 13: every attempt is counted
// before its password is checked, so concurrent guesses reach bcrypt's
// verdict at most MaxFailedLogins times before the lock; a locked name
// refuses the right password too; unknown names lock the same way; an
// administrator's change and the lock's end let the user in again.
func TestLoginLockout(t *testing.T) {
	ctx := context.Background()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC).UnixMilli())
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true,
		Now: func() time.Time { return time.UnixMilli(clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	u := &app.User{Username: "zhang", DisplayName: "张三", DepartmentID: app.RootDepartmentID, Role: app.RoleOperator}
	if err := db.CreateUser(ctx, nil, u, "Right2026pw"); err != nil {
		t.Fatal(err)
	}

	guess := func(name, password string, n int) map[string]int {
		t.Helper()
		codes := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := db.Login(ctx, name, password)
				mu.Lock()
				codes[app.ErrorCode(err)]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return codes
	}

	for _, c := range []struct {
		name    string
		guesses int
	}{{"zhang", 30}, {"nobody", 8}, {strings.Repeat("x", 100000), 8}} {
		t.Run("ConcurrentGuessesVerifyFive/"+c.name[:min(len(c.name), 8)], func(t *testing.T) {
			codes := guess(c.name, "wrong-1234", c.guesses)
			if codes[app.EUNAUTHORIZED] != app.MaxFailedLogins || codes[app.EFORBIDDEN] != c.guesses-app.MaxFailedLogins {
				t.Fatalf("answers %v: want %d wrong-password verdicts, the rest refused as locked", codes, app.MaxFailedLogins)
			}
		})
	}
	if _, err := db.Login(ctx, "zhang", "Right2026pw"); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("the right password on a locked name: %v, want EFORBIDDEN", err)
	}

	t.Run("TheLockEnds", func(t *testing.T) {
		clock.Add((app.LockMinutes*time.Minute + time.Second).Milliseconds())
		if _, err := db.Login(ctx, "zhang", "Right2026pw"); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		if codes := guess("zhang", "wrong-1234", app.MaxFailedLogins-1); codes[app.EUNAUTHORIZED] != app.MaxFailedLogins-1 {
			t.Fatalf("a success clears the count: %v", codes)
		}
	})

	t.Run("AnAdministratorUnlocks", func(t *testing.T) {
		guess("zhang", "wrong-1234", 3)
		if _, err := db.UpdateUser(ctx, nil, u.ID, &app.UserUpdate{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Login(ctx, "zhang", "Right2026pw"); err != nil {
			t.Fatalf("after an administrator's change: %v", err)
		}
	})
}
