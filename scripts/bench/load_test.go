package main

import (
	"encoding/json"
	"testing"
)

// A small load run against its own server: everything accepted comes back
// final, nothing is lost or sent twice, and every field is filled in.
func TestLoadOwnServer(t *testing.T) {
	bin := buildBinary(t)
	out, err := runCLI("load", "--bin", bin, "--messages", "600", "--clients", "4", "--batch", "50",
		"--single", "0.2", "--long", "0.1", "--data", t.TempDir())
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	var res benchResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if res.Accepted != 600 || res.Delivered != 600 || res.Lost != 0 || res.CallsFailed != 0 {
		t.Errorf("result %+v; want 600 accepted and delivered, none lost", res)
	}
	if res.DuplicatesAtSMSC == nil || *res.DuplicatesAtSMSC != 0 {
		t.Errorf("duplicates at the SMSC: %v; want 0", res.DuplicatesAtSMSC)
	}
	if res.CPUMsPerMsg == nil || *res.CPUMsPerMsg <= 0 || res.PeakRSSMB == nil || *res.PeakRSSMB <= 0 || res.DBMB == nil || *res.DBMB <= 0 {
		t.Errorf("resource fields missing: %s", out)
	}
	if res.DeliveredPerS <= 0 || res.SubmittedPerS <= 0 || res.AcceptP99MS <= 0 || res.E2EP99MS <= 0 {
		t.Errorf("rates or latencies missing: %s", out)
	}
}

func TestPlanCalls(t *testing.T) {
	calls := planCalls(benchOptions{Messages: 1000, Batch: 100, Single: 0.3, Long: 0.2})
	var n, singles, long int
	seen := map[int]bool{}
	for _, c := range calls {
		for i := c.first; i < c.first+c.n; i++ {
			if seen[i] {
				t.Fatalf("message %d planned twice", i)
			}
			seen[i] = true
		}
		n += c.n
		if c.n == 1 {
			singles++
		}
		if c.long {
			long += c.n
		}
	}
	if n != 1000 || singles != 300 || len(calls) != 307 {
		t.Errorf("%d messages in %d calls, %d single; want 1000 in 307, 300 single", n, len(calls), singles)
	}
	if long < 190 || long > 300 {
		t.Errorf("%d long messages; want about 200", long)
	}
	if got := len([]rune(benchLong)); got != 500 {
		t.Errorf("the long message has %d characters; want 500", got)
	}
}
