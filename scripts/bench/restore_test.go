package main

import (
	"encoding/json"
	"testing"
)

// A short restore drill: the primary is killed under load, its replica is
// restored and read back. How many acknowledged messages the replica lacks
// depends on the machine's speed (the RPO window), so only the shape is
// checked here; BENCHMARKS.md has the figures.
func TestRestoreDrill(t *testing.T) {
	bin := buildBinary(t)
	out, err := runCLI("restore-drill", "--bin", bin, "--load", "2s", "--rate", "200", "--clients", "2", "--data", t.TempDir())
	if err != nil {
		t.Fatalf("restore drill: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	var res restoreDrillResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if res.Acked == 0 || res.Missing > res.Acked || res.RestoredMB <= 0 {
		t.Errorf("restore drill result %+v; want messages acknowledged and a restored database", res)
	}
	// The restored copy reconciles what it holds as submitted; how many
	// depends on timing, so only that it ran and adds up.
	if r := res.Reconcile; r == nil || r.Copy != "restored" || r.LeftSubmitted > r.Submitted ||
		r.Reconciled+r.Pending+r.Reported > r.Submitted {
		t.Errorf("reconciliation %+v; want the restored copy's, adding up", r)
	}
}
