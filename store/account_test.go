package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"smsgw/app"
	"smsgw/store"
)

// admin is a console system administrator of the root department.
var admin = &app.Principal{UserID: 1, DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin}

func mustTopUp(t *testing.T, db *store.DB, dept, segs int64) {
	t.Helper()
	if _, err := db.TopUp(context.Background(), admin, dept, segs, "测试充值"); err != nil {
		t.Fatalf("top up %d: %v", dept, err)
	}
}

func balanceOf(t *testing.T, db *store.DB, dept int64) int64 {
	t.Helper()
	a, err := db.Account(context.Background(), admin, dept)
	if err != nil {
		t.Fatalf("account %d: %v", dept, err)
	}
	return a.Balance
}

// ledgerSum is the sum of a kind's entries (all kinds when "").
func ledgerSum(t *testing.T, raw *sql.DB, kind string) int {
	t.Helper()
	return count(t, raw, `select coalesce(sum(segments), 0) from ledger where kind = ? or ? = ''`, kind, kind)
}

func TestSendDrawsOnTheNearestAccount(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	MustSignature(t, db)
	MustDepartment(t, raw, 2, 1, "分部")
	MustDepartment(t, raw, 3, 2, "科室")
	sub := MustAPIKey(t, db, 3, app.RoleOperator)

	// Unmetered: sends pass, no ledger entry, but consumption counts.
	MustSend(t, db, sub, &app.SendRequest{To: numbers(0, 2), Content: text("不限额")})
	if n := count(t, raw, `select count(*) from ledger`); n != 0 {
		t.Errorf("an unmetered send wrote %d ledger entries", n)
	}
	if a, _ := db.Account(ctx, admin, 3); !a.Unmetered() || a.MonthUsed != 2 {
		t.Errorf("unmetered account %+v; want unmetered, month used 2", a)
	}

	// The root's account pays for the whole tree until 2 has its own.
	mustTopUp(t, db, app.RootDepartmentID, 5)
	MustSend(t, db, sub, &app.SendRequest{To: numbers(0, 3), Content: text("根账户")})
	if b := balanceOf(t, db, 3); b != 2 {
		t.Errorf("balance seen from 3: %d, want 2", b)
	}
	_, err := db.Send(ctx, sub, &app.SendRequest{To: numbers(10, 3), Content: text("透支")})
	wantCode(t, err, app.EQUOTA)
	var e *app.Error
	if errors.As(err, &e); e.Details["balance"] != int64(2) || e.Details["cost"] != int64(3) {
		t.Errorf("EQUOTA details %v", e.Details)
	}
	if n := count(t, raw, `select count(*) from messages where phone = ?`, numbers(10, 1)[0]); n != 0 {
		t.Errorf("an overdraw stored %d messages", n)
	}
	if err := db.Allocate(ctx, admin, 1, 2, 2, "划给分部"); err != nil {
		t.Fatal(err)
	}
	MustSend(t, db, sub, &app.SendRequest{To: numbers(20, 2), Content: text("分部账户")})
	if b1, b2 := balanceOf(t, db, 1), balanceOf(t, db, 2); b1 != 0 || b2 != 0 {
		t.Errorf("balances %d/%d, want 0/0", b1, b2)
	}
	// A blacklisted number is refused at accept and costs nothing.
	mustTopUp(t, db, 2, 1)
	if _, err := db.AddToBlacklist(ctx, admin, []*app.BlacklistEntry{{DepartmentID: app.GlobalBlacklist, Phone: numbers(30, 1)[0], Source: app.SourceManual}}); err != nil {
		t.Fatal(err)
	}
	MustSend(t, db, sub, &app.SendRequest{To: numbers(30, 2), Content: text("黑名单")})
	if b := balanceOf(t, db, 2); b != 0 {
		t.Errorf("balance %d after a send with a blacklisted number, want 0", b)
	}
	if got, want := -ledgerSum(t, raw, "debit"), count(t, raw, `select coalesce(sum(segments), 0) from messages where status != 'rejected' and batch_id in (select id from batches where paid_by != 0)`); got != want {
		t.Errorf("debits %d, accepted metered segments %d", got, want)
	}
}

