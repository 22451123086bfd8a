package store_test

import (
	"context"
	"strings"
	"testing"

	"smsgw/app"
	"smsgw/store"
)

// reviewer is a console system administrator: it reviews templates.
var reviewer = &app.Principal{UserID: 1, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}

func mustTemplate(tb testing.TB, db *store.DB, p *app.Principal, t *app.Template) *app.Template {
	tb.Helper()
	if err := db.CreateTemplate(context.Background(), p, t); err != nil {
		tb.Fatalf("create template: %v", err)
	}
	return t
}

func mustReview(tb testing.TB, db *store.DB, id int64, decision, reason string) *app.Template {
	tb.Helper()
	t, err := db.ReviewTemplate(context.Background(), reviewer, id, &app.Review{Decision: decision, Reason: reason})
	if err != nil {
		tb.Fatalf("review template: %v", err)
	}
	return t
}

// TestTemplates pins the template lifecycle: pending, approved or rejected,
// new versions on edit, who may review, and sending with one.
func TestTemplates(t *testing.T) {
	ctx := context.Background()

	t.Run("LifecycleAndVersions", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		MustSignature(t, db)
		MustDepartments(t, path)
		op := &app.Principal{UserID: 21, DepartmentID: deptA, Role: app.RoleOperator}
		tpl := mustTemplate(t, db, op, &app.Template{Name: "会议通知", Kind: app.KindNotice, Content: "您的会议${time}在${room}召开",
			Vars: map[string]app.VarRule{"room": {Type: app.VarAlnum, MaxLen: 6}}})
		if tpl.Status != app.ReviewPending || tpl.Version != 1 || tpl.Usable() {
			t.Fatalf("new template: status %s version %d usable %v", tpl.Status, tpl.Version, tpl.Usable())
		}
		if r := tpl.Vars["time"]; r.Type != app.VarText || r.MaxLen != app.DefaultVarLen {
			t.Fatalf("default rule for time = %+v", r)
		}
		send := &app.SendRequest{To: numbers(0, 1), TemplateID: tpl.ID, Params: map[string]string{"time": "周五下午三点", "room": "A301"}}
		_, err := db.Send(ctx, op, send)
		wantCode(t, err, app.ETEMPLATE_NOT_APPROVED)

		// Only a reviewer reviews: not the operator, not a department
		// administrator, not a sysadmin's app without the templates scope.
		for _, p := range []*app.Principal{op, {UserID: 20, DepartmentID: deptA, Role: app.RoleDeptAdmin},
			{APIKeyID: 9, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin, Scopes: []string{app.ScopeSend}}} {
			_, err := db.ReviewTemplate(ctx, p, tpl.ID, &app.Review{Decision: "approve"})
			wantCode(t, err, app.EFORBIDDEN)
		}
		_, err = db.ReviewTemplate(ctx, reviewer, tpl.ID, &app.Review{Decision: "reject"})
		wantField(t, err, "reason")

		rejected := mustReview(t, db, tpl.ID, "reject", "会议室写法不规范")
		if rejected.Status != app.ReviewRejected || rejected.Reason != "会议室写法不规范" {
			t.Fatalf("rejected: %+v", rejected)
		}
		_, err = db.Send(ctx, op, send)
		wantCode(t, err, app.ETEMPLATE_NOT_APPROVED)
		if !strings.Contains(app.ErrorMessage(err), "会议室写法不规范") {
			t.Fatalf("refusal does not give the reason: %v", err)
		}
		_, err = db.ReviewTemplate(ctx, reviewer, tpl.ID, &app.Review{Decision: "approve"})
		wantCode(t, err, app.ECONFLICT)

		// Editing makes version 2, pending; approving it makes it usable.
		content := "您的会议${time}在${room}召开，请准时参加"
		v2, err := db.UpdateTemplate(ctx, op, tpl.ID, &app.TemplateUpdate{Content: &content})
		if err != nil || v2.Version != 2 || v2.Status != app.ReviewPending {
			t.Fatalf("edit: %+v, %v", v2, err)
		}
		mustReview(t, db, tpl.ID, "approve", "")
		res := MustSend(t, db, op, send)
		if m := MustFind(t, db, res.Messages[0].ID); m.Content != "【测试单位】您的会议周五下午三点在A301召开，请准时参加" {
			t.Fatalf("sent text = %q", m.Content)
		}

		// Editing an approved template leaves version 2 in use until
		// version 3 is approved.
		content3 := "会议${time}改在${room}"
		v3, err := db.UpdateTemplate(ctx, op, tpl.ID, &app.TemplateUpdate{Content: &content3})
		if err != nil || v3.Version != 3 || v3.Status != app.ReviewPending || v3.LiveVersion != 2 {
			t.Fatalf("edit of approved: %+v, %v", v3, err)
		}
		res = MustSend(t, db, op, send)
		if m := MustFind(t, db, res.Messages[0].ID); !strings.HasSuffix(m.Content, "请准时参加") {
			t.Fatalf("version 2 not in use while 3 waits: %q", m.Content)
		}
		// A reviewer who read version 2 cannot approve version 3 unseen.
		_, err = db.ReviewTemplate(ctx, reviewer, tpl.ID, &app.Review{Decision: "approve", Version: 2})
		wantCode(t, err, app.ECONFLICT)
		if _, err := db.ReviewTemplate(ctx, reviewer, tpl.ID, &app.Review{Decision: "approve", Version: 3}); err != nil {
			t.Fatal(err)
		}
		res = MustSend(t, db, op, send)
		if m := MustFind(t, db, res.Messages[0].ID); m.Content != "【测试单位】会议周五下午三点改在A301" {
			t.Fatalf("version 3 text = %q", m.Content)
		}
		raw := MustRawDB(t, path)
		if n := count(t, raw, `select count(*) from template_versions where template_id = ?`, tpl.ID); n != 3 {
			t.Fatalf("versions kept = %d, want 3", n)
		}

		// Another department's operator neither sees nor sends with it.
		other := &app.Principal{UserID: 41, DepartmentID: deptB, Role: app.RoleOperator}
		_, err = db.FindTemplateByID(ctx, other, tpl.ID)
		wantCode(t, err, app.ENOTFOUND)
		_, err = db.Send(ctx, other, send)
		wantCode(t, err, app.ENOTFOUND)
		if list, _, err := db.FindTemplates(ctx, reviewer, app.TemplateFilter{Status: app.ReviewApproved}); err != nil || len(list) != 1 {
			t.Fatalf("approved templates = %d, %v", len(list), err)
		}
		// A sub-department sends with it; the root's administrator sees it
		// but may not send with a department's template.
		for _, tt := range []struct {
			p         *app.Principal
			sees, may int
		}{
			{&app.Principal{UserID: 31, DepartmentID: deptA1, Role: app.RoleOperator}, 1, 1},
			{&app.Principal{UserID: 10, DepartmentID: app.RootDepartmentID, Role: app.RoleDeptAdmin}, 1, 0},
		} {
			seen, _, _ := db.FindTemplates(ctx, tt.p, app.TemplateFilter{})
			usable, _, _ := db.FindTemplates(ctx, tt.p, app.TemplateFilter{ForSending: true})
			if len(seen) != tt.sees || len(usable) != tt.may {
				t.Fatalf("department %d sees %d, may send with %d", tt.p.DepartmentID, len(seen), len(usable))
			}
		}
	})

	t.Run("BadParamsAreNamedAndStoreNothing", func(t *testing.T) {
		db, path := MustOpenDBPath(t)
		MustSignature(t, db)
		tpl := mustTemplate(t, db, reviewer, &app.Template{Name: "验证码", Kind: app.KindCode, Content: "验证码${code}，5分钟内有效",
			Vars: map[string]app.VarRule{"code": {Type: app.VarDigits, MaxLen: 8}}})
		mustReview(t, db, tpl.ID, "approve", "")
		for _, tt := range []struct {
			params map[string]string
			code   string
		}{
			{map[string]string{}, app.EPARAM_MISSING},
			{map[string]string{"code": "123", "name": "张三"}, app.EPARAM_UNKNOWN},
			{map[string]string{"code": "123456789"}, app.EPARAM_INVALID},
			{map[string]string{"code": "12ab"}, app.EPARAM_INVALID},
		} {
			_, err := db.Send(ctx, reviewer, &app.SendRequest{To: numbers(0, 3), TemplateID: tpl.ID, Params: tt.params})
			wantCode(t, err, tt.code)
		}
		_, err := db.Send(ctx, reviewer, &app.SendRequest{To: numbers(0, 1), TemplateID: tpl.ID, Params: map[string]string{"code": "1"}, Signature: "别的单位"})
		wantCode(t, err, app.ESIGNATURE_NOT_APPROVED)
		_, err = db.Send(ctx, reviewer, &app.SendRequest{To: numbers(0, 1), TemplateID: tpl.ID + 100, Params: map[string]string{"code": "1"}})
		wantCode(t, err, app.ENOTFOUND)
		if n := count(t, MustRawDB(t, path), `select count(*) from messages`); n != 0 {
			t.Fatalf("%d messages stored by refused sends", n)
		}
	})

	t.Run("PersonalisedBatch", func(t *testing.T) {
		db := MustOpenDB(t)
		MustSignature(t, db)
		tpl := mustTemplate(t, db, reviewer, &app.Template{Name: "缴费提醒", Kind: app.KindNotice, Content: "${name}您好，本月应缴${amount}元",
			Vars: map[string]app.VarRule{"amount": {Type: app.VarNumber, MaxLen: 10}}})
		mustReview(t, db, tpl.ID, "approve", "")
		to := []string{"13900000001", "+86 139 0000 0002", "13900000003", "13900000004"}
		res := MustSend(t, db, reviewer, &app.SendRequest{To: to, TemplateID: tpl.ID, PerNumber: map[string]map[string]string{
			"13900000001":       {"name": "张三", "amount": "12.5"},
			"+86 139 0000 0002": {"name": "李四", "amount": "300"},
			"13900000003":       {"name": "王五", "amount": "三百"}, // not a number
			// 13900000004 has no values
		}})
		if len(res.Messages) != 2 || len(res.Rejected) != 2 {
			t.Fatalf("accepted %d, rejected %+v", len(res.Messages), res.Rejected)
		}
		want := map[string]string{"13900000001": "【测试单位】张三您好，本月应缴12.5元", "13900000002": "【测试单位】李四您好，本月应缴300元"}
		for _, sm := range res.Messages {
			if m := MustFind(t, db, sm.ID); m.Content != want[m.To] {
				t.Fatalf("%s got %q, want %q", m.To, m.Content, want[m.To])
			}
		}
		codes := map[string]string{}
		for _, r := range res.Rejected {
			codes[r.To] = r.Code
		}
		if codes["13900000003"] != app.EPARAM_INVALID || codes["13900000004"] != app.EPARAM_MISSING {
			t.Fatalf("rejections = %v", codes)
		}
		_, err := db.Send(ctx, reviewer, &app.SendRequest{To: to[:1], TemplateID: tpl.ID,
			PerNumber: map[string]map[string]string{"13900000009": {"name": "x", "amount": "1"}}})
		wantField(t, err, "params")
	})

	t.Run("SensitiveWordsInTheFilledText", func(t *testing.T) {
		db := MustOpenDB(t)
		MustSignature(t, db)
		tpl := mustTemplate(t, db, reviewer, &app.Template{Name: "x", Kind: app.KindNotice, Content: "您好${a}${b}，本周优惠"})
		mustReview(t, db, tpl.ID, "approve", "")
		if err := db.SaveWordList(ctx, reviewer, app.WordList{Name: "违禁", Action: app.WordBlock, Words: []string{"代开发票"}}); err != nil {
			t.Fatal(err)
		}
		send := func(a, b string) error {
			_, err := db.Send(ctx, reviewer, &app.SendRequest{To: numbers(0, 1), TemplateID: tpl.ID, Params: map[string]string{"a": a, "b": b}})
			return err
		}
		wantCode(t, send("代开", "发票"), app.ESENSITIVE_WORD) // a word made of two values
		if err := send("张三", "李四"); err != nil {
			t.Fatal(err)
		}
		// A word listed after the template's review stops it too.
		if err := db.SaveWordList(ctx, reviewer, app.WordList{Name: "违禁", Action: app.WordBlock, Words: []string{"代开发票", "本周优惠"}}); err != nil {
			t.Fatal(err)
		}
		wantCodeField(t, send("张三", "李四"), app.ESENSITIVE_WORD, "template_id")
	})

	t.Run("AutomaticChecks", func(t *testing.T) {
		db := MustOpenDB(t)
		if err := db.SaveWordList(ctx, reviewer, app.WordList{Name: "违禁", Action: app.WordBlock, Words: []string{"发票"}}); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveWordList(ctx, reviewer, app.WordList{Name: "审核", Action: app.WordReview, Words: []string{"贷款"}}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name string
			t    app.Template
			code string
		}{
			{"MarketingWithoutUnsubscribeHint", app.Template{Name: "促销", Kind: app.KindMarketing, Content: "全场八折，欢迎光临"}, app.ETEMPLATE_CHECK},
			{"SignatureInContent", app.Template{Name: "x", Kind: app.KindNotice, Content: "【某单位】你好"}, app.ETEMPLATE_CHECK},
			{"BadVariable", app.Template{Name: "x", Kind: app.KindNotice, Content: "你好${1abc}"}, app.ETEMPLATE_CHECK},
			{"UnclosedVariable", app.Template{Name: "x", Kind: app.KindNotice, Content: "你好${name"}, app.ETEMPLATE_CHECK},
			{"RuleForAbsentVariable", app.Template{Name: "x", Kind: app.KindNotice, Content: "你好${name}", Vars: map[string]app.VarRule{"age": {}}}, app.ETEMPLATE_CHECK},
			{"CodeWithoutVariable", app.Template{Name: "x", Kind: app.KindCode, Content: "你的验证码"}, app.ETEMPLATE_CHECK},
			{"TooLongWhenFilled", app.Template{Name: "x", Kind: app.KindNotice, Content: strings.Repeat("长", 470) + "${a}${b}"}, app.ETEMPLATE_CHECK},
			{"BlockedWordSpacedOut", app.Template{Name: "x", Kind: app.KindNotice, Content: "代开发 票，联系${name}"}, app.ESENSITIVE_WORD},
			{"UnknownKind", app.Template{Name: "x", Kind: "ads", Content: "你好"}, app.EINVALID},
		} {
			t.Run(tt.name, func(t *testing.T) {
				tpl := tt.t
				wantCode(t, db.CreateTemplate(ctx, reviewer, &tpl), tt.code)
			})
		}
		ok := mustTemplate(t, db, reviewer, &app.Template{Name: "促销", Kind: app.KindMarketing,
			Content: "低息贷款详见 www.example.com ，拒收请回复R"})
		if len(ok.Notes) != 2 {
			t.Fatalf("notes for the reviewer = %q, want the reviewable word and the link", ok.Notes)
		}
	})
}

