package main

import (
	"database/sql"
	"strings"
	"testing"
)

// TestAuditVerifyCLIFindsTailAndWipe (issue 14, item 9): `smsgw audit
// verify` reports entries deleted at the tail and a wiped log, which the
// hash chain alone could not see.
func TestAuditVerifyCLIFindsTailAndWipe(t *testing.T) {
	for _, tt := range []struct{ name, tamper, want string }{
		{"DeletedTail", `delete from audit_log where id > 1`, "entries 2 to 3 missing at the tail"},
		{"WipedLog", `delete from audit_log`, "the audit log was wiped"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := runCLI("channel", "add", "--data", dir, "--name", "审计", "--host", "127.0.0.1", "--system-id", "s", "--source", "1069", "--password", "pw"); err != nil {
				t.Fatal(err)
			}
			for _, action := range []string{"disable", "enable"} {
				if _, err := runCLI("channel", action, "1", "--data", dir); err != nil {
					t.Fatal(err)
				}
			}
			if out, err := runCLI("audit", "verify", "--data", dir); err != nil || !strings.Contains(out, "3 entries") {
				t.Fatalf("verify: %q %v", out, err)
			}
			raw, err := sql.Open("sqlite", "file:"+dbPath(dir))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(tt.tamper); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			if _, err := runCLI("audit", "verify", "--data", dir); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