func TestConcurrentSendsNeverOverdraw(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	p := MustSysadmin(t, db)
	mustTopUp(t, db, app.RootDepartmentID, 100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, quota := 0, 0
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := db.Send(ctx, p, &app.SendRequest{To: numbers(i*3, 3), Content: text("并发")})
			mu.Lock()
			defer mu.Unlock()
			switch app.ErrorCode(err) {
			case "":
				ok++
			case app.EQUOTA:
				quota++
			default:
				t.Errorf("send: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 33 || quota != 17 {
		t.Errorf("%d sent, %d refused; want 33 and 17", ok, quota)
	}
	if b := balanceOf(t, db, 1); b != 1 {
		t.Errorf("balance %d, want 1", b)
	}
	accepted := count(t, raw, `select coalesce(sum(segments), 0) from messages`)
	if debits := -ledgerSum(t, raw, "debit"); debits != accepted || accepted != 99 {
		t.Errorf("debits %d, accepted segments %d; want 99 and 99", debits, accepted)
	}
	if n := count(t, raw, `select count(*) from batches`); n != 33 {
		t.Errorf("%d batches stored, want 33 (a refused send stores nothing)", n)
	}
}

func TestRefunds(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	p := MustSysadmin(t, db)
	mustTopUp(t, db, app.RootDepartmentID, 100)

	t.Run("CancelledScheduledBatch", func(t *testing.T) {
		later := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 3), Content: text("定时"), SendAt: time.Now().Add(time.Hour)})
		before := balanceOf(t, db, 1)
		if _, err := db.CancelBatch(ctx, p, later.BatchID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CancelBatch(ctx, p, later.BatchID); err == nil {
			t.Log("second cancel accepted") // nothing left to cancel either way
		}
		if b := balanceOf(t, db, 1); b != before+3 {
			t.Errorf("balance %d after cancelling, want %d", b, before+3)
		}
		if n := count(t, raw, `select count(*) from ledger where kind = 'refund' and batch_id = ?`, later.BatchID); n != 1 {
			t.Errorf("%d refund entries, want 1", n)
		}
	})
	t.Run("ReviewerRejects", func(t *testing.T) {
		if err := db.SaveWordList(ctx, admin, app.WordList{Name: "金融", Action: app.WordReview, Words: []string{"贷款"}}); err != nil {
			t.Fatal(err)
		}
		held := MustSend(t, db, p, &app.SendRequest{To: numbers(10, 2), Content: text("贷款优惠")})
		before := balanceOf(t, db, 1)
		if _, err := db.ReviewBatch(ctx, admin, held.BatchID, &app.Review{Decision: "reject", Reason: "不予发送"}); err != nil {
			t.Fatal(err)
		}
		db.ReviewBatch(ctx, admin, held.BatchID, &app.Review{Decision: "reject", Reason: "再驳回"}) // answers an error; refunds nothing more
		if b := balanceOf(t, db, 1); b != before+2 {
			t.Errorf("balance %d after rejecting, want %d", b, before+2)
		}
	})
	t.Run("FailedAfterSubmitBySetting", func(t *testing.T) {
		fail := func() int64 {
			res := MustSend(t, db, p, &app.SendRequest{To: numbers(20, 1), Content: text("失败")})
			jobs := MustClaimAll(t, db)
			mustRecord(t, db, []app.Outcome{{MessageID: res.Messages[0].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: at}}, jobs[0].ID)
			// Repeated: the message is final, nothing changes.
			mustRecord(t, db, []app.Outcome{{MessageID: res.Messages[0].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: at}}, "")
			wantStatus(t, db, res.Messages[0].ID, app.StatusFailed)
			return res.BatchID
		}
		before := balanceOf(t, db, 1)
		fail()
		if b := balanceOf(t, db, 1); b != before-1 {
			t.Errorf("setting off: balance %d, want %d (no refund)", b, before-1)
		}
		if err := db.SetRefundFailed(ctx, admin, true); err != nil {
			t.Fatal(err)
		}
		if on, _ := db.RefundFailed(ctx); !on {
			t.Fatal("setting not on")
		}
		before = balanceOf(t, db, 1)
		batch := fail()
		if b := balanceOf(t, db, 1); b != before {
			t.Errorf("setting on: balance %d, want %d (refunded)", b, before)
		}
		if n := count(t, raw, `select count(*) from ledger where kind = 'refund' and batch_id = ?`, batch); n != 1 {
			t.Errorf("%d refund entries, want 1", n)
		}
		if err := db.SetRefundFailed(ctx, p, false); app.ErrorCode(err) != app.EFORBIDDEN {
			t.Errorf("an app without scope admin changing the setting: %v", err)
		}
	})
	if n := count(t, raw, `select count(*) from refund_pending`); n != 0 {
		t.Errorf("%d pending refunds left after the commits", n)
	}
	// Consumption: debited minus refunded equals the ledger's net debits.
	net := count(t, raw, `select sum(debited - refunded) from consumption`)
	if want := -(ledgerSum(t, raw, "debit") + ledgerSum(t, raw, "refund")); net != want {
		t.Errorf("consumption %d, ledger %d", net, want)
	}
}

