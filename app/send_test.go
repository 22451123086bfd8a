package app

import (
	"strings"
	"testing"
	"time"
)

// lookup is the send policy's stored data as maps: the test double of the
// store (app cannot open SQLite). calls counts what the policy asked.
type lookup struct {
	earlier    map[string]*SendResult
	words      []WordList
	templates  map[int64]*Template
	signatures map[string]bool // approved for the caller
	defaultSig string          // "" : none
	failed     map[int64]map[string]string
	failedText string
	black      map[string]bool
	groups     map[int64][]*Contact // the groups the caller sees
	contacts   map[int64]*Contact   // the contacts the caller sees
	codes      []ExtCode            // extension codes on the platform
	calls      map[string]int
}

func (l *lookup) called(name string) {
	if l.calls == nil {
		l.calls = map[string]int{}
	}
	l.calls[name]++
}

func (l *lookup) EarlierSend(ref string) (*SendResult, error) {
	l.called("EarlierSend")
	if r, ok := l.earlier[ref]; ok {
		return r, nil
	}
	return nil, Errorf(ENOTFOUND, "no batch")
}

func (l *lookup) Words() (*Matcher, error) { l.called("Words"); return NewMatcher(l.words), nil }

func (l *lookup) Template(id int64) (*Template, error) {
	l.called("Template")
	if t, ok := l.templates[id]; ok {
		return t, nil
	}
	return nil, Errorf(ENOTFOUND, "模板不存在")
}

func (l *lookup) SignatureApproved(name string) error {
	l.called("SignatureApproved")
	if !l.signatures[name] {
		e := Errorf(ESIGNATURE_NOT_APPROVED, "签名【%s】未审核通过", name)
		e.Details = map[string]any{"field": "signature"}
		return e
	}
	return nil
}

func (l *lookup) DefaultSignature() (string, error) {
	l.called("DefaultSignature")
	if l.defaultSig == "" {
		return "", Errorf(ESIGNATURE_NOT_APPROVED, "本部门没有已审核的默认签名")
	}
	return l.defaultSig, nil
}

func (l *lookup) FailedTexts(batch int64) (string, map[string]string, error) {
	l.called("FailedTexts")
	if t, ok := l.failed[batch]; ok {
		return l.failedText, t, nil
	}
	return "", nil, Errorf(ENOTFOUND, "原批次没有可重发的失败号码")
}

