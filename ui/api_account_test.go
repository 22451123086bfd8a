package ui_test

import (
	"context"
	"strings"
	"testing"

	"smsgw/app"
)

// TestAccountAPI drives the quota ledger through the API (issue 16): a
// system administrator tops up, a department administrator allocates
// within its subtree, a send beyond the balance answers 402 EQUOTA and
// stores nothing, and nobody sees a sibling's account.
func TestAccountAPI(t *testing.T) {
	f := newFixture(t)
	admin, err := f.db.CreateAPIKey(context.Background(), &app.APIKey{Name: "root", DepartmentID: app.RootDepartmentID,
		Role: app.RoleSysadmin, AllowFreeText: true, Scopes: []string{app.ScopeAdmin, app.ScopeSend, app.ScopeQuery, app.ScopeAccount}})
	if err != nil {
		t.Fatal(err)
	}
	var a, b struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"一处"}`, 201, &a)
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"二处"}`, 201, &b)
	var a1 struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"一处一科","parent_id":"`+a.ID+`"}`, 201, &a1)
	var appA, appB, opA struct{ Secret string }
	mustApp(t, f, admin, `{"name":"一处管理","department_id":"`+a.ID+`","role":"dept_admin","scopes":["send","query","admin","account"],"allow_free_text":true}`, &appA)
	mustApp(t, f, admin, `{"name":"二处系统","department_id":"`+b.ID+`","scopes":["send","query","account"],"allow_free_text":true}`, &appB)
	mustApp(t, f, admin, `{"name":"一处发送","department_id":"`+a.ID+`","scopes":["send","query"],"allow_free_text":true}`, &opA)

	var entry struct {
		ID           string
		Kind         string
		Segments     int64
		BalanceAfter int64 `json:"balance_after"`
		Actor        string
	}
	mustJSON(t, f, "POST", "/api/v1/account/topup", admin, `{"department_id":"`+a.ID+`","segments":5,"note":"首次充值"}`, 200, &entry)
	if entry.Kind != "topup" || entry.Segments != 5 || entry.BalanceAfter != 5 || entry.Actor != "root" {
		t.Fatalf("top-up entry %+v", entry)
	}
	// 3 segments spent by an operator of 一处; the 4th send of 3 overdraws.
	if status, body := f.call(t, "POST", "/api/v1/messages", opA.Secret, `{"to":["13800138000","13800138001","13800138002"],"content":"【示例单位】一处通知"}`); status != 202 {
		t.Fatalf("send: %d %s", status, body)
	}
	before := f.count(t)

	scenarios := []struct {
		name, method, path, key, body string
		status                        int
		want                          string
	}{
		{"AccountShape", "GET", "/api/v1/account?department_id=" + a.ID, admin, "", 200,
			`{"department_id":"` + a.ID + `","balance":2,"month_used":3,"low_balance_threshold":0,"paid_by":"` + a.ID + `","unmetered":false,"low":false}`},
		{"SubDepartmentDrawsOnParent", "GET", "/api/v1/account?department_id=" + a1.ID, appA.Secret, "", 200, `"balance":2`},
		{"UnmeteredDepartment", "GET", "/api/v1/account?department_id=" + b.ID, appB.Secret, "", 200, `"balance":null`},
		{"SiblingAccountIs404", "GET", "/api/v1/account?department_id=" + b.ID, appA.Secret, "", 404, `"ENOTFOUND"`},
		{"SiblingLedgerIs404", "GET", "/api/v1/ledger?department_id=" + a.ID, appB.Secret, "", 404, `"ENOTFOUND"`},
		{"AppWithoutAccountScope", "GET", "/api/v1/account", opA.Secret, "", 403, `"EFORBIDDEN"`},
		{"OverdrawIs402", "POST", "/api/v1/messages", opA.Secret, `{"to":["13800138003","13800138004","13800138005"],"content":"【示例单位】透支"}`, 402,
			`"code":"EQUOTA","message":"余额不足：剩余 2 条，本次发送需 3 条，未发送","details":{"balance":2,"cost":3}`},
		{"OnlySysadminsTopUp", "POST", "/api/v1/account/topup", appA.Secret, `{"department_id":"` + a.ID + `","segments":5,"note":"自充"}`, 403, `"EFORBIDDEN"`},
		{"TopUpNeedsNote", "POST", "/api/v1/account/topup", admin, `{"department_id":"` + a.ID + `","segments":5}`, 400, `"field":"note"`},
		{"CorrectionBelowZero", "POST", "/api/v1/account/topup", admin, `{"department_id":"` + a.ID + `","segments":-3,"note":"冲正"}`, 400, `"field":"segments"`},
		{"Correction", "POST", "/api/v1/account/topup", admin, `{"department_id":"` + a.ID + `","segments":-2,"note":"冲正"}`, 200, `"balance_after":0`},
		{"AllocateDown", "POST", "/api/v1/account/allocate", appA.Secret, `{"from_department_id":"` + a.ID + `","to_department_id":"` + a1.ID + `","segments":2,"note":"给一科"}`, 200, `"to":{"department_id":"` + a1.ID + `","balance":2`},
		{"AllocateBeyondBalance", "POST", "/api/v1/account/allocate", appA.Secret, `{"from_department_id":"` + a.ID + `","to_department_id":"` + a1.ID + `","segments":3}`, 402, `"EQUOTA"`},
		{"AllocateToSibling", "POST", "/api/v1/account/allocate", appA.Secret, `{"from_department_id":"` + a.ID + `","to_department_id":"` + b.ID + `","segments":1}`, 404, `"ENOTFOUND"`},
		{"Threshold", "PATCH", "/api/v1/account", appA.Secret, `{"department_id":"` + a.ID + `","low_balance_threshold":10}`, 200, `"low_balance_threshold":10,"paid_by":"` + a.ID + `","unmetered":false,"low":true`},
		{"LedgerShape", "GET", "/api/v1/ledger?department_id=" + a.ID + "&kind=debit", appA.Secret, "", 200, `"kind":"debit","segments":-3,"balance_after":2,"batch_id":"`},
		{"LedgerBadKind", "GET", "/api/v1/ledger?kind=gift", admin, "", 400, `"field":"kind"`},
		{"LedgerPaging", "GET", "/api/v1/ledger?limit=1", admin, "", 200, `"next_cursor":"`},
		{"LedgerExport", "GET", "/api/v1/ledger/export?format=csv", admin, "", 200, "首次充值"},
		{"ConsumptionByDepartment", "GET", "/api/v1/consumption", admin, "", 200, `"department":"一处","debited":3,"refunded":0,"used":3`},
		{"ConsumptionByUser", "GET", "/api/v1/consumption?by=user", appA.Secret, "", 200, `"sender":"一处发送"`},
		{"RefundPolicy", "GET", "/api/v1/refund-policy", admin, "", 200, `{"refund_failed":false}`},
		{"RefundPolicySet", "PUT", "/api/v1/refund-policy", admin, `{"refund_failed":true}`, 200, `{"refund_failed":true}`},
		{"RefundPolicyNeedsAccountScope", "GET", "/api/v1/refund-policy", opA.Secret, "", 403, `"EFORBIDDEN"`},
		{"RefundPolicySysadminOnly", "PUT", "/api/v1/refund-policy", appA.Secret, `{"refund_failed":true}`, 403, `"EFORBIDDEN"`},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := f.clone(t)
			status, body := f.call(t, sc.method, sc.path, sc.key, sc.body)
			if status != sc.status || !strings.Contains(body, sc.want) {
				t.Fatalf("status %d body %s; want %d with %s", status, body, sc.status, sc.want)
			}
			if sc.name == "OverdrawIs402" && f.count(t) != before {
				t.Errorf("an overdraw stored messages: %d, want %d", f.count(t), before)
			}
		})
	}
}
