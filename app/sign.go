package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// SignatureWindow is how far a signed request's timestamp may be from now.
const SignatureWindow = 5 * time.Minute

// SignedRequest is what a signed API call carries (headers X-Smsgw-Key,
// X-Smsgw-Timestamp, X-Smsgw-Nonce, X-Smsgw-Signature) and what it signs.
type SignedRequest struct {
	Key       string
	Timestamp string // Unix seconds
	Nonce     string // 8 to 64 characters, accepted once per key
	Signature string // hex HMAC-SHA256 of SignatureBase, keyed with the secret
	Method    string
	PathQuery string // the path and the raw query exactly as sent
	Body      []byte
}

// SignatureBase is the text a signed request signs:
// METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nhex(sha256(body)).
func SignatureBase(method, pathQuery, timestamp, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return method + "\n" + pathQuery + "\n" + timestamp + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])
}

// Sign returns the hex HMAC-SHA256 of base keyed with secret.
func Sign(secret, base string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(base))
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks r's shape, its timestamp against now, and its signature
// against secret. The nonce's single use is the store's to check.
// Errors: EUNAUTHORIZED with the reason.
func (r *SignedRequest) Verify(secret string, now time.Time) error {
	ts, err := strconv.ParseInt(r.Timestamp, 10, 64)
	if err != nil {
		return Errorf(EUNAUTHORIZED, "X-Smsgw-Timestamp 应为 Unix 秒数")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > SignatureWindow || d < -SignatureWindow {
		return Errorf(EUNAUTHORIZED, "请求时间戳与服务器时间相差超过5分钟")
	}
	if n := len(r.Nonce); n < 8 || n > 64 {
		return Errorf(EUNAUTHORIZED, "X-Smsgw-Nonce 应为8到64个字符")
	}
	want := Sign(secret, SignatureBase(r.Method, r.PathQuery, r.Timestamp, r.Nonce, r.Body))
	if !hmac.Equal([]byte(want), []byte(r.Signature)) {
		return Errorf(EUNAUTHORIZED, "签名错误 (signature mismatch)")
	}
	return nil
}