func TestClientRefAndResendChargedOnce(t *testing.T) {
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	p := MustSysadmin(t, db)
	mustTopUp(t, db, app.RootDepartmentID, 10)
	req := &app.SendRequest{To: numbers(0, 2), Content: text("幂等"), ClientRef: "ref-1"}
	first := MustSend(t, db, p, req)
	again := MustSend(t, db, p, req)
	if !again.Duplicate || again.BatchID != first.BatchID || balanceOf(t, db, 1) != 8 {
		t.Errorf("repeat: duplicate %v, balance %d; want the first answer and 8", again.Duplicate, balanceOf(t, db, 1))
	}
	jobs := MustClaimAll(t, db)
	// A retry puts a message back to queued: no charge, no refund.
	mustRecord(t, db, []app.Outcome{{MessageID: first.Messages[0].ID, ChannelID: 1, Kind: app.OutcomeRetry, ErrorCode: app.ETIMEOUT, At: at}}, "")
	mustRecord(t, db, []app.Outcome{{MessageID: first.Messages[1].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: at}}, jobs[0].ID)
	if b := balanceOf(t, db, 1); b != 8 {
		t.Errorf("after a retry and a failure: balance %d, want 8", b)
	}
	// 失败重发 sends the failed number again: one more message, one charge.
	MustSend(t, db, p, &app.SendRequest{To: numbers(1, 1), Content: text("幂等"), ResendOf: first.BatchID})
	if b := balanceOf(t, db, 1); b != 7 {
		t.Errorf("after a resend: balance %d, want 7", b)
	}
	if n := count(t, raw, `select count(*) from ledger where kind = 'debit'`); n != 2 {
		t.Errorf("%d debits, want 2", n)
	}
}