// TestSignatureReview pins signatures submitted by departments and reviewed.
func TestSignatureReview(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	MustDepartments(t, path)
	admin := &app.Principal{UserID: 20, DepartmentID: deptA, Role: app.RoleDeptAdmin}
	s := &app.Signature{Name: "一处"}
	if err := db.SubmitSignature(ctx, admin, s); err != nil {
		t.Fatal(err)
	}
	op := &app.Principal{UserID: 31, DepartmentID: deptA1, Role: app.RoleOperator}
	_, err := db.Send(ctx, op, &app.SendRequest{To: numbers(0, 1), Content: "【一处】通知"})
	wantCode(t, err, app.ESIGNATURE_NOT_APPROVED)
	_, err = db.ReviewSignature(ctx, admin, s.ID, &app.Review{Decision: "approve"})
	wantCode(t, err, app.EFORBIDDEN)
	if _, err := db.ReviewSignature(ctx, reviewer, s.ID, &app.Review{Decision: "approve"}); err != nil {
		t.Fatal(err)
	}
	MustSend(t, db, op, &app.SendRequest{To: numbers(0, 1), Content: "【一处】通知"})
	list, err := db.FindSignatures(ctx, op, app.SignatureFilter{ForSending: true})
	if err != nil || len(list) != 1 || list[0].Name != "一处" {
		t.Fatalf("signatures the sub-department sees: %v, %v", list, err)
	}
	wantField(t, db.SubmitSignature(ctx, admin, &app.Signature{Name: "【坏】"}), "name")
	wantCode(t, db.SubmitSignature(ctx, admin, &app.Signature{Name: "一处"}), app.ECONFLICT)
}

