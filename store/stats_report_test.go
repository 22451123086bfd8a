package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/store"
)

// TestStatsOutliveRetention: pruning old message detail leaves the
// counters as they were, and a rebuild refuses the days it pruned.
func TestStatsOutliveRetention(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "smsgw.db")
	cst := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, cst)
	db, err := store.Open(ctx, store.Options{Path: path, Exclusive: true, Retention: 24 * time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw := MustRawDB(t, path)
	p := MustSysadmin(t, db)
	MustSend(t, db, p, &app.SendRequest{To: numbers(0, 3), Content: text("你好")})
	var outcomes []app.Outcome
	var jobs []string
	for _, j := range MustClaimAll(t, db) {
		jobs = append(jobs, j.ID)
		for _, m := range j.Messages {
			outcomes = append(outcomes, app.Outcome{MessageID: m.ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: app.SMPPCode(0x0B), At: now})
		}
	}
	if err := db.Record(ctx, outcomes, jobs); err != nil {
		t.Fatal(err)
	}
	f := &app.StatsFilter{GroupBy: app.StatsByMonth, From: now, To: now}
	before, err := db.Stats(ctx, p, f)
	if err != nil || len(before) != 1 || before[0].Failed != 3 || before[0].Sent != 3 {
		t.Fatalf("before the prune: %+v, %v", before, err)
	}

	now = now.Add(3 * 24 * time.Hour)
	if err := db.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, raw, `select count(*) from messages`); n != 0 {
		t.Fatalf("%d messages left after the prune", n)
	}
	after, err := db.Stats(ctx, p, f)
	if err != nil || len(after) != 1 || after[0] != before[0] {
		t.Fatalf("after the prune: %+v, %v; want %+v", after, err, before)
	}
	_, err = db.RebuildStats(ctx, time.Date(2026, 3, 1, 0, 0, 0, 0, cst), time.Date(2026, 3, 4, 0, 0, 0, 0, cst))
	wantCodeField(t, err, app.EINVALID, "from")
	if _, err := db.RebuildStats(ctx, time.Date(2026, 3, 2, 0, 0, 0, 0, cst), time.Date(2026, 3, 4, 0, 0, 0, 0, cst)); err != nil {
		t.Fatalf("rebuild of days after the pruned ones: %v", err)
	}
	if again, err := db.Stats(ctx, p, f); err != nil || len(again) != 1 || again[0] != before[0] {
		t.Fatalf("after a rebuild beside the pruned day: %+v, %v; want %+v", again, err, before)
	}
}

