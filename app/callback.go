package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Callback is a notice owed to an app's callback URL: the result of the
// review of a template or a signature it submitted.
type Callback struct {
	ID       int64
	APIKeyID int64
	URL      string
	Secret   string // the app's secret, which signs the body
	Event    string // "template.reviewed", "signature.reviewed", "batch.reviewed"
	Body     []byte // JSON
	Attempts int    // made so far
}

// MaxCallbackAttempts is how often a callback is tried before it is given
// up (about a day of backoff in all).
const MaxCallbackAttempts = 12

// CallbackBackoff is the wait after the n-th failed attempt: 10 s, doubling,
// at most 4 h.
func CallbackBackoff(n int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < n && d < 4*time.Hour; i++ {
		d *= 2
	}
	return min(d, 4*time.Hour)
}

// SignCallback is the X-Smsgw-Signature of a callback: hex HMAC-SHA256,
// keyed with the app's secret, over "TIMESTAMP\nBODY".
func SignCallback(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "\n"))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// CallbackStore keeps the callbacks owed until they are delivered.
type CallbackStore interface {
	// DueCallbacks returns up to limit callbacks whose time has come.
	DueCallbacks(ctx context.Context, limit int) ([]*Callback, error)
	// CallbackDone records an attempt: delivered (err nil) removes it;
	// otherwise it is tried again later, or given up after MaxCallbackAttempts.
	CallbackDone(ctx context.Context, id int64, err error) error
}
