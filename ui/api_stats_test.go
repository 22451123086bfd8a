package ui_test

import (
	"strings"
	"testing"
	"time"
)

// TestStatsAPI: the report by period and its breakdowns, errors and export,
// for the roles that read them, and the filters' errors.
func TestStatsAPI(t *testing.T) {
	f := newFixture(t)
	admin := f.mustAdmin(t)
	var a, b struct{ ID string }
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"一处"}`, 201, &a)
	mustJSON(t, f, "POST", "/api/v1/departments", admin, `{"name":"二处"}`, 201, &b)
	var deptAdmin, noQuery struct{ Secret string }
	mustApp(t, f, admin, `{"name":"一处管理","department_id":"`+a.ID+`","role":"dept_admin","scopes":["admin","query"]}`, &deptAdmin)
	mustApp(t, f, admin, `{"name":"只发送","role":"sysadmin","scopes":["send"]}`, &noQuery)
	if status, body := f.call(t, "POST", "/api/v1/messages", f.admin, `{"to":["13800138000","13900139000"],"content":"【示例单位】您好"}`); status != 202 {
		t.Fatalf("send: %d %s", status, body)
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")

	scenarios := []struct {
		name, path, key string
		status          int
		want, not       []string
	}{
		{"ByDay", "/api/v1/stats?group_by=day", admin, 200,
			[]string{`"period":"` + today + `"`, `"sent":2`, `"pending":2`, `"delivered":0`, `"segments":2`, `"success_rate":0`, `"failure_rate":0`}, nil},
		{"ByMonthIsTheDefault", "/api/v1/stats", admin, 200, []string{`"period":"` + today[:7] + `"`, `"sent":2`}, nil},
		{"ByYear", "/api/v1/stats?group_by=year&from=2020-01-01", admin, 200, []string{`"period":"` + today[:4] + `"`}, nil},
		{"OneCarrier", "/api/v1/stats?carrier=ctcc", admin, 200, []string{`"items":[]`}, nil},
		{"DeptAdminSeesItsSubtreeOnly", "/api/v1/stats", deptAdmin.Secret, 200, []string{`"items":[]`}, nil},
		{"DeptAdminAsksAnotherDepartment", "/api/v1/stats?department_id=" + b.ID, deptAdmin.Secret, 404, []string{`"code":"ENOTFOUND"`}, nil},
		{"MissingDepartment", "/api/v1/stats?department_id=999", admin, 404, []string{`"code":"ENOTFOUND"`}, nil},
		{"NeedsTheQueryScope", "/api/v1/stats", noQuery.Secret, 403, []string{`"code":"EFORBIDDEN"`}, nil},
		{"BadGroupBy", "/api/v1/stats?group_by=week", admin, 400, []string{`"field":"group_by"`}, nil},
		{"BadDate", "/api/v1/stats?from=2026/01/01", admin, 400, []string{`"field":"from"`}, nil},
		{"ToBeforeFrom", "/api/v1/stats?from=2026-02-01&to=2026-01-01", admin, 400, []string{`"field":"to"`}, nil},
		{"BadCarrier", "/api/v1/stats?carrier=att", admin, 400, []string{`"field":"carrier"`}, nil},
		{"ByCarrier", "/api/v1/stats/breakdown?by=carrier", admin, 200, []string{`"key":"cmcc"`, `"name":"中国移动"`, `"sent":2`}, nil},
		{"ByDepartment", "/api/v1/stats/breakdown?by=department", admin, 200, []string{`"key":"1"`, `"sent":2`}, nil},
		{"BadBreakdown", "/api/v1/stats/breakdown?by=weather", admin, 400, []string{`"field":"by"`}, nil},
		{"NoErrorsYet", "/api/v1/stats/errors", admin, 200, []string{`"items":[]`}, nil},
		{"ExportCSV", "/api/v1/stats/export?format=csv&group_by=day", admin, 200, []string{"周期,发送量", today + ",2,0,0,2,2,—,—", "合计,2", "注："}, nil},
		{"ExportXLSX", "/api/v1/stats/export?format=xlsx", admin, 200, []string{"PK"}, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			status, body := f.call(t, "GET", sc.path, sc.key, "")
			if status != sc.status {
				t.Fatalf("status %d, want %d: %s", status, sc.status, body)
			}
			for _, w := range sc.want {
				if !strings.Contains(body, w) {
					t.Errorf("answer lacks %s: %s", w, body)
				}
			}
		})
	}
}