// TestStatsReport reads counters written straight into the tables: the
// periods, the rates, the breakdowns, the top error codes and who sees
// what.
func TestStatsReport(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	MustDepartment(t, raw, 2, 1, "销售部")
	MustDepartment(t, raw, 3, 2, "华东区")
	MustDepartment(t, raw, 4, 1, "财务部")
	// month, department, user, channel, carrier, sent, delivered, failed, pending, segments
	for _, r := range [][]any{
		{202601, 2, 20, 1, "cmcc", 10, 8, 2, 0, 12},
		{202601, 3, 30, 1, "cucc", 5, 3, 1, 1, 5},
		{202602, 4, 40, 2, "ctcc", 4, 4, 0, 0, 4},
		{202502, 4, 40, 2, "ctcc", 7, 7, 0, 0, 7},
	} {
		if _, err := raw.Exec(`insert into stat_months (month, department_id, channel_id, carrier, sent, delivered, failed, pending, rejected, cancelled, segments)
			values (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?)`, append(r[:2:2], r[3:]...)...); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`insert into stat_month_users (month, department_id, user_id, sent, delivered, failed, pending, rejected, cancelled, segments)
			values (?, ?, ?, ?, ?, ?, ?, 0, 0, ?)`, append(r[:3:3], r[5:]...)...); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range [][]any{
		{202601, 2, 20, 1, "cmcc", "undelivered", "UNDELIV:001", 2},
		{202601, 3, 30, 1, "cucc", "failed", "SMPP_0x0B", 1},
	} {
		if _, err := raw.Exec(`insert into stat_month_errors values (?, ?, ?, ?, ?, ?, ?)`, append(r[:2:2], r[3:]...)...); err != nil {
			t.Fatal(err)
		}
		day := r[0].(int)*100 + 15
		if _, err := raw.Exec(`insert into stat_days values (?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`, append(append([]any{day}, r[1:]...), r[7])...); err != nil {
			t.Fatal(err)
		}
	}
	sys := &app.Principal{UserID: 1, DepartmentID: 1, Role: app.RoleSysadmin}
	sales := &app.Principal{UserID: 2, DepartmentID: 2, Role: app.RoleDeptAdmin}
	auditor := &app.Principal{UserID: 3, DepartmentID: 4, Role: app.RoleAuditor}
	operator := &app.Principal{UserID: 30, DepartmentID: 3, Role: app.RoleOperator}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	year2026 := &app.StatsFilter{GroupBy: app.StatsByMonth, From: day(2026, 1, 15), To: day(2026, 12, 1)}

	rows, err := db.Stats(ctx, sys, year2026)
	if err != nil || len(rows) != 2 || rows[0].Period != "2026-01" || rows[0].Sent != 15 || rows[0].Delivered != 11 ||
		rows[0].Failed != 3 || rows[0].Pending != 1 || rows[0].Segments != 17 || rows[1].Period != "2026-02" {
		t.Fatalf("sysadmin by month: %+v, %v", rows, err)
	}
	if got := rows[0].SuccessRate(); got != 11.0/14 {
		t.Fatalf("success rate %v, want delivered / (delivered + failed)", got)
	}
	years, err := db.Stats(ctx, sys, &app.StatsFilter{GroupBy: app.StatsByYear, From: day(2025, 1, 1), To: day(2026, 12, 31)})
	if err != nil || len(years) != 2 || years[0].Period != "2025" || years[0].Sent != 7 || years[1].Sent != 19 {
		t.Fatalf("by year: %+v, %v", years, err)
	}
	carrier := app.CarrierUnicom
	if rows, err := db.Stats(ctx, sys, &app.StatsFilter{GroupBy: app.StatsByMonth, From: day(2026, 1, 1), To: day(2026, 12, 1), Carrier: &carrier}); err != nil || len(rows) != 1 || rows[0].Sent != 5 {
		t.Fatalf("by carrier cucc: %+v, %v", rows, err)
	}

	// Who sees what: a department administrator its subtree, an auditor its
	// department, an operator its own messages.
	for _, c := range []struct {
		name string
		p    *app.Principal
		sent int64
	}{{"DepartmentAdmin", sales, 15}, {"Auditor", auditor, 4}, {"Operator", operator, 5}} {
		rows, err := db.Stats(ctx, c.p, year2026)
		var sent int64
		for _, r := range rows {
			sent += r.Sent
		}
		if err != nil || sent != c.sent {
			t.Errorf("%s sees %d sent (%v), want %d", c.name, sent, err, c.sent)
		}
	}
	_, err = db.Stats(ctx, sales, &app.StatsFilter{GroupBy: app.StatsByMonth, From: day(2026, 1, 1), To: day(2026, 2, 1), DepartmentID: 4})
	wantCode(t, err, app.ENOTFOUND)
	_, err = db.Stats(ctx, sys, &app.StatsFilter{GroupBy: app.StatsByMonth, From: day(2026, 1, 1), To: day(2026, 2, 1), DepartmentID: 99})
	wantCode(t, err, app.ENOTFOUND)
	_, err = db.Stats(ctx, &app.Principal{APIKeyID: 5, DepartmentID: 2, Role: app.RoleOperator}, year2026)
	wantCode(t, err, app.EFORBIDDEN)
	_, err = db.Stats(ctx, sys, &app.StatsFilter{GroupBy: "week", From: day(2026, 1, 1), To: day(2026, 2, 1)})
	wantCodeField(t, err, app.EINVALID, "group_by")
	if rows, err := db.Stats(ctx, sales, &app.StatsFilter{GroupBy: app.StatsByMonth, From: day(2026, 1, 1), To: day(2026, 2, 1), DepartmentID: 3}); err != nil || len(rows) != 1 || rows[0].Sent != 5 {
		t.Fatalf("sub-department filter: %+v, %v", rows, err)
	}

	byDept, err := db.StatsBreakdown(ctx, sys, year2026, app.StatsByDepartment)
	if err != nil || len(byDept) != 3 || byDept[0].Key != "2" || byDept[0].Name != "销售部" || byDept[0].Sent != 10 {
		t.Fatalf("by department: %+v, %v", byDept, err)
	}
	// Channel names only for those who manage channels.
	if _, err := raw.Exec(`insert into channels (id, name, host, port, system_id, source_addr, tps, window, created_at, updated_at)
		values (1, '移动直连甲', '127.0.0.1', 2775, 'x', '106', 100, 10, 0, 0)`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    *app.Principal
		want string
	}{
		{"Sysadmin", sys, "移动直连甲"},
		{"SysadminAppWithoutAdminScope", &app.Principal{APIKeyID: 7, DepartmentID: 1, Role: app.RoleSysadmin, Scopes: []string{app.ScopeQuery}}, "通道1"},
		{"DepartmentAdmin", sales, "通道1"},
		{"Operator", operator, "通道1"},
	} {
		byChannel, err := db.StatsBreakdown(ctx, c.p, year2026, app.StatsByChannel)
		if err != nil || len(byChannel) == 0 || byChannel[0].Key != "1" || byChannel[0].Name != c.want {
			t.Errorf("%s by channel: %+v, %v; want channel 1 named %s", c.name, byChannel, err, c.want)
		}
	}
	byCarrier, err := db.StatsBreakdown(ctx, sales, year2026, app.StatsByCarrier)
	if err != nil || len(byCarrier) != 2 || byCarrier[0].Key != "cmcc" || byCarrier[1].Key != "cucc" {
		t.Fatalf("by carrier: %+v, %v", byCarrier, err)
	}
	errs, err := db.StatsErrors(ctx, sys, year2026, 10)
	if err != nil || len(errs) != 2 || errs[0].ErrorCode != "UNDELIV:001" || errs[0].Messages != 2 || errs[1].Status != app.StatusFailed {
		t.Fatalf("top errors: %+v, %v", errs, err)
	}
	if errs, err := db.StatsErrors(ctx, operator, year2026, 10); err != nil || len(errs) != 1 || errs[0].ErrorCode != "SMPP_0x0B" {
		t.Fatalf("operator's top errors: %+v, %v", errs, err)
	}
}

// TestStatsUnavailableOnceClosed: the reports and the rebuild answer
// EUNAVAILABLE (503) on a closed database, as every other call does,
// rather than a driver error (500).
func TestStatsUnavailableOnceClosed(t *testing.T) {
	db := MustOpenDB(t)
	p := MustSysadmin(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	f := &app.StatsFilter{GroupBy: app.StatsByDay, From: day, To: day}
	calls := []struct {
		name string
		call func() error
	}{
		{"Stats", func() error { _, err := db.Stats(ctx, p, f); return err }},
		{"StatsBreakdown", func() error { _, err := db.StatsBreakdown(ctx, p, f, app.StatsByUser); return err }},
		{"StatsErrors", func() error { _, err := db.StatsErrors(ctx, p, f, 10); return err }},
		{"RebuildStats", func() error { _, err := db.RebuildStats(ctx, day, day); return err }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) { wantCode(t, c.call(), app.EUNAVAILABLE) })
	}
}
