package ui_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"smsgw/app"
)

func TestSignedRequests(t *testing.T) {
	f := newFixture(t)
	k := &app.APIKey{Name: "signed", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin, AllowFreeText: true}
	secret, err := f.db.CreateAPIKey(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	type signed struct {
		method, path, body, nonce string
		ts                        time.Time
		secret                    string
	}
	call := func(f *fixture, s signed) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(s.method, f.srv.URL+s.path, strings.NewReader(s.body))
		ts := strconv.FormatInt(s.ts.Unix(), 10)
		req.Header.Set("X-Smsgw-Key", k.Key)
		req.Header.Set("X-Smsgw-Timestamp", ts)
		req.Header.Set("X-Smsgw-Nonce", s.nonce)
		req.Header.Set("X-Smsgw-Signature", app.Sign(s.secret, app.SignatureBase(s.method, s.path, ts, s.nonce, []byte(s.body))))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	send := `{"to":["13800138000"],"content":"【示例单位】签名请求"}`
	now := time.Now()
	scenarios := []struct {
		name   string
		req    signed
		status int
		want   string
		before []signed // calls made first, on the scenario's copy
	}{
		{"SignedSendIsAccepted", signed{"POST", "/api/v1/messages", send, "nonce-0001", now, secret}, 202, `"accepted":1`, nil},
		{"SignedQueryWithParameters", signed{"GET", "/api/v1/messages?limit=10&status=queued", "", "nonce-0002", now, secret}, 200, `"items":[{`,
			[]signed{{"POST", "/api/v1/messages", send, "nonce-0001", now, secret}}},
		{"ReplayedNonceIsRefused", signed{"POST", "/api/v1/messages", send, "nonce-0001", now, secret}, 401, "已使用",
			[]signed{{"POST", "/api/v1/messages", send, "nonce-0001", now, secret}}},
		{"WrongSecretIsRefused", signed{"POST", "/api/v1/messages", send, "nonce-0003", now, "not-the-secret"}, 401, "签名错误", nil},
		{"StaleTimestampIsRefused", signed{"POST", "/api/v1/messages", send, "nonce-0004", now.Add(-6 * time.Minute), secret}, 401, "5分钟", nil},
		{"ClockSkewWithinTheWindowPasses", signed{"GET", "/api/v1/replies", "", "nonce-0005", now.Add(4 * time.Minute), secret}, 200, `"items"`, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := f.clone(t)
			for _, b := range sc.before {
				if status, body := call(f, b); status >= 300 {
					t.Fatalf("the call before: %d %s", status, body)
				}
			}
			status, body := call(f, sc.req)
			if status != sc.status || !strings.Contains(body, sc.want) {
				t.Fatalf("status %d body %s; want %d with %s", status, body, sc.status, sc.want)
			}
		})
	}
	t.Run("TamperedBodyIsRefused", func(t *testing.T) {
		req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/messages", strings.NewReader(`{"to":["13900000000"],"content":"【示例单位】改过"}`))
		ts := strconv.FormatInt(now.Unix(), 10)
		req.Header.Set("X-Smsgw-Key", k.Key)
		req.Header.Set("X-Smsgw-Timestamp", ts)
		req.Header.Set("X-Smsgw-Nonce", "nonce-0006")
		req.Header.Set("X-Smsgw-Signature", app.Sign(secret, app.SignatureBase("POST", "/api/v1/messages", ts, "nonce-0006", []byte(send))))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("UnknownKeyIsRefused", func(t *testing.T) {
		req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/replies", nil)
		req.Header.Set("X-Smsgw-Key", "ak_nobody")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
}