func TestAccountPermissionsAndAllocation(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	MustDepartment(t, raw, 2, 1, "甲")
	MustDepartment(t, raw, 3, 2, "甲一")
	MustDepartment(t, raw, 4, 1, "乙")
	deptAdmin := &app.Principal{UserID: 7, DepartmentID: 2, Role: app.RoleDeptAdmin}
	operator := &app.Principal{UserID: 8, DepartmentID: 2, Role: app.RoleOperator}
	auditor := &app.Principal{UserID: 9, DepartmentID: 2, Role: app.RoleAuditor}

	_, err := db.TopUp(ctx, deptAdmin, 2, 10, "自己充")
	wantCode(t, err, app.EFORBIDDEN)
	_, err = db.TopUp(ctx, operator, 2, 10, "自己充")
	wantCode(t, err, app.EFORBIDDEN)
	_, err = db.TopUp(ctx, admin, 2, 10, "")
	wantField(t, err, "note")
	mustTopUp(t, db, 2, 10)
	mustTopUp(t, db, 4, 5)
	_, err = db.TopUp(ctx, admin, 4, -6, "冲正")
	wantField(t, err, "segments")
	if _, err := db.TopUp(ctx, admin, 4, -5, "冲正"); err != nil || balanceOf(t, db, 4) != 0 {
		t.Errorf("correction to 0: %v, balance %d", err, balanceOf(t, db, 4))
	}

	for _, who := range []*app.Principal{deptAdmin, operator, auditor} {
		_, err := db.Account(ctx, who, 4)
		wantCode(t, err, app.ENOTFOUND) // a sibling's account is as if missing
		_, _, err = db.Ledger(ctx, who, app.LedgerFilter{DepartmentID: 4})
		wantCode(t, err, app.ENOTFOUND)
	}
	_, err = db.Account(ctx, operator, 3)
	wantCode(t, err, app.ENOTFOUND)
	if a, err := db.Account(ctx, auditor, 3); err != nil || a.PaidBy != 2 || a.Balance != 10 {
		t.Errorf("auditor reading 3: %+v, %v", a, err)
	}

	// Allocation: only downwards, never more than held, two entries.
	wantCode(t, db.Allocate(ctx, operator, 2, 3, 1, ""), app.EFORBIDDEN)
	wantCode(t, db.Allocate(ctx, auditor, 2, 3, 1, ""), app.EFORBIDDEN)
	wantCode(t, db.Allocate(ctx, deptAdmin, 2, 4, 1, ""), app.ENOTFOUND)
	wantField(t, db.Allocate(ctx, deptAdmin, 3, 2, 1, ""), "to_department_id")
	wantCode(t, db.Allocate(ctx, deptAdmin, 2, 3, 11, ""), app.EQUOTA)
	if err := db.Allocate(ctx, deptAdmin, 2, 3, 4, "给科室"); err != nil {
		t.Fatal(err)
	}
	if b2, b3 := balanceOf(t, db, 2), balanceOf(t, db, 3); b2 != 6 || b3 != 4 {
		t.Errorf("after allocating: %d/%d, want 6/4", b2, b3)
	}
	list, _, err := db.Ledger(ctx, deptAdmin, app.LedgerFilter{Kind: app.LedgerAllocate})
	if err != nil || len(list) != 2 || list[0].Segments+list[1].Segments != 0 || list[0].Actor == "x" {
		t.Errorf("allocation entries %v, %v", list, err)
	}
	if err := db.SetLowBalance(ctx, deptAdmin, 3, 2); err != nil {
		t.Fatal(err)
	}
	if a, _ := db.Account(ctx, admin, 3); a.LowBalanceThreshold != 2 || a.Low() {
		t.Errorf("threshold %+v", a)
	}
	// A department with quota left is not deleted; corrected to 0, it is.
	wantCode(t, db.DeleteDepartment(ctx, admin, 3), app.ECONFLICT)
	if _, err := db.TopUp(ctx, admin, 3, -4, "收回"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDepartment(ctx, admin, 3); err != nil {
		t.Errorf("deleting a department with an empty account: %v", err)
	}
	all, _, _ := db.Ledger(ctx, deptAdmin, app.LedgerFilter{})
	for _, e := range all {
		if e.DepartmentID == 4 {
			t.Errorf("a department administrator sees a sibling's entry %+v", e)
		}
	}
}

// TestDeadJobRefunded: a message whose queue job died while it waited
// (queued: never sent) is refunded; one that died in submitting may have
// reached the SMSC, so it is refunded only with 失败退还 on.
func TestDeadJobRefunded(t *testing.T) {
	db, path := MustOpenDBPath(t)
	p := MustSysadmin(t, db)
	mustTopUp(t, db, app.RootDepartmentID, 10)
	res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 2), Content: text("毒丸")})
	MustClaimAll(t, db)
	db.Close()
	raw := MustRawDB(t, path)
	if _, err := raw.Exec(`update goqite set received = 20`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`update messages set status = 'queued' where id = ?`, res.Messages[0].ID); err != nil {
		t.Fatal(err)
	}
	db = MustReopenDB(t, path)
	wantStatus(t, db, res.Messages[0].ID, app.StatusFailed)
	wantStatus(t, db, res.Messages[1].ID, app.StatusFailed)
	if b := balanceOf(t, db, 1); b != 9 {
		t.Errorf("balance after the dead job: %d, want 9 (the queued message refunded, the submitting one not)", b)
	}
	if n := count(t, raw, `select count(*) from refund_pending`); n != 0 {
		t.Errorf("%d refunds left pending", n)
	}
}

