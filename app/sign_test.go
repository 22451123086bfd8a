package app_test

import (
	"testing"
	"time"

	"smsgw/app"
)

// These vectors are published in README.md; they were computed with
// Python's hmac module, not with this code.
const vectorSecret = "6f1c2a9e0b7d4c3f8a5e2d1b0c9f8e7d6c5b4a3928171615141312111009f8e7"

func TestSignatureVectors(t *testing.T) {
	tests := []struct {
		method, pathQuery, ts, nonce, body, want string
	}{
		{"POST", "/api/v1/messages", "1764288000", "n0nce-2026-0001", `{"to":["13800138000"],"content":"【示例单位】您好"}`,
			"311d0b8b49360a339b1295949c21659b981ebe84342a05590f65ece67ee2b9cb"},
		{"GET", "/api/v1/messages?status=delivered&limit=10", "1764288000", "abc12345", "",
			"e68a0ee1ad7a365f58abafa7ced3b1e9451e54610378ea36d06d5d0bdb790afc"},
	}
	for _, tt := range tests {
		base := app.SignatureBase(tt.method, tt.pathQuery, tt.ts, tt.nonce, []byte(tt.body))
		if got := app.Sign(vectorSecret, base); got != tt.want {
			t.Errorf("%s %s: signature %s, want %s", tt.method, tt.pathQuery, got, tt.want)
		}
	}
}

func TestSignedRequest_Verify(t *testing.T) {
	now := time.Unix(1764288000, 0)
	good := func() *app.SignedRequest {
		r := &app.SignedRequest{Key: "ak_x", Timestamp: "1764288000", Nonce: "n0nce-2026-0001", Method: "POST",
			PathQuery: "/api/v1/messages", Body: []byte(`{"to":["13800138000"],"content":"【示例单位】您好"}`)}
		r.Signature = app.Sign(vectorSecret, app.SignatureBase(r.Method, r.PathQuery, r.Timestamp, r.Nonce, r.Body))
		return r
	}
	if err := good().Verify(vectorSecret, now); err != nil {
		t.Fatalf("good request: %v", err)
	}
	if err := good().Verify(vectorSecret, now.Add(4*time.Minute)); err != nil {
		t.Errorf("4 minutes of clock skew must pass: %v", err)
	}
	tests := map[string]func(r *app.SignedRequest){
		"WrongSecretOrSignature": func(r *app.SignedRequest) { r.Signature = app.Sign("other", "x") },
		"BodyChanged":            func(r *app.SignedRequest) { r.Body = []byte(`{}`) },
		"QueryChanged":           func(r *app.SignedRequest) { r.PathQuery += "?x=1" },
		"TooOld":                 func(r *app.SignedRequest) { r.Timestamp = "1764287600" },
		"FromTheFuture":          func(r *app.SignedRequest) { r.Timestamp = "1764288400" },
		"TimestampNotANumber":    func(r *app.SignedRequest) { r.Timestamp = "2026-11-28" },
		"NonceTooShort":          func(r *app.SignedRequest) { r.Nonce = "abc" },
	}
	for name, spoil := range tests {
		t.Run(name, func(t *testing.T) {
			r := good()
			spoil(r)
			if err := r.Verify(vectorSecret, now); app.ErrorCode(err) != app.EUNAUTHORIZED {
				t.Fatalf("error %v, want EUNAUTHORIZED", err)
			}
		})
	}
}
