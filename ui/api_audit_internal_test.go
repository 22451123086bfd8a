package ui

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestRedact (issue 14, item 6): secrets are hidden whatever the case of
// their key and however deep they sit; phone numbers are masked under any
// phone key at any depth and wherever a string reads as a mobile number;
// the summary stays capped.
func TestRedact(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		want       []string // substrings of the summary
		never      []string // substrings it must not hold
	}{
		{"LowerCaseSecrets", `{"name":"a","password":"hunter2","secret":"s3","token":"t0k","api_key":"k1","admin_password":"ap"}`,
			[]string{`"name":"a"`, `"password":"***"`, `"secret":"***"`, `"token":"***"`, `"api_key":"***"`, `"admin_password":"***"`},
			[]string{"hunter2", "s3", "t0k", "k1", `"ap"`}},
		{"CaseVariantSecrets", `{"Password":"hunter2","PASSWORD":"hunter3","Secret":"s3","API_KEY":"k1","Admin_Password":"ap"}`,
			[]string{`"Password":"***"`, `"PASSWORD":"***"`}, []string{"hunter2", "hunter3", "s3", "k1", `"ap"`}},
		{"NestedSecrets", `{"channel":{"smpp":{"Password":"pw1"}},"users":[{"name":"x","password":"pw2"},{"creds":[{"TOKEN":"pw3"}]}],"client_secret":"pw4"}`,
			[]string{`"name":"x"`}, []string{"pw1", "pw2", "pw3", "pw4"}},
		{"TopLevelNumbers", `{"to":["13800138000","13800138001","13800138002"],"from":"13900139000","phone":"13700137000"}`,
			[]string{`"to":"3 numbers"`, `"from":"139****9000"`, `"phone":"137****7000"`}, []string{"13800138000", "13900139000", "13700137000"}},
		{"NestedNumbers", `{"contacts":[{"name":"张三","Mobile":"13800138000"},{"numbers":["13800138001","13800138002"]}],"extra":{"Phone":13900139000}}`,
			[]string{`"numbers":"2 numbers"`, "张三"}, []string{"13800138000", "13800138001", "13900139000"}},
		{"NumbersInAnyString", `{"note":"请联系 +86 138-0013-8000","content":"【示例单位】验证码 123456","list":["13800138000"]}`,
			[]string{"123456"}, []string{"138-0013-8000", "13800138000"}},
		{"ArrayAtTheTop", `[{"password":"pw"},{"to":"13800138000"}]`, []string{`"password":"***"`}, []string{"pw\"", "13800138000"}},
		{"NotJSON", `password=hunter2`, []string{"(not JSON)"}, []string{"hunter2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := redact([]byte(tt.body))
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("summary lacks %s: %s", w, got)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(got, n) {
					t.Errorf("summary shows %s: %s", n, got)
				}
			}
		})
	}
	t.Run("Capped", func(t *testing.T) {
		got := redact([]byte(`{"name":"` + strings.Repeat("名", 200000) + `","password":"pw"}`))
		if len(got) > maxSummary || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
			t.Errorf("summary of %d bytes (valid UTF-8 %v), ending %q", len(got), utf8.ValidString(got), got[len(got)-8:])
		}
	})
}