// TestNeverSentAlwaysRefunded: a message no SMSC ever took is refunded
// whatever the setting, even when the engine gave up on it after claiming
// it (submitting): out of validity with no channel (EVALIDITY), or not
// encodable (EENCODE). One an SMSC refused is refunded by the setting.
func TestNeverSentAlwaysRefunded(t *testing.T) {
	db := MustOpenDB(t)
	p := MustSysadmin(t, db)
	mustTopUp(t, db, app.RootDepartmentID, 10)
	res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 3), Content: text("未发出")})
	jobs := MustClaimAll(t, db)
	mustRecord(t, db, []app.Outcome{
		{MessageID: res.Messages[0].ID, Kind: app.OutcomeExpired, ErrorCode: app.EVALIDITY, At: at},
		{MessageID: res.Messages[1].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: app.EENCODE, At: at},
		{MessageID: res.Messages[2].ID, ChannelID: 1, Kind: app.OutcomeFailed, ErrorCode: "SMPP_0x0B", At: at}}, jobs[0].ID)
	wantStatus(t, db, res.Messages[0].ID, app.StatusExpired)
	wantStatus(t, db, res.Messages[1].ID, app.StatusFailed)
	if b := balanceOf(t, db, 1); b != 9 {
		t.Errorf("balance %d, want 9: the two never sent refunded, the one the SMSC refused not (失败退还 off)", b)
	}
}

// TestResentThenDeadNotRefunded: a message that reached a carrier, was
// sent again after it came back undelivered (queued again) and then failed
// with its dead queue job went out: refunded only with 失败退还 on.
func TestResentThenDeadNotRefunded(t *testing.T) {
	for _, on := range []bool{false, true} {
		db, path := MustOpenDBPath(t)
		p := MustSysadmin(t, db)
		mustTopUp(t, db, app.RootDepartmentID, 10)
		if err := db.SetRefundFailed(context.Background(), admin, on); err != nil {
			t.Fatal(err)
		}
		res := MustSend(t, db, p, &app.SendRequest{To: numbers(0, 1), Content: text("重发")})
		MustClaimAll(t, db)
		mustRecord(t, db, []app.Outcome{{MessageID: res.Messages[0].ID, ChannelID: 1, Kind: app.OutcomeSubmitted, SMSCIDs: []string{"r0"}, At: at}}, "")
		db.Close()
		raw := MustRawDB(t, path)
		for _, q := range []string{`update messages set status = 'queued', resent = 1`, `update goqite set received = 20`} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		db = MustReopenDB(t, path)
		wantStatus(t, db, res.Messages[0].ID, app.StatusFailed)
		want := int64(9)
		if on {
			want = 10
		}
		if b := balanceOf(t, db, 1); b != want {
			t.Errorf("失败退还 %v: balance %d after the resent message's job died, want %d", on, b, want)
		}
	}
}

