package ui_test

import (
	"strings"
	"testing"
)

// TestExtensionCodesCannotBeHijackedThroughTheAPI (issue 14, item 5): a
// department's code may not be another's or begin it ("2" and "21"), the
// refusal names the field and the department in the way; an app's send
// may not add digits that land on another department's code.
func TestExtensionCodesCannotBeHijackedThroughTheAPI(t *testing.T) {
	f := newFixture(t)
	var root struct{ Secret string }
	admin := mustApp(t, f, f.mustAdmin(t), `{"name":"根","role":"sysadmin","scopes":["admin","send","query"],"allow_free_text":true}`, &root)
	var a, b struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"一处","ext":"2"}`, 201, &a)
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"二处","ext":"3"}`, 201, &b)
	var appA struct{ Secret string }
	mustApp(t, f, admin, `{"name":"一处系统","department_id":"`+a.ID+`","scopes":["send","query"],"allow_free_text":true}`, &appA)

	for _, c := range []struct {
		name, method, path, key, body string
		status                        int
		want                          []string
	}{
		{"ALongerCodeIsRefused", "POST", "/api/v1/departments", admin, `{"name":"三处","ext":"21"}`, 409, []string{`"ECONFLICT"`, `"field":"ext"`, "一处"}},
		{"AShorterCodeIsRefused", "PATCH", "/api/v1/departments/" + b.ID, admin, `{"ext":"2"}`, 409, []string{`"field":"ext"`, "一处"}},
		{"ACodeBeginningAnotherIsRefused", "PATCH", "/api/v1/departments/" + b.ID, admin, `{"ext":"20"}`, 409, []string{`"field":"ext"`, "一处"}},
		{"AnAppsCodeIsACodeToo", "POST", "/api/v1/apps", admin, `{"name":"抢码","department_id":"` + b.ID + `","scopes":["send"],"ext":"23"}`, 409, []string{`"field":"ext"`, "一处"}},
		{"ARequestCannotAddDigitsOntoAnotherCode", "POST", "/api/v1/messages", root.Secret, `{"to":["13800138000"],"content":"【示例单位】劫持","ext":"3"}`, 400, []string{`"field":"ext"`, "二处"}},
		{"NorDigitsBeginningAnotherCode", "POST", "/api/v1/messages", root.Secret, `{"to":["13800138000"],"content":"【示例单位】劫持","ext":"35"}`, 400, []string{`"field":"ext"`, "二处"}},
		{"DigitsAfterTheSendersOwnCodeAreFine", "POST", "/api/v1/messages", appA.Secret, `{"to":["13800138000"],"content":"【示例单位】回复我","ext":"1"}`, 202, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := f.clone(t)
			status, body := f.call(t, c.method, c.path, c.key, c.body)
			if status != c.status {
				t.Fatalf("%d %s, want %d", status, body, c.status)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("answer %s lacks %s", body, w)
				}
			}
		})
	}
}
