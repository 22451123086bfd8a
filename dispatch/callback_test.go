package dispatch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/app/apptest"
	"smsgw/dispatch"
	"smsgw/store"
)

// callbackEnv is a store whose apps owe review callbacks, and a sender.
type callbackEnv struct {
	t     *testing.T
	db    *store.DB
	mu    sync.Mutex
	tried map[int64][]error // attempts per app, as the sender recorded them
}

func newCallbackEnv(t *testing.T) *callbackEnv {
	db, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "smsgw.db"), Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &callbackEnv{t: t, db: db, tried: map[int64][]error{}}
}

// owe makes an app whose callbacks go to url (stored as is, as an app made
// before registration checked it, or a name that resolves elsewhere later)
// and queues n review callbacks for it.
func (e *callbackEnv) owe(url string, n int) int64 {
	e.t.Helper()
	ctx := context.Background()
	k := &app.APIKey{Name: "app " + url, DepartmentID: app.RootDepartmentID, Role: app.RoleOperator,
		Scopes: []string{app.ScopeTemplates}, CallbackURL: url}
	secret, err := e.db.CreateAPIKey(ctx, k)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := e.db.Authenticate(ctx, secret)
	if err != nil {
		e.t.Fatal(err)
	}
	reviewer := &app.Principal{UserID: 1, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}
	for i := range n {
		tpl := &app.Template{Name: fmt.Sprintf("通知%d", i), Kind: app.KindNotice, Content: "你好"}
		if err := e.db.CreateTemplate(ctx, p, tpl); err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.db.ReviewTemplate(ctx, reviewer, tpl.ID, &app.Review{Decision: "approve"}); err != nil {
			e.t.Fatal(err)
		}
	}
	return k.ID
}

// CallbackDone records the attempt for the test, then in the store.
func (e *callbackEnv) CallbackDone(ctx context.Context, id int64, failure error) error {
	due, err := e.db.DueCallbacks(ctx, 1000)
	if err != nil {
		return err
	}
	for _, c := range due {
		if c.ID == id {
			e.mu.Lock()
			e.tried[c.APIKeyID] = append(e.tried[c.APIKeyID], failure)
			e.mu.Unlock()
		}
	}
	return e.db.CallbackDone(ctx, id, failure)
}

func (e *callbackEnv) DueCallbacks(ctx context.Context, limit int) ([]*app.Callback, error) {
	return e.db.DueCallbacks(ctx, limit)
}

// attempts returns the outcomes of an app's attempts so far.
func (e *callbackEnv) attempts(id int64) []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.tried[id]...)
}

// run starts s on e until the test ends.
func (e *callbackEnv) run(s *dispatch.CallbackSender) {
	s.Store, s.Interval = e, 10*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx)
		close(done)
	}()
	e.t.Cleanup(func() {
		cancel()
		<-done
	})
}

// receiver counts the callbacks it is sent.
type receiver struct {
	mu   sync.Mutex
	got  int
	srv  *httptest.Server
	code int
}

func newReceiver(t *testing.T, code int) *receiver {
	r := &receiver{code: code}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.got++
		r.mu.Unlock()
		if r.code/100 == 3 {
			http.Redirect(w, req, "/elsewhere", r.code)
			return
		}
		w.WriteHeader(r.code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got
}

// blackHole accepts connections and never answers, until the test ends.
func blackHole(t *testing.T) (addr string, accepted func() int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String(), func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(conns)
	}
}

