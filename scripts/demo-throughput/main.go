// Command demo-throughput measures how fast the demo setup takes messages
// from accept to delivered: it starts `smsgw serve --demo` on an empty temp
// folder, posts N messages through the API with C concurrent clients, waits
// until every one is final, and prints the rates as one JSON line.
//
//	go run ./scripts/demo-throughput -bin bin/smsgw -n 20000
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/smsgw", "the smsgw binary")
	n := flag.Int("n", 20000, "messages to send")
	batch := flag.Int("batch", 100, "numbers per API call")
	conc := flag.Int("c", 8, "concurrent API clients")
	flag.Parse()
	if err := run(*bin, *n, *batch, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "demo-throughput:", err)
		os.Exit(1)
	}
}

type creds struct {
	APIKey  string `json:"api_key"`
	BaseURL string `json:"base_url"`
}

func run(bin string, n, batch, conc int) error {
	dir, err := os.MkdirTemp("", "smsgw-demo-throughput-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--demo", "--data", dir, "--listen", addr)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()

	var c creds
	for deadline := time.Now().Add(30 * time.Second); ; {
		if b, err := os.ReadFile(filepath.Join(dir, "demo-credentials.json")); err == nil && json.Unmarshal(b, &c) == nil && c.BaseURL != "" {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("demo did not start within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}

	fmt.Fprintf(os.Stderr, "sending %d messages in calls of %d with %d clients\n", n, batch, conc)
	calls := make(chan int)
	go func() {
		for i := 0; i < n; i += batch {
			calls <- i
		}
		close(calls)
	}()
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := range calls {
				to := make([]string, 0, batch)
				for i := first; i < min(first+batch, n); i++ {
					to = append(to, fmt.Sprintf("138%08d", i))
				}
				body, _ := json.Marshal(map[string]any{"to": to, "content": "【示例单位】您好，明天上午九点在三楼会议室开会，请准时参加。"})
				if code, err := call(c, "POST", "/api/v1/messages", body, nil); err != nil || code != http.StatusAccepted {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	accepted := time.Since(start)
	if failed.Load() > 0 {
		return fmt.Errorf("%d API calls failed", failed.Load())
	}

	// Wait until nothing is left on its way, then read the last done_at.
	for deadline := time.Now().Add(5 * time.Minute); ; {
		pending := 0
		for _, s := range []string{"accepted", "queued", "submitting", "submitted"} {
			var page struct{ Items []json.RawMessage }
			if _, err := call(c, "GET", "/api/v1/messages?limit=1&status="+s, nil, &page); err != nil {
				return err
			}
			pending += len(page.Items)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("messages still pending after 5 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	lastDone, delivered, err := scan(c)
	if err != nil {
		return err
	}
	e2e := lastDone.Sub(start)
	out, _ := json.Marshal(map[string]any{
		"messages": n, "delivered": delivered,
		"accept_s": accepted.Seconds(), "accepted_per_s": float64(n) / accepted.Seconds(),
		"accept_to_delivered_s": e2e.Seconds(), "delivered_per_s": float64(delivered) / e2e.Seconds(),
	})
	fmt.Println(string(out))
	if delivered != n {
		return fmt.Errorf("%d of %d delivered", delivered, n)
	}
	return nil
}

// scan pages through every message and returns the latest done_at and the
// number delivered.
func scan(c creds) (time.Time, int, error) {
	var last time.Time
	delivered, cursor := 0, ""
	for {
		var page struct {
			Items []struct {
				Status string `json:"status"`
				DoneAt string `json:"done_at"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if _, err := call(c, "GET", "/api/v1/messages?limit=1000&cursor="+cursor, nil, &page); err != nil {
			return last, 0, err
		}
		for _, m := range page.Items {
			if m.Status == "delivered" {
				delivered++
			}
			if t, err := time.Parse(time.RFC3339, m.DoneAt); err == nil && t.After(last) {
				last = t
			}
		}
		if page.NextCursor == "" {
			return last, delivered, nil
		}
		cursor = page.NextCursor
	}
}

func call(c creds, method, path string, body []byte, out any) (int, error) {
	req, err := http.NewRequest(method, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil {
		return resp.StatusCode, json.NewDecoder(resp.Body).Decode(out)
	}
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
