package main

import (
	"context"
	"strings"
	"testing"

	"smsgw/app"
	"smsgw/store"
)

// TestChannelCLITONNPIAndOnCrash pins that channel add takes the TON/NPI
// defaults and the flags given, edit changes only what it is given, and a
// bad value is refused naming the field.
func TestChannelCLITONNPIAndOnCrash(t *testing.T) {
	dir := t.TempDir()
	base := []string{"channel", "add", "--data", dir, "--name", "地址", "--host", "127.0.0.1", "--system-id", "s", "--source", "1069", "--password", "pw"}
	if _, err := runCLI(append(base, "--dest-npi", "19")...); err == nil || !strings.Contains(err.Error(), "目标地址 NPI") {
		t.Fatalf("dest-npi 19: %v; want an error naming 目标地址 NPI", err)
	}
	if _, err := runCLI(base...); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI("channel", "edit", "1", "--data", dir, "--source-ton", "5", "--on-crash", "hold"); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), store.Options{Path: dbPath(dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.FindChannelByID(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.SourceTON != 5 || c.SourceNPI != 0 || c.DestTON != 0 || c.DestNPI != 1 || c.OnCrash != app.OnCrashHold {
		t.Errorf("channel TON/NPI %d/%d %d/%d, on_crash %q: want 5/0 0/1, hold", c.SourceTON, c.SourceNPI, c.DestTON, c.DestNPI, c.OnCrash)
	}
}
