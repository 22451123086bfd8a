package main

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"smsgw/app/apptest"
	"smsgw/dispatch/smscsim"
)

// TestRepliesSurviveKill is issue 13, item 10 on the real binary: a part of
// a long reply answered before a kill -9 is joined with the parts sent after
// the restart, and a reply the SMSC sends again after the restart (as it
// does with one it got no answer to) is listed once.
func TestRepliesSurviveKill(t *testing.T) {
	bin := buildBinary(t)
	dir, addr := t.TempDir(), freeAddr(t)
	srv := serveProcess(t, bin, dir, addr)
	info := readDemo(t, dir)
	c := &client{t: t, base: info.BaseURL, key: info.APIKey}

	sim := smscsim.New(smscsim.Options{SystemID: "mo", Password: "pw"})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	host, port, _ := net.SplitHostPort(sim.Addr())
	var ch struct {
		ID string `json:"id"`
	}
	body := map[string]any{"name": "上行", "host": host, "port": mustAtoi(t, port), "system_id": "mo", "password": "pw",
		"source_addr": "10690009", "tps": 100}
	if code := c.do("POST", "/api/v1/channels", body, &ch); code != http.StatusCreated {
		t.Fatalf("adding a channel: %d", code)
	}
	long := strings.Repeat("收到，谢谢。", 30) // three UCS2 parts
	mo, err := sim.NewMO("13700137000", "10690009", long)
	if err != nil || mo.Parts() != 3 {
		t.Fatalf("MO of %d parts, %v; want 3", mo.Parts(), err)
	}
	td, err := sim.NewMO("13700137001", "10690009", "TD")
	if err != nil {
		t.Fatal(err)
	}
	send := func(m *smscsim.MO, parts ...int) {
		t.Helper()
		apptest.Eventually(t, 20*time.Second, func() error { return sim.SendMO(m, parts...) })
	}
	answered := func(n int64) {
		t.Helper()
		apptest.Eventually(t, 20*time.Second, func() error {
			if got := sim.Stats().MOSent; got != n {
				return fmt.Errorf("%d deliver_sm answered, want %d", got, n)
			}
			return nil
		})
	}
	send(mo, 1)
	send(td)
	answered(2)
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.Wait()

	serveProcess(t, bin, dir, addr)
	send(td)
	send(mo, 2, 3)
	answered(5)
	var replies struct {
		Items []struct {
			Content string `json:"content"`
		} `json:"items"`
	}
	apptest.Eventually(t, 20*time.Second, func() error {
		if code := c.do("GET", "/api/v1/replies", nil, &replies); code != http.StatusOK {
			return fmt.Errorf("listing replies: %d", code)
		}
		if len(replies.Items) < 2 {
			return fmt.Errorf("%d replies listed, want 2", len(replies.Items))
		}
		return nil
	})
	if len(replies.Items) != 2 || replies.Items[0].Content != "TD" || replies.Items[1].Content != long {
		t.Fatalf("replies %+v: want TD once, then the long reply whole", replies.Items)
	}
}
