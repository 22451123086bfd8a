package ui_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/ui"
)

// openServer serves f's database on 127.0.0.1:0 with the limits set by
// tune, as the program does (its own listener, not httptest's).
func openServer(t *testing.T, f *fixture, tune func(*ui.Options)) string {
	t.Helper()
	opts := options(f.db)
	opts.Addr = "127.0.0.1:0"
	tune(&opts)
	s, err := ui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return strings.TrimPrefix(s.URL(), "http://")
}

// closedWithin reports whether the server closes conn (or answers and
// closes it) within d, while trickle keeps sending a byte every tick.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration, trickle string) bool {
	t.Helper()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for i := 0; i < len(trickle); i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{trickle[i]}); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	// EOF or a reset (the server closed with the trickle's bytes unread):
	// closed. Only a timeout means still open.
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// TestHardenSlowClientsAreCut: a client sending its headers or its body a
// byte at a time loses its connection at the deadline (issue 14, item 11).
func TestHardenSlowClientsAreCut(t *testing.T) {
	f := newFixture(t)
	addr := openServer(t, f, func(o *ui.Options) {
		o.ReadHeaderTimeout, o.BodyTimeout = 300*time.Millisecond, 300*time.Millisecond
	})
	slow := strings.Repeat("x", 200) // 10 s at a byte every 50 ms

	t.Run("Headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "))
		if !closedWithin(t, conn, 5*time.Second, slow) {
			t.Fatal("a connection sending its headers a byte at a time is still open after 5 s")
		}
	})
	t.Run("Body", func(t *testing.T) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nusername="))
		if !closedWithin(t, conn, 5*time.Second, slow) {
			t.Fatal("a connection sending its body a byte at a time is still open after 5 s")
		}
	})
}

// TestHardenConnectionCap: past MaxConns, a new connection waits until one
// closes.
func TestHardenConnectionCap(t *testing.T) {
	f := newFixture(t)
	addr := openServer(t, f, func(o *ui.Options) { o.MaxConns = 2 })
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("a third connection was served with MaxConns 2")
	}
	held[0].Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("after one closed, the waiting connection: %v", err)
	}
	resp.Body.Close()
}

// TestBodyLimits: bodies over their route's cap are refused with 413
// before they are read (a multipart /login is not spooled to disk).
func TestBodyLimits(t *testing.T) {
	f := newFixture(t)
	consoleUser(t, f, "admin1", app.RoleSysadmin)
	big := func(n int) io.Reader { return strings.NewReader(strings.Repeat("a", n)) }
	for _, tc := range []struct {
		name, path, ctype string
		size              int
		want              string
	}{
		{"LoginMultipart", "/login", "multipart/form-data; boundary=x", 1 << 20, `"code":"EINVALID"`},
		{"APIJSON", "/api/v1/messages", "application/json", 3 << 20, `"code":"EINVALID"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.srv.URL+tc.path, big(tc.size))
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("Authorization", "Bearer "+f.admin)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), tc.want) {
				t.Fatalf("status %d %s; want 413 %s", resp.StatusCode, body, tc.want)
			}
		})
	}
	t.Run("ConsoleFormAnswersAPage", func(t *testing.T) {
		b := newBrowser(t, f.srv.URL)
		b.login("admin1", "Console2026")
		status, _, body := b.post("/send", url.Values{"numbers": {strings.Repeat("1", 3<<20)}})
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "<html") {
			t.Fatalf("status %d; want 413 and the error page: %.200s", status, body)
		}
		req, _ := http.NewRequest("POST", f.srv.URL+"/send/upload", big(10<<20))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `"code":"EINVALID"`) {
			t.Fatalf("upload of 10 MB: %d %s", resp.StatusCode, body)
		}
	})
}
