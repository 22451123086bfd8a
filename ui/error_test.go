package ui

import (
	"testing"

	"smsgw/app"
)

// TestEveryRequestCodeHasStatus pins the one status table: a request code
// without an HTTP status would answer 500 and be logged as a fault.
func TestEveryRequestCodeHasStatus(t *testing.T) {
	codes := append(append([]string{}, app.RequestCodes...), app.NumberCodes...)
	for _, code := range codes {
		if _, ok := statuses[code]; !ok {
			t.Errorf("request code %s has no HTTP status in ui/error.go", code)
		}
	}
	for code := range statuses {
		found := false
		for _, c := range codes {
			found = found || c == code
		}
		if !found {
			t.Errorf("ui/error.go maps %s, which app.RequestCodes and app.NumberCodes lack", code)
		}
	}
}