// TestResendTemplated: 失败重发 of a personalised templated batch sends each
// number its own text again, even from a department that may send only
// templates, and refuses numbers that did not fail.
func TestResendTemplated(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	MustSignature(t, db)
	MustDepartments(t, path)
	if _, err := MustRawDB(t, path).Exec(`update departments set templates_only = 1 where id = ?`, deptA); err != nil {
		t.Fatal(err)
	}
	op := &app.Principal{UserID: 21, DepartmentID: deptA, Role: app.RoleOperator, TemplatesOnly: true}
	tpl := mustTemplate(t, db, reviewer, &app.Template{Name: "提醒", Kind: app.KindNotice, Content: "${name}您好"})
	mustReview(t, db, tpl.ID, "approve", "")
	res := MustSend(t, db, op, &app.SendRequest{To: numbers(0, 3), TemplateID: tpl.ID, PerNumber: map[string]map[string]string{
		numbers(0, 3)[0]: {"name": "张三"}, numbers(0, 3)[1]: {"name": "李四"}, numbers(0, 3)[2]: {"name": "王五"}}})
	_, err := db.Send(ctx, op, &app.SendRequest{To: numbers(0, 1), Content: text("自由文本")})
	wantCode(t, err, app.EFORBIDDEN)

	// The first two fail at the SMSC.
	jobs := MustClaimAll(t, db)
	var outcomes []app.Outcome
	for _, m := range jobs[0].Messages[:2] {
		outcomes = append(outcomes, app.Outcome{MessageID: m.ID, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x45", At: at})
	}
	for _, m := range jobs[0].Messages[2:] {
		outcomes = append(outcomes, app.Outcome{MessageID: m.ID, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"x"}, At: at})
	}
	if err := db.Record(ctx, outcomes, []string{jobs[0].ID}); err != nil {
		t.Fatal(err)
	}
	again, err := db.Send(ctx, op, &app.SendRequest{To: numbers(0, 3), ResendOf: res.BatchID})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Messages) != 2 || len(again.Rejected) != 1 || again.Rejected[0].To != numbers(0, 3)[2] {
		t.Fatalf("resent %d, rejected %+v", len(again.Messages), again.Rejected)
	}
	for i, want := range []string{"【测试单位】张三您好", "【测试单位】李四您好"} {
		if m := MustFind(t, db, again.Messages[i].ID); m.Content != want {
			t.Fatalf("resent text %q, want %q", m.Content, want)
		}
	}
	other := &app.Principal{UserID: 41, DepartmentID: deptB, Role: app.RoleOperator}
	_, err = db.Send(ctx, other, &app.SendRequest{To: numbers(0, 1), ResendOf: res.BatchID})
	wantCode(t, err, app.ENOTFOUND)
}

