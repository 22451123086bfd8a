package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"smsgw/app"
)

// TestHealthDetailsNeedAnAdmin: anonymous callers of /healthz learn only
// the status and version; an admin key sees the channels (issue 14, item 18).
func TestHealthDetailsNeedAnAdmin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin, err := f.db.CreateAPIKey(ctx, &app.APIKey{Name: "ops", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin, Scopes: []string{app.ScopeAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	sender, err := f.db.CreateAPIKey(ctx, &app.APIKey{Name: "sender", DepartmentID: app.RootDepartmentID, Role: app.RoleOperator, Scopes: []string{app.ScopeSend}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(key string) map[string]any {
		req, _ := http.NewRequest("GET", f.srv.URL+"/healthz", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	for name, key := range map[string]string{"Anonymous": "", "WrongKey": "nope", "SendOnlyKey": sender} {
		h := get(key)
		if h["status"] != "ok" || len(h) != 2 {
			t.Errorf("%s: %v; want only status and version", name, h)
		}
	}
	if h := get(admin); h["channels"] == nil || h["process"] == nil {
		t.Errorf("admin: %v; want the details", h)
	}
}
