package main

import (
	"database/sql"
	"strings"
	"testing"
)

// TestStatsRebuildCLI: `smsgw stats rebuild` recounts the days asked from
// message detail (here: none, so a stray counter goes) and checks its dates.
func TestStatsRebuildCLI(t *testing.T) {
	dir := t.TempDir()
	if _, err := runCLI("channel", "add", "--data", dir, "--name", "统计", "--host", "127.0.0.1", "--system-id", "s", "--source", "1069", "--password", "pw"); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+dbPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`insert into stat_days values (20260105, 1, 0, 0, 'cmcc', 0, 'delivered', '', 7, 7)`); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI("stats", "rebuild", "--data", dir, "--from", "2026-1-1", "--to", "2026-01-31"); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Fatalf("a malformed date: %v", err)
	}
	out, err := runCLI("stats", "rebuild", "--data", dir, "--from", "2026-01-01", "--to", "2026-01-31")
	if err != nil || !strings.Contains(out, "0 messages counted") {
		t.Fatalf("rebuild: %q %v", out, err)
	}
	var n int
	if err := raw.QueryRow(`select count(*) from stat_days`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d day counters left (%v), want the stray one gone", n, err)
	}
}