// TestResendFreeTextObeysFreeTextRules (issue 14, item 17): 失败重发 of a
// free-text batch is sending free text, refused to a caller that may send
// only templates (a templated batch still resends, TestResendTemplated).
func TestResendFreeTextObeysFreeTextRules(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	MustSignature(t, db)
	MustDepartments(t, path)
	op := &app.Principal{UserID: 21, DepartmentID: deptA, Role: app.RoleOperator}
	res := MustSend(t, db, op, &app.SendRequest{To: numbers(0, 2), Content: text("自由文本")})
	jobs := MustClaimAll(t, db)
	var outcomes []app.Outcome
	for _, m := range jobs[0].Messages {
		outcomes = append(outcomes, app.Outcome{MessageID: m.ID, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x45", At: at})
	}
	if err := db.Record(ctx, outcomes, []string{jobs[0].ID}); err != nil {
		t.Fatal(err)
	}
	templatesOnly := *op
	templatesOnly.TemplatesOnly = true
	_, err := db.Send(ctx, &templatesOnly, &app.SendRequest{To: numbers(0, 2), ResendOf: res.BatchID})
	wantCode(t, err, app.EFORBIDDEN)
	if _, err := db.Send(ctx, op, &app.SendRequest{To: numbers(0, 2), ResendOf: res.BatchID}); err != nil {
		t.Fatalf("a caller that may send free text resends it: %v", err)
	}
}
