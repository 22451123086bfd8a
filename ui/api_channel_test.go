package ui_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"smsgw/app"
)

func TestChannelsAPI(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin, err := f.db.CreateAPIKey(ctx, &app.APIKey{Name: "ops", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin,
		Scopes: []string{app.ScopeAdmin, app.ScopeQuery}})
	if err != nil {
		t.Fatal(err)
	}
	const good = `{"name":"移动主通道","host":"127.0.0.1","port":2775,"system_id":"sms01","password":"s3cret","source_addr":"1069000","tps":1000,"carriers":["cmcc","ctcc"]}`
	// Each scenario runs on its own copy of a database that holds channel 1.
	if status, body := f.call(t, "POST", "/api/v1/channels", admin, good); status != 201 || !strings.Contains(body, `"id":"1"`) {
		t.Fatalf("creating channel 1: %d %s", status, body)
	}
	scenarios := []struct {
		name   string
		method string
		path   string
		key    string
		body   string
		status int
		want   []string
		unwant []string
		prep   func(f *fixture) // before the call, on the scenario's copy
	}{
		{"CreateNeedsAdminScope", "POST", "/api/v1/channels", f.admin, good, 403, []string{`"code":"EFORBIDDEN"`}, nil, nil},
		{"CreateNeedsSysadmin", "POST", "/api/v1/channels", f.noFree, good, 403, []string{`"code":"EFORBIDDEN"`}, nil, nil},
		{"CreateAnswersWithoutPassword", "POST", "/api/v1/channels", admin, good, 201,
			[]string{`"id":"2"`, `"window":64`, `"weight":1`, `"enabled":true`, `"carriers":["cmcc","ctcc"]`, `"state":{`}, []string{"s3cret", "password"}, nil},
		{"BadPortIsNamed", "POST", "/api/v1/channels", admin, strings.Replace(good, `"port":2775`, `"port":99999`, 1), 400, []string{`"field":"port"`}, nil, nil},
		{"BadHostIsNamed", "POST", "/api/v1/channels", admin, strings.Replace(good, `"host":"127.0.0.1"`, `"host":"a b/c"`, 1), 400, []string{`"field":"host"`}, nil, nil},
		{"BadTPSIsNamed", "POST", "/api/v1/channels", admin, strings.Replace(good, `"tps":1000`, `"tps":0`, 1), 400, []string{`"field":"tps"`}, nil, nil},
		{"BadWindowIsNamed", "POST", "/api/v1/channels", admin, strings.Replace(good, `"tps":1000`, `"tps":10,"window":5000`, 1), 400, []string{`"field":"window"`}, nil, nil},
		{"UnknownCarrierIsNamed", "POST", "/api/v1/channels", admin, strings.Replace(good, `"ctcc"`, `"xx"`, 1), 400, []string{`"field":"carriers"`}, nil, nil},
		{"CreateDefaultsTONNPIAndOnCrash", "POST", "/api/v1/channels", admin, good, 201,
			[]string{`"source_ton":0`, `"source_npi":0`, `"dest_ton":0`, `"dest_npi":1`, `"on_crash":"resend"`}, nil, nil},
		{"CreateTakesTONNPI", "POST", "/api/v1/channels", admin, strings.Replace(good, `"tps":1000`, `"tps":1000,"source_ton":5,"source_npi":0,"dest_ton":1,"dest_npi":1,"on_crash":"hold"`, 1), 201,
			[]string{`"source_ton":5`, `"dest_ton":1`, `"dest_npi":1`, `"on_crash":"hold"`}, nil, nil},
		{"BadSourceTONIsNamed", "POST", "/api/v1/channels", admin, strings.Replace(good, `"tps":1000`, `"tps":1000,"source_ton":7`, 1), 400, []string{`"field":"source_ton"`}, nil, nil},
		{"BadDestNPIIsNamed", "POST", "/api/v1/channels", admin, strings.Replace(good, `"tps":1000`, `"tps":1000,"dest_npi":19`, 1), 400, []string{`"field":"dest_npi"`}, nil, nil},
		{"BadOnCrashIsNamed", "POST", "/api/v1/channels", admin, strings.Replace(good, `"tps":1000`, `"tps":1000,"on_crash":"maybe"`, 1), 400, []string{`"field":"on_crash"`}, nil, nil},
		{"PatchChangesTONNPI", "PATCH", "/api/v1/channels/1", admin, `{"source_ton":1,"source_npi":1}`, 200,
			[]string{`"source_ton":1`, `"source_npi":1`, `"dest_npi":1`}, nil, nil},
		{"PatchRefusesBadNPI", "PATCH", "/api/v1/channels/1", admin, `{"source_npi":-1}`, 400, []string{`"field":"source_npi"`}, nil, nil},
		{"List", "GET", "/api/v1/channels", admin, "", 200, []string{`"items":[{`, `"name":"移动主通道"`}, []string{"s3cret"}, nil},
		{"PatchChangesOnlyTheFieldsGiven", "PATCH", "/api/v1/channels/1", admin, `{"tps":500,"standby":true}`, 200,
			[]string{`"tps":500`, `"standby":true`, `"host":"127.0.0.1"`, `"source_addr":"1069000"`}, nil, nil},
		{"PatchRefusesBadValues", "PATCH", "/api/v1/channels/1", admin, `{"port":0}`, 400, []string{`"field":"port"`}, nil, nil},
		{"DisabledShowsWhy", "PATCH", "/api/v1/channels/1", admin, `{"enabled":false}`, 200, []string{`"enabled":false`, "已停用"}, nil, nil},
		{"UnknownChannelIs404", "GET", "/api/v1/channels/42", admin, "", 404, []string{`"code":"ENOTFOUND"`}, nil, nil},
		{"Delete", "DELETE", "/api/v1/channels/1", admin, "", 204, nil, nil, nil},
		{"DeletedIsGone", "GET", "/api/v1/channels/1", admin, "", 404, nil, nil, func(f *fixture) {
			if status, body := f.call(t, "DELETE", "/api/v1/channels/1", admin, ""); status != 204 {
				t.Fatalf("delete: %d %s", status, body)
			}
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			f := f.clone(t)
			if sc.prep != nil {
				sc.prep(f)
			}
			status, body := f.call(t, sc.method, sc.path, sc.key, sc.body)
			if status != sc.status {
				t.Fatalf("status %d, want %d; body %s", status, sc.status, body)
			}
			for _, w := range sc.want {
				if !strings.Contains(body, w) {
					t.Errorf("answer lacks %s: %s", w, body)
				}
			}
			for _, w := range sc.unwant {
				if strings.Contains(body, w) {
					t.Errorf("answer shows %s: %s", w, body)
				}
			}
		})
	}
	// The password is kept when a PATCH does not give one.
	status, body := f.call(t, "POST", "/api/v1/channels", admin, good)
	var ch struct{ ID string }
	if status != 201 || json.Unmarshal([]byte(body), &ch) != nil {
		t.Fatalf("%d %s", status, body)
	}
	f.call(t, "PATCH", "/api/v1/channels/"+ch.ID, admin, `{"name":"改名"}`)
	list, err := f.db.FindChannels(ctx)
	if err != nil || len(list) != 2 || list[1].Password != "s3cret" || list[1].Name != "改名" {
		t.Fatalf("after a PATCH without password: %+v %v", list, err)
	}
}