func (l *lookup) ExtCodes(ext string) ([]ExtCode, error) {
	l.called("ExtCodes")
	var out []ExtCode
	for _, c := range l.codes {
		if strings.HasPrefix(ext, c.Code) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (l *lookup) Blacklisted(phones []string) (map[string]bool, error) {
	l.called("Blacklisted")
	out := map[string]bool{}
	for _, p := range phones {
		if l.black[p] {
			out[p] = true
		}
	}
	return out, nil
}

func (l *lookup) Recipients(groupIDs, contactIDs []int64) ([]*Contact, error) {
	l.called("Recipients")
	var out []*Contact
	for i, g := range groupIDs {
		members, ok := l.groups[g]
		if !ok {
			return nil, FieldError("group_ids["+string(rune('0'+i))+"]", "分组 %d 不存在", g)
		}
		out = append(out, members...)
	}
	for i, id := range contactIDs {
		c, ok := l.contacts[id]
		if !ok {
			return nil, FieldError("contact_ids["+string(rune('0'+i))+"]", "联系人 %d 不存在", id)
		}
		out = append(out, c)
	}
	return out, nil
}

// world is the stored data most cases share: the signature 示例单位, a
// blocking and a reviewable word list, three templates and a blacklist.
func world() *lookup {
	rule := map[string]VarRule{"code": {Type: VarDigits, MaxLen: 6}}
	return &lookup{
		earlier: map[string]*SendResult{"ref-1": {BatchID: 7, Duplicate: true}},
		words: []WordList{{Name: "违禁", Action: WordBlock, Words: []string{"赌博"}},
			{Name: "营销", Action: WordReview, Words: []string{"优惠"}}},
		templates: map[int64]*Template{
			1: {ID: 1, Status: ReviewApproved, LiveContent: "验证码${code}，5分钟内有效。", LiveVars: rule, LiveVersion: 1},
			2: {ID: 2, Status: ReviewPending, Content: "待审${code}", Vars: rule, Version: 1},
			4: {ID: 4, Status: ReviewApproved, LiveContent: "${name}您好，请于${time}到${单位}开会。", LiveVersion: 1,
				LiveVars: map[string]VarRule{"name": {Type: VarText, MaxLen: 20}, "time": {Type: VarText, MaxLen: 20}, "单位": {Type: VarText, MaxLen: 20}}},
			3: {ID: 3, Status: ReviewRejected, Reason: "用语不规范", Content: "驳回${code}", Vars: rule, Version: 1},
		},
		signatures: map[string]bool{"示例单位": true},
		defaultSig: "示例单位",
		failed:     map[int64]map[string]string{9: {"13800138001": "【示例单位】第一条", "13800138002": "【示例单位】第二条"}},
		failedText: "【示例单位】原批次",
		black:      map[string]bool{"13800138003": true},
		groups: map[int64][]*Contact{
			1: {{ID: 1, Name: "张三", Phone: "13900139001", Company: "一局"}, {ID: 2, Name: "李四", Phone: "13900139002", Company: "二局"}},
			2: {{ID: 2, Name: "李四", Phone: "13900139002", Company: "二局"}, {ID: 3, Name: "王五", Phone: "13800138003"}},
			3: {},
		},
		contacts: map[int64]*Contact{4: {ID: 4, Name: "赵六", Phone: "13800138000"}},
	}
}

var (
	now      = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	operator = &Principal{UserID: 5, DepartmentID: 2, Role: RoleOperator, Ext: "12"}
	freeApp  = &Principal{UserID: 5, DepartmentID: 2, APIKeyID: 8, Role: RoleOperator, Scopes: []string{ScopeSend}, AllowFreeText: true}
)

// TestPlanSend is the send policy as a table: each rule that refuses a
// request, with the code and field it answers, and what an accepted
// request becomes.
func TestPlanSend(t *testing.T) {
	text := "【示例单位】您好，会议改在周五。"
	tests := []struct {
		name  string
		p     *Principal
		req   SendRequest
		edit  func(*lookup)
		code  string // "" : planned
		field string
		check func(*testing.T, *SendPlan, *lookup)
	}{
		{name: "RefusesAppWithoutSendScope", p: &Principal{APIKeyID: 8, Scopes: []string{"query"}},
			req: SendRequest{To: []string{"13800138000"}, Content: text}, code: EFORBIDDEN},
		{name: "RefusesNoNumbers", p: operator, req: SendRequest{Content: text}, code: EINVALID, field: "to"},
		{name: "RefusesTooLongExt", p: operator, req: SendRequest{To: []string{"13800138000"}, Content: text, Ext: "12345678901"},
			code: EINVALID, field: "ext"},
		{name: "RepeatedClientRefAnswersAsFirstTime", p: freeApp,
			req: SendRequest{To: []string{"bad"}, Content: text + "赌博", ClientRef: "ref-1"},
			check: func(t *testing.T, plan *SendPlan, l *lookup) {
				if plan.Earlier == nil || plan.Earlier.BatchID != 7 || plan.Messages != nil {
					t.Errorf("plan %+v, want the earlier answer alone", plan)
				}
				if l.calls["Words"] != 0 || l.calls["Blacklisted"] != 0 {
					t.Errorf("looked up %v after finding the earlier answer", l.calls)
				}
			}},
		{name: "ConsoleUserHasNoClientRefs", p: operator,
			req: SendRequest{To: []string{"13800138000"}, Content: text, ClientRef: "ref-1"},
			check: func(t *testing.T, plan *SendPlan, l *lookup) {
				if plan.Earlier != nil || l.calls["EarlierSend"] != 0 {
					t.Errorf("a console send looked for an earlier answer")
				}
			}},
		{name: "RefusesSendAtTooFarAhead", p: operator,
			req:  SendRequest{To: []string{"13800138000"}, Content: text, SendAt: now.Add(MaxSchedule + time.Hour)},
			code: EINVALID, field: "send_at"},
		{name: "ScheduledBatchWaits", p: operator,
			req: SendRequest{To: []string{"13800138000"}, Content: text, SendAt: now.Add(time.Hour)},
			check: func(t *testing.T, plan *SendPlan, _ *lookup) {
				if plan.Status != StatusAccepted || plan.Delay != time.Hour || !plan.Batch.SendAt.Equal(now.Add(time.Hour)) {
					t.Errorf("status %s delay %s send_at %s", plan.Status, plan.Delay, plan.Batch.SendAt)
				}
			}},
		{name: "SendAtWithinASecondIsNow", p: operator,
			req: SendRequest{To: []string{"13800138000"}, Content: text, SendAt: now.Add(500 * time.Millisecond)},
			check: func(t *testing.T, plan *SendPlan, _ *lookup) {
				if plan.Status != StatusQueued || plan.Delay != 0 || !plan.Batch.SendAt.IsZero() {
					t.Errorf("status %s delay %s", plan.Status, plan.Delay)
				}
			}},
		{name: "RefusesFreeTextFromTemplateApp", p: &Principal{APIKeyID: 8, Scopes: []string{ScopeSend}},
			req: SendRequest{To: []string{"13800138000"}, Content: text}, code: EFORBIDDEN},
		{name: "RefusesFreeTextFromTemplatesOnlyDepartment", p: &Principal{UserID: 5, TemplatesOnly: true},
			req: SendRequest{To: []string{"13800138000"}, Content: text}, code: EFORBIDDEN},
		{name: "RefusesFreeTextWithoutSignature", p: operator,
			req: SendRequest{To: []string{"13800138000"}, Content: "您好，会议改在周五。"}, code: EINVALID, field: "content"},
		{name: "RefusesFreeTextWithUnapprovedSignature", p: operator,
			req: SendRequest{To: []string{"13800138000"}, Content: "【别的单位】您好"}, code: ESIGNATURE_NOT_APPROVED, field: "content"},
		{name: "RefusesBlockedWord", p: operator,
			req: SendRequest{To: []string{"13800138000"}, Content: text + "赌博"}, code: ESENSITIVE_WORD},
		{name: "HoldsReviewableWordForReviewer", p: operator,
			req: SendRequest{To: []string{"13800138000"}, Content: text + "优惠"},
			check: func(t *testing.T, plan *SendPlan, _ *lookup) {
				if plan.Status != StatusAccepted || plan.Batch.Review != ReviewPending || !strings.Contains(plan.Batch.ReviewNote, "优惠") {
					t.Errorf("status %s review %q note %q", plan.Status, plan.Batch.Review, plan.Batch.ReviewNote)
				}
			}},
		{name: "RefusesBadAndRepeatedNumbersOneByOne", p: operator,
			req: SendRequest{To: []string{"138 0013 8000", "12345", "+8613800138000", "13300138000"}, Content: text},
			check: func(t *testing.T, plan *SendPlan, _ *lookup) {
				if len(plan.Messages) != 2 || plan.Messages[0].To != "13800138000" || plan.Messages[1].To != "13300138000" {
					t.Fatalf("messages %+v", plan.Messages)
				}
				if plan.Messages[0].Carrier != CarrierMobile || plan.Messages[1].Carrier != CarrierTelecom {
					t.Errorf("carriers %s %s", plan.Messages[0].Carrier, plan.Messages[1].Carrier)
				}
				rej := plan.Batch.Rejected
				if len(rej) != 2 || rej[0].To != "12345" || rej[0].Code != EINVALID_NUMBER || rej[1].Code != EDUPLICATE {
					t.Errorf("rejected %+v", rej)
				}
				if plan.Batch.Total != 4 || plan.Batch.Accepted != 2 || plan.Batch.Ext != "12" {
					t.Errorf("batch %+v", plan.Batch)
				}
			}},
		{name: "RefusesRequestWithNoValidNumber", p: operator,
			req: SendRequest{To: []string{"12345", "abc"}, Content: text}, code: EINVALID, field: "to"},
		{name: "BlacklistedNumberRejectedAtOnce", p: operator,
			req: SendRequest{To: []string{"13800138000", "13800138003"}, Content: text},
			check: func(t *testing.T, plan *SendPlan, _ *lookup) {
				if len(plan.Messages) != 2 || plan.Messages[1].Code != EBLACKLIST || plan.Messages[0].Code != "" {
					t.Fatalf("messages %+v", plan.Messages)
				}
				if plan.Batch.Accepted != 1 || plan.Sendable() != 1 || len(plan.Batch.Rejected) != 1 || plan.Batch.Rejected[0].Code != EBLACKLIST {
					t.Errorf("accepted %d rejected %+v", plan.Batch.Accepted, plan.Batch.Rejected)
				}
			}},
		{name: "CountsSegmentsOfLongText", p: operator,
			req: SendRequest{To: []string{"13800138000"}, Content: text + strings.Repeat("长", 70)},
			check: func(t *testing.T, plan *SendPlan, _ *lookup) {
				if plan.Batch.Segments != 2 || plan.Messages[0].Segments != 2 {
					t.Errorf("segments %d / %d, want 2", plan.Batch.Segments, plan.Messages[0].Segments)
				}
			}},
		{name: "ChargesOnlyTheMessagesThatGoOut", p: operator,
			req: SendRequest{To: []string{"13800138000", "13800138003", "13800138001", "bad"}, Content: text + strings.Repeat("长", 70)},
			check: func(t *testing.T, plan *SendPlan, _ *lookup) {
				if plan.Charge != 4 { // two sendable messages of two segments; the blacklisted and the invalid cost nothing
					t.Errorf("charge %d, want 4", plan.Charge)
				}
			}},
		{name: "RefusesUnknownTemplate", p: operator,
			req: SendRequest{To: []string{"13800138000"}, TemplateID: 99, Params: map[string]string{"code": "1"}}, code: ENOTFOUND},
		{name: "RefusesPendingTemplate", p: operator,
			req:  SendRequest{To: []string{"13800138000"}, TemplateID: 2, Params: map[string]string{"code": "1"}},
			code: ETEMPLATE_NOT_APPROVED, field: "template_id"},
		{name: "RefusesRejectedTemplateWithReason", p: operator,
			req:  SendRequest{To: []string{"13800138000"}, TemplateID: 3, Params: map[string]string{"code": "1"}},
			code: ETEMPLATE_NOT_APPROVED, field: "template_id"},
		{name: "FillsTemplateWithDefaultSignature", p: operator,
			req: SendRequest{To: []string{"13800138000"}, TemplateID: 1, Params: map[string]string{"code": "123456"}},
			check: func(t *testing.T, plan *SendPlan, _ *lookup) {
				if plan.Batch.Content != "【示例单位】验证码123456，5分钟内有效。" || plan.TemplateID != 1 || plan.Messages[0].Content != "" {
					t.Errorf("content %q template %d", plan.Batch.Content, plan.TemplateID)
				}
			}},
		{name: "RefusesUnapprovedNamedSignature", p: operator,
			req:  SendRequest{To: []string{"13800138000"}, TemplateID: 1, Params: map[string]string{"code": "1"}, Signature: "别的单位"},
			code: ESIGNATURE_NOT_APPROVED, field: "signature"},
		{name: "RefusesTemplateWithoutDefaultSignature", p: operator, edit: func(l *lookup) { l.defaultSig = "" },
			req:  SendRequest{To: []string{"13800138000"}, TemplateID: 1, Params: map[string]string{"code": "1"}},
			code: ESIGNATURE_NOT_APPROVED},
		{name: "RefusesBadParam", p: operator,
			req:  SendRequest{To: []string{"13800138000"}, TemplateID: 1, Params: map[string]string{"code": "12a"}},
			code: EPARAM_INVALID},
		{name: "PersonalisedBatchRefusesNumbersWhoseValuesFail", p: operator,
			req: SendRequest{To: []string{"13800138000", "13800138001"}, TemplateID: 1,
				PerNumber: map[string]map[string]string{"13800138000": {"code": "111"}, "13800138001": {"code": "x"}}},
			check: func(t *testing.T, plan *SendPlan, _ *lookup) {
				if len(plan.Messages) != 1 || plan.Messages[0].Content != "【示例单位】验证码111，5分钟内有效。" {
					t.Fatalf("messages %+v", plan.Messages)
				}
				if rej := plan.Batch.Rejected; len(rej) != 1 || rej[0].Code != EPARAM_INVALID {
					t.Errorf("rejected %+v", rej)
				}
			}},
		{name: "PersonalisedBatchAllFailingAnswersParamCode", p: operator,
			req: SendRequest{To: []string{"13800138000"}, TemplateID: 1,
				PerNumber: map[string]map[string]string{"13800138000": {}}},
			code: EPARAM_MISSING, field: "params"},
		{name: "RefusesParamsForNumberNotSentTo", p: operator,
			req: SendRequest{To: []string{"13800138000"}, TemplateID: 1,
				PerNumber: map[string]map[string]string{"13800138000": {"code": "1"}, "13900139000": {"code": "2"}}},
			code: EINVALID, field: "params"},
		{name: "ResendGivesEachNumberItsText", p: operator,
			req: SendRequest{To: []string{"13800138001", "13800138002", "13800138005"}, ResendOf: 9},
			check: func(t *testing.T, plan *SendPlan, _ *lookup) {
				if len(plan.Messages) != 2 || plan.Messages[0].Content != "【示例单位】第一条" || plan.Messages[1].Content != "【示例单位】第二条" {
					t.Fatalf("messages %+v", plan.Messages)
				}
				if rej := plan.Batch.Rejected; len(rej) != 1 || rej[0].To != "13800138005" || rej[0].Code != EINVALID_NUMBER {
					t.Errorf("rejected %+v", rej)
				}
				if plan.Batch.Content != "【示例单位】原批次" || plan.Batch.ResendOf != 9 {
					t.Errorf("batch %+v", plan.Batch)
				}
			}},
		{name: "ResendRefusesWordBlockedSince", p: operator,
			edit: func(l *lookup) { l.failed[9]["13800138001"] = "【示例单位】赌博" },
			req:  SendRequest{To: []string{"13800138001"}, ResendOf: 9}, code: ESENSITIVE_WORD, field: "content"},
		{name: "ResendOfBatchWithoutFailures", p: operator,
			req: SendRequest{To: []string{"13800138001"}, ResendOf: 4}, code: ENOTFOUND},
		{name: "BooksAddTheirNumbersOnce", p: operator,
			req: SendRequest{To: []string{"139 0013 9001"}, GroupIDs: []int64{1, 2}, ContactIDs: []int64{4}, Content: text},
			check: func(t *testing.T, plan *SendPlan, l *lookup) {
				var got []string
				for _, m := range plan.Messages {
					got = append(got, m.To+m.Code)
				}
				if strings.Join(got, ",") != "13900139001,13900139002,13800138003EBLACKLIST,13800138000" {
					t.Errorf("messages %v", got)
				}
				if plan.Batch.Total != 4 || len(plan.Batch.Rejected) != 1 || l.calls["Recipients"] != 1 {
					t.Errorf("batch %+v, calls %v", plan.Batch, l.calls)
				}
			}},
		{name: "NoBooksNoLookup", p: operator, req: SendRequest{To: []string{"13800138000"}, Content: text},
			check: func(t *testing.T, plan *SendPlan, l *lookup) {
				if l.calls["Recipients"] != 0 {
					t.Errorf("address books looked up for a plain send")
				}
			}},
		{name: "UnseenGroupNamed", p: operator, req: SendRequest{GroupIDs: []int64{1, 9}, Content: text},
			code: EINVALID, field: "group_ids[1]"},
		{name: "UnseenContactNamed", p: operator, req: SendRequest{ContactIDs: []int64{7}, Content: text},
			code: EINVALID, field: "contact_ids[0]"},
		{name: "EmptyGroupHasNoNumber", p: operator, req: SendRequest{GroupIDs: []int64{3}, Content: text},
			code: EINVALID, field: "group_ids"},
		{name: "ContactsFillTheTemplate", p: operator,
			req: SendRequest{To: []string{"13700137000"}, GroupIDs: []int64{1}, TemplateID: 4, Params: map[string]string{"time": "周五"}},
			check: func(t *testing.T, plan *SendPlan, l *lookup) {
				if len(plan.Messages) != 2 || plan.Messages[0].Content != "【示例单位】张三您好，请于周五到一局开会。" ||
					plan.Messages[1].Content != "【示例单位】李四您好，请于周五到二局开会。" {
					t.Errorf("messages %+v", plan.Messages)
				}
				if len(plan.Batch.Rejected) != 1 || plan.Batch.Rejected[0].To != "13700137000" || plan.Batch.Rejected[0].Code != EPARAM_MISSING {
					t.Errorf("a typed number without values: %+v", plan.Batch.Rejected)
				}
			}},
		{name: "RequestValuesWinOverTheContact", p: operator,
			req: SendRequest{GroupIDs: []int64{1}, TemplateID: 4, Params: map[string]string{"time": "周五", "name": "同志"}},
			check: func(t *testing.T, plan *SendPlan, l *lookup) {
				if plan.Messages[0].Content != "【示例单位】同志您好，请于周五到一局开会。" {
					t.Errorf("messages %+v", plan.Messages)
				}
			}},
		{name: "BlankValuesLeaveTheContacts", p: operator,
			req: SendRequest{GroupIDs: []int64{1}, TemplateID: 4, Params: map[string]string{"time": "周五", "name": ""}},
			check: func(t *testing.T, plan *SendPlan, l *lookup) {
				if plan.Messages[0].Content != "【示例单位】张三您好，请于周五到一局开会。" {
					t.Errorf("messages %+v", plan.Messages)
				}
			}},
		{name: "PerNumberValuesAndContacts", p: operator,
			req: SendRequest{GroupIDs: []int64{1}, TemplateID: 4, PerNumber: map[string]map[string]string{"13900139001": {"time": "周一"}, "13900139002": {"time": "周二", "单位": "三局"}}},
			check: func(t *testing.T, plan *SendPlan, l *lookup) {
				if plan.Messages[0].Content != "【示例单位】张三您好，请于周一到一局开会。" || plan.Messages[1].Content != "【示例单位】李四您好，请于周二到三局开会。" {
					t.Errorf("messages %+v", plan.Messages)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := world()
			if tc.edit != nil {
				tc.edit(l)
			}
			plan, err := PlanSend(&tc.req, tc.p, now, l)
			if tc.code != "" {
				if got := ErrorCode(err); got != tc.code {
					t.Fatalf("error %v (code %s), want %s", err, got, tc.code)
				}
				var field any
				if e, ok := err.(*Error); ok && e.Details != nil {
					field = e.Details["field"]
				}
				if tc.field != "" && field != tc.field {
					t.Errorf("field %v, want %s", field, tc.field)
				}
				if plan != nil {
					t.Errorf("a refused request has a plan: %+v", plan)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			for name, n := range l.calls {
				if n > 1 {
					t.Errorf("%s looked up %d times", name, n)
				}
			}
			if tc.check != nil {
				tc.check(t, plan, l)
			}
		})
	}
}

// TestPlanSendRejectedTemplateNamesReason: a rejected template's error says
// why the reviewer refused it.
func TestPlanSendRejectedTemplateNamesReason(t *testing.T) {
	_, err := PlanSend(&SendRequest{To: []string{"13800138000"}, TemplateID: 3, Params: map[string]string{"code": "1"}}, operator, now, world())
	if !strings.Contains(ErrorMessage(err), "用语不规范") {
		t.Errorf("error %v does not name the reason", err)
	}
}