// TestSendAllChargedWhole: requests sent together (a console send of more
// numbers than one request carries) are charged as one: a balance short
// of the whole stores none of them and says what the whole needs.
func TestSendAllChargedWhole(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	p := MustSysadmin(t, db)
	mustTopUp(t, db, app.RootDepartmentID, 15)
	reqs := []*app.SendRequest{{To: numbers(0, 5), Content: text("分批")}, {To: numbers(5, 5), Content: text("分批")}, {To: numbers(10, 6), Content: text("分批")}}
	_, err := db.SendAll(ctx, p, reqs)
	wantCode(t, err, app.EQUOTA)
	if msg := app.ErrorMessage(err); msg != "余额不足：剩余 15 条，本次发送分 3 批共需 16 条，未发送" {
		t.Errorf("message %q", msg)
	}
	if b, n := balanceOf(t, db, 1), count(t, raw, `select count(*) from batches`); b != 15 || n != 0 {
		t.Errorf("after a refused whole: balance %d, %d batches; want 15 and none", b, n)
	}
	reqs[2].To = numbers(10, 5)
	res, err := db.SendAll(ctx, p, reqs)
	if err != nil || len(res) != 3 || res[2].BatchID == 0 {
		t.Fatalf("a covered whole: %v %v", res, err)
	}
	if b, n := balanceOf(t, db, 1), count(t, raw, `select count(*) from messages`); b != 0 || n != 15 {
		t.Errorf("after the whole: balance %d, %d messages; want 0 and 15", b, n)
	}
}

// TestAllocateWithoutOwnAccount: a department that draws on its parent's
// account has no quota of its own to give, and is told so (not "剩余 0 条").
func TestAllocateWithoutOwnAccount(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	MustDepartment(t, raw, 2, 1, "甲")
	MustDepartment(t, raw, 3, 2, "甲一")
	mustTopUp(t, db, app.RootDepartmentID, 10)
	err := db.Allocate(ctx, admin, 2, 3, 1, "")
	wantCode(t, err, app.EQUOTA)
	if msg := app.ErrorMessage(err); !strings.Contains(msg, "该部门没有独立额度") {
		t.Errorf("allocating from a department without its own account: %q", msg)
	}
}

// TestOperatorMonthUsedIsOwn: an operator's 本月已用 is its own sends',
// as its consumption is; an administrator's the department's.
func TestOperatorMonthUsedIsOwn(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	MustSignature(t, db)
	MustDepartment(t, raw, 2, 1, "甲")
	mustTopUp(t, db, 2, 10)
	one := MustAPIKey(t, db, 2, app.RoleOperator)
	other := MustAPIKey(t, db, 2, app.RoleOperator)
	one.Scopes, other.Scopes = append(one.Scopes, app.ScopeAccount), append(other.Scopes, app.ScopeAccount)
	MustSend(t, db, one, &app.SendRequest{To: numbers(0, 3), Content: text("本月")})
	for _, c := range []struct {
		who  *app.Principal
		want int64
	}{{one, 3}, {other, 0}, {admin, 3}} {
		a, err := db.Account(ctx, c.who, 2)
		if err != nil || a.MonthUsed != c.want {
			t.Errorf("%s %d: month used %+v %v, want %d", c.who.Role, c.who.APIKeyID, a, err, c.want)
		}
	}
}