// TestCallbackSlowAppDelaysNoOther: an app whose receiver accepts and never
// answers holds up only its own callbacks; another app's arrive meanwhile.
func TestCallbackSlowAppDelaysNoOther(t *testing.T) {
	e := newCallbackEnv(t)
	hole, accepted := blackHole(t)
	slow := e.owe("http://"+hole+"/cb", 3) // older: first in line
	fast := newReceiver(t, http.StatusNoContent)
	fastID := e.owe(fast.srv.URL+"/cb", 2)
	// A minute's timeout: the slow attempt hangs for the whole test.
	e.run(&dispatch.CallbackSender{AllowPrivate: true, Client: dispatch.CallbackClient(true, time.Minute)})
	apptest.Eventually(t, 10*time.Second, func() error {
		if n := fast.count(); n != 2 || len(e.attempts(fastID)) != 2 {
			return fmt.Errorf("fast app: %d callbacks received, %d recorded", n, len(e.attempts(fastID)))
		}
		if accepted() == 0 {
			return errors.New("the slow app's receiver has not been reached")
		}
		return nil
	})
	if got := e.attempts(slow); len(got) != 0 {
		t.Fatalf("the slow app's attempt ended (%v) before the fast app was served: not concurrent", got)
	}
	for _, err := range e.attempts(fastID) {
		if err != nil {
			t.Fatalf("fast app's callback failed: %v", err)
		}
	}
}

// TestCallbackRefusesPrivateTargets: by default a callback never connects to
// loopback, private, link-local or IPv4-mapped forms of them, nor to a name
// that resolves to loopback; with AllowPrivate, loopback is reached.
func TestCallbackRefusesPrivateTargets(t *testing.T) {
	e := newCallbackEnv(t)
	r := newReceiver(t, http.StatusOK)
	port := r.srv.Listener.Addr().(*net.TCPAddr).Port
	urls := []string{
		r.srv.URL + "/cb", // 127.0.0.1
		fmt.Sprintf("http://localhost:%d/cb", port),
		fmt.Sprintf("http://[::1]:%d/cb", port),
		fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/cb", port),
		fmt.Sprintf("http://10.1.2.3:%d/cb", port),
		"http://169.254.169.254/latest/meta-data/",
		fmt.Sprintf("http://0.0.0.0:%d/cb", port),
	}
	ids := make([]int64, len(urls))
	for i, u := range urls {
		ids[i] = e.owe(u, 1)
	}
	e.run(&dispatch.CallbackSender{})
	apptest.Eventually(t, 10*time.Second, func() error {
		for i, id := range ids {
			if len(e.attempts(id)) == 0 {
				return fmt.Errorf("%s: not tried yet", urls[i])
			}
		}
		return nil
	})
	for i, id := range ids {
		if err := e.attempts(id)[0]; err == nil || !strings.Contains(err.Error(), "callback refused") {
			t.Errorf("%s: attempt ended %v, want refused before connecting", urls[i], err)
		}
	}
	if n := r.count(); n != 0 {
		t.Fatalf("the loopback receiver got %d callbacks", n)
	}
}

// TestCallbackAllowPrivate: the operator's option lets loopback through.
func TestCallbackAllowPrivate(t *testing.T) {
	e := newCallbackEnv(t)
	r := newReceiver(t, http.StatusOK)
	id := e.owe(r.srv.URL+"/cb", 1)
	e.run(&dispatch.CallbackSender{AllowPrivate: true})
	apptest.Eventually(t, 10*time.Second, func() error {
		if got := e.attempts(id); len(got) == 0 || got[0] != nil || r.count() != 1 {
			return fmt.Errorf("attempts %v, received %d", got, r.count())
		}
		return nil
	})
}

// TestCallbackRedirectNotFollowed: a 3xx answer fails the attempt and its
// Location is not visited.
func TestCallbackRedirectNotFollowed(t *testing.T) {
	e := newCallbackEnv(t)
	r := newReceiver(t, http.StatusFound)
	id := e.owe(r.srv.URL+"/cb", 1)
	e.run(&dispatch.CallbackSender{AllowPrivate: true})
	apptest.Eventually(t, 10*time.Second, func() error {
		if len(e.attempts(id)) == 0 {
			return errors.New("not tried yet")
		}
		return nil
	})
	if err := e.attempts(id)[0]; err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("attempt ended %v, want a failure for the redirect", err)
	}
	if n := r.count(); n != 1 {
		t.Fatalf("receiver got %d requests, want 1 (the redirect not followed)", n)
	}
}
