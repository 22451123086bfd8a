package main

import (
	"encoding/json"
	"testing"
)

// The small crash drill: three kill -9s under load. Every message the
// clients were told was accepted exists once with a final status, and the
// SMSC saw no more duplicates than the windows in flight at the kills.
func TestCrashDrill(t *testing.T) {
	bin := buildBinary(t)
	out, err := runCLI("crash-drill", "--bin", bin, "--kills", "3", "--max-up", "1500ms", "--data", t.TempDir())
	var res drillResult
	if jerr := json.Unmarshal([]byte(out), &res); jerr != nil {
		t.Fatalf("drill: %v, output %q", err, out)
	}
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("drill: %v", err)
	}
	if res.Acked == 0 || res.Lost != 0 || res.NotFinal != 0 || res.DuplicateRows != 0 || res.SMSCDuplicates > res.SMSCDupBound || !res.LedgerOK {
		t.Errorf("drill result %+v", res)
	}
}

// The hold drill: channels with on_crash hold, two kill -9s under load.
// Before the held messages are released, no part reached the SMSC twice;
// the held ones are listed, and released they are sent and end final.
func TestCrashDrillHold(t *testing.T) {
	bin := buildBinary(t)
	out, err := runCLI("crash-drill", "--bin", bin, "--kills", "2", "--max-up", "1500ms", "--on-crash", "hold", "--data", t.TempDir())
	var res drillResult
	if jerr := json.Unmarshal([]byte(out), &res); jerr != nil {
		t.Fatalf("drill: %v, output %q", err, out)
	}
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("drill: %v", err)
	}
	if res.Acked == 0 || res.Lost != 0 || res.NotFinal != 0 || res.DuplicateRows != 0 || res.SMSCDuplicates != 0 || res.HeldDuplicates > int64(res.Held) {
		t.Errorf("drill result %+v: want no SMSC duplicate before the release, every message final after it", res)
	}
}