// TestLedgerRowsInOrder: the rows a transaction leaves for its end get
// ids in the order of the balance changes, and a top-up answers its own.
func TestLedgerRowsInOrder(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	p := MustSysadmin(t, db)
	e, err := db.TopUp(ctx, admin, app.RootDepartmentID, 100, "第一笔")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			MustSend(t, db, p, &app.SendRequest{To: numbers(i*2, 2), Content: text("顺序")})
		}()
	}
	wg.Wait()
	e2, err := db.TopUp(ctx, admin, app.RootDepartmentID, 5, "第二笔")
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := db.Ledger(ctx, admin, app.LedgerFilter{Limit: 100})
	if err != nil || len(list) != 22 {
		t.Fatalf("ledger: %d entries, %v; want 22", len(list), err)
	}
	if list[0].ID != e2.ID || list[21].ID != e.ID || list[0].Note != "第二笔" || list[21].Note != "第一笔" {
		t.Errorf("top-ups answered ids %d and %d; the ledger has %d (%s) first and %d (%s) last", e.ID, e2.ID, list[21].ID, list[21].Note, list[0].ID, list[0].Note)
	}
	// Oldest first, each balance is the one before it plus the change.
	balance := int64(0)
	for i := len(list) - 1; i >= 0; i-- {
		balance += list[i].Segments
		if list[i].BalanceAfter != balance {
			t.Fatalf("entry %d (%s %d): balance after %d, want %d", list[i].ID, list[i].Kind, list[i].Segments, list[i].BalanceAfter, balance)
		}
	}
	if balance != 65 {
		t.Errorf("balance %d, want 65", balance)
	}
}

// TestRefundToMovedDepartmentsAccount: a sub-department's scheduled batch
// is paid by its parent's account; the sub-department moves away. The
// parent is not deleted while that batch is unfinished, and should its
// account be missing all the same, the cancel's refund makes it again
// rather than fail: unrelated sends committed together with the refund
// never fail with it (they did: the settle's error undid the whole group
// commit).
func TestRefundToMovedDepartmentsAccount(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpenDBPath(t)
	raw := MustRawDB(t, path)
	MustSignature(t, db)
	MustDepartment(t, raw, 2, 1, "分部")
	MustDepartment(t, raw, 3, 2, "科室")
	sub := MustAPIKey(t, db, 3, app.RoleOperator)
	other := MustAPIKey(t, db, 1, app.RoleOperator)
	mustTopUp(t, db, 2, 3)
	later := MustSend(t, db, sub, &app.SendRequest{To: numbers(0, 3), Content: text("定时"), SendAt: time.Now().Add(time.Hour)})
	root := int64(app.RootDepartmentID)
	if _, err := db.UpdateDepartment(ctx, admin, 3, &app.DepartmentUpdate{ParentID: &root}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteDepartment(ctx, admin, 2), app.ECONFLICT)
	if n := count(t, raw, `select count(*) from accounts where department_id = 2`); n != 1 {
		t.Fatalf("%d accounts of department 2 after the refused delete, want 1", n)
	}

	// The account gone anyway (edited by hand): the refund makes it again.
	if _, err := raw.Exec(`delete from accounts where department_id = 2`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []error
	var cancelErr error
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 100 {
				_, cancelErr = db.CancelBatch(ctx, sub, later.BatchID)
				return
			}
			if _, err := db.Send(ctx, other, &app.SendRequest{To: numbers(1000+i, 1), Content: text("无关")}); err != nil {
				mu.Lock()
				failed = append(failed, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if cancelErr != nil {
		t.Errorf("cancel of a batch whose paying account is missing: %v", cancelErr)
	}
	if len(failed) > 0 {
		t.Errorf("%d of 199 unrelated sends failed with the refund, first: %v", len(failed), failed[0])
	}
	if b := count(t, raw, `select balance from accounts where department_id = 2`); b != 3 {
		t.Errorf("department 2's account holds %d after the refund, want 3", b)
	}
	if n := count(t, raw, `select count(*) from ledger where kind = 'refund' and department_id = 2 and segments = 3`); n != 1 {
		t.Errorf("%d refund entries for department 2, want 1", n)
	}
	// Everything it paid for finished: now it may go.
	if err := db.DeleteDepartment(ctx, admin, 2); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("deleting department 2 with 3 segments left: %v, want ECONFLICT", err)
	}
	if _, err := db.TopUp(ctx, admin, 2, -3, "收回"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDepartment(ctx, admin, 2); err != nil {
		t.Errorf("deleting department 2 once its batch is done and its account empty: %v", err)
	}
}
