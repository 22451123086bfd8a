package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"smsgw/app"
)

// drillResult is the JSON line `bench crash-drill` prints.
type drillResult struct {
	Kills            int   `json:"kills"`
	Acked            int   `json:"acked"`             // messages the API answered 202 for
	Rows             int   `json:"rows"`              // messages in the database at the end
	UnackedCommitted int   `json:"unacked_committed"` // stored, but the client saw the kill instead of the answer
	Lost             int   `json:"lost"`              // acked but missing
	NotFinal         int   `json:"not_final"`         // acked but without a final status
	DuplicateRows    int   `json:"duplicate_rows"`    // numbers stored more than once
	SMSCDuplicates   int64 `json:"smsc_duplicates"`   // parts the simulators received twice
	// SMSCDupBound is the stated bound: at each kill, per channel, the
	// window in flight plus the answers not yet committed, which are at
	// most one record write's worth (TPS x recordGap): kills x channels x
	// (window + TPS x recordGap). With on_crash hold it is 0 before the
	// held messages are released.
	SMSCDupBound int64  `json:"smsc_dup_bound"`
	OnCrash      string `json:"on_crash"`
	// Held is how many messages the restarts held (on_crash hold);
	// HeldDuplicates how many parts the SMSC had twice once they were
	// released (sent again by the operator's choice).
	Held           int   `json:"held"`
	HeldDuplicates int64 `json:"held_duplicates"`
	Delivered      int   `json:"delivered"`
	// The quota ledger (issue 16): the drill runs metered, one call in ten
	// is held for a reviewer and rejected (refunded), and checkLedger
	// compares the ledger with the messages batch by batch.
	AcceptedSegments int64 `json:"accepted_segments"`
	LedgerDebited    int64 `json:"ledger_debited"`
	LedgerRefunded   int64 `json:"ledger_refunded"`
	BatchesRefunded  int64 `json:"batches_refunded"`
	Balance          int64 `json:"balance"`
	BalanceExpected  int64 `json:"balance_expected"`
	// Batch by batch (see checkLedger): how many batches, and how many
	// whose charge, debit or refunds do not match their messages.
	Batches    int64 `json:"batches"`
	BatchesOff int64 `json:"batches_off"`
	// The segments of the messages always refunded, and of those that
	// may have been (dead in the queue); whether 失败退还 was on.
	AlwaysRefunded int64 `json:"always_refunded"`
	MaybeRefunded  int64 `json:"maybe_refunded"`
	RefundFailedOn int64 `json:"refund_failed_on"`
	LedgerOK       bool  `json:"ledger_ok"`
}

// recordGap is the longest time stated between an SMSC's answer and its
// durable record: one group-commit write (a transaction and its fsync)
// under load, which the recorder starts as soon as it has answers.
const recordGap = 50 * time.Millisecond

func newCrashDrillCmd() *cobra.Command {
	o := benchOptions{Channels: 2, TPS: 2000, Window: 64, ReceiptDelay: 50 * time.Millisecond, Quota: drillQuota}
	var kills, clients int
	var seed uint64
	var maxUp time.Duration
	cmd := &cobra.Command{
		Use:   "crash-drill",
		Short: "Send under load, kill -9 the server at random moments, restart, and count what was lost or doubled",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kills < 0 || clients < 1 || maxUp <= 200*time.Millisecond {
				return errors.New("--kills must be at least 0, --clients at least 1, --max-up over 200ms")
			}
			var err error
			if o.ServerBin, err = serverBinary(cmd.Context(), o.ServerBin, cmd.ErrOrStderr()); err != nil {
				return err
			}
			res, err := crashDrill(cmd.Context(), o, kills, clients, seed, maxUp, cmd.ErrOrStderr())
			if res != nil {
				b, _ := json.Marshal(res)
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
			}
			if err == nil && (res.Lost > 0 || res.NotFinal > 0 || res.DuplicateRows > 0 || res.SMSCDuplicates > res.SMSCDupBound) {
				err = fmt.Errorf("the drill found loss or duplication")
			} else if err == nil && !res.LedgerOK {
				err = fmt.Errorf("the drill found the ledger off: debits or refunds do not match the messages")
			}
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&kills, "kills", 20, "how many times to kill -9 the server")
	f.IntVar(&clients, "clients", 4, "concurrent API clients")
	f.Uint64Var(&seed, "seed", uint64(time.Now().UnixNano()), "random seed (printed; reuse it to repeat a run)")
	f.DurationVar(&maxUp, "max-up", 3*time.Second, "longest time under load before a kill")
	f.StringVar(&o.Data, "data", "", "data folder (default: temporary)")
	f.StringVar((*string)(&o.OnCrash), "on-crash", string(app.OnCrashResend), "the channels' on_crash: resend, or hold (then the held messages are released at the end)")
	binFlags(f, &o.ServerBin)
	return cmd
}

func crashDrill(ctx context.Context, o benchOptions, kills, clients int, seed uint64, maxUp time.Duration, progress io.Writer) (*drillResult, error) {
	fmt.Fprintf(progress, "crash-drill: %d kills, seed %d\n", kills, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	t, err := prepareOwnServer(ctx, o)
	if err != nil {
		return nil, err
	}
	defer t.close()
	perKill := int64(o.Window) + int64(float64(o.TPS)*recordGap.Seconds())
	res := &drillResult{Kills: kills, SMSCDupBound: int64(kills*o.Channels) * perKill, OnCrash: string(app.OnCrashResend)}
	if o.OnCrash == app.OnCrashHold {
		res.SMSCDupBound, res.OnCrash = 0, string(app.OnCrashHold)
	}

	var (
		mu    sync.Mutex
		acked []int64
		next  atomic.Int64 // numbers are unique across the drill
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	load := func() {
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stop.Load() {
					n := 1
					if rng2 := next.Load() % 3; rng2 == 0 {
						n = 20
					}
					first := int(next.Add(int64(n))) - n
					var ids []int64
					var err error
					if first%10 == 1 {
						// One call in ten is held for a reviewer and rejected:
						// refunds across the kills.
						ids, err = postRejected(ctx, t, first, n)
					} else {
						ids, _, err = postMessages(ctx, t, benchCallPlan{first: first, n: n})
					}
					if err != nil {
						time.Sleep(20 * time.Millisecond) // the server is down: the client was not told "accepted"
						continue
					}
					mu.Lock()
					acked = append(acked, ids...)
					mu.Unlock()
				}
			}()
		}
	}
	for k := 0; k <= kills; k++ {
		if err := t.spawn(ctx); err != nil {
			return nil, fmt.Errorf("start %d: %w", k+1, err)
		}
		if k == 0 {
			body := []byte(`{"action":"review","words":["` + drillReviewWord + `"]}`)
			if code, err := benchCall(ctx, t, "PUT", "/api/v1/word-lists/drill", body, nil); err != nil || code >= 300 {
				return nil, fmt.Errorf("word list for held sends: %d %v", code, err)
			}
			load()
		}
		up := time.Duration(rng.Int64N(int64(maxUp-200*time.Millisecond))) + 200*time.Millisecond
		time.Sleep(up)
		if k == kills {
			break
		}
		if err := t.own.stop(os.Kill); err == nil {
			return nil, fmt.Errorf("kill %d: the server exited cleanly", k+1)
		}
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		_, dups, _ := t.simStats()
		fmt.Fprintf(progress, "crash-drill: kill %d after %s: %d acked so far, %d SMSC duplicates so far\n", k+1, up.Round(time.Millisecond), n, dups)
	}
	stop.Store(true)
	wg.Wait()
	// Held batches whose rejection a kill cut off (or whose answer did).
	if err := rejectPending(ctx, t); err != nil {
		return nil, err
	}
	if err := waitFinal(ctx, t, time.Time{}, 5*time.Minute, progress); err != nil {
		return nil, err
	}
	_, res.SMSCDuplicates, _ = t.simStats()
	if o.OnCrash == app.OnCrashHold {
		// The operator's choice: send the held messages again.
		n, err := releaseHeld(ctx, t)
		if err != nil {
			return nil, err
		}
		res.Held = n
		if err := waitFinal(ctx, t, time.Time{}, 5*time.Minute, progress); err != nil {
			return nil, err
		}
		_, all, _ := t.simStats()
		res.HeldDuplicates = all - res.SMSCDuplicates
	}
	if err := t.own.stop(os.Interrupt); err != nil {
		tail, _ := os.ReadFile(filepath.Join(t.own.dir, "serve.log"))
		return nil, fmt.Errorf("final stop: %w; the log ends:\n%s", err, tail[max(0, len(tail)-2000):])
	}
	res.Acked = len(acked)
	if err := countDrill(ctx, t.own.dir, acked, res); err != nil {
		return res, err
	}
	return res, checkLedger(ctx, t.own.dir, drillQuota, res)
}

// drillReviewWord holds a send for a reviewer (the drill's word list).
const drillReviewWord = "演练审核"

// postRejected sends n numbers with a text the word list holds for a
// reviewer, then rejects the batch: its messages end rejected (EREVIEW)
// and are refunded. It answers the message ids once the send is accepted;
// a rejection the server did not answer is left to rejectPending.
func postRejected(ctx context.Context, t *target, first, n int) ([]int64, error) {
	to := make([]string, n)
	for i := range to {
		to[i] = fmt.Sprintf("139%08d", (first+i)%100000000)
	}
	body, _ := json.Marshal(map[string]any{"to": to, "content": "【示例单位】" + drillReviewWord + "：本条待审后驳回。"})
	var answer struct {
		BatchID  string `json:"batch_id"`
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	code, err := benchCall(ctx, t, "POST", "/api/v1/messages", body, &answer)
	if err != nil {
		return nil, err
	} else if code != http.StatusAccepted {
		return nil, fmt.Errorf("HTTP %d", code)
	}
	ids := make([]int64, 0, len(answer.Messages))
	for _, m := range answer.Messages {
		id, err := strconv.ParseInt(m.ID, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("message id %q", m.ID)
		}
		ids = append(ids, id)
	}
	benchCall(ctx, t, "POST", "/api/v1/batches/"+answer.BatchID+"/review", []byte(`{"decision":"reject","reason":"演练"}`), nil)
	return ids, nil
}

// rejectPending rejects every batch still held for a reviewer.
func rejectPending(ctx context.Context, t *target) error {
	for {
		var list struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if code, err := benchCall(ctx, t, "GET", "/api/v1/batches?review=pending&limit=1000", nil, &list); err != nil || code != 200 {
			return fmt.Errorf("listing held batches: %d %v", code, err)
		}
		if len(list.Items) == 0 {
			return nil
		}
		for _, b := range list.Items {
			if code, err := benchCall(ctx, t, "POST", "/api/v1/batches/"+b.ID+"/review", []byte(`{"decision":"reject","reason":"演练"}`), nil); err != nil || code != 200 {
				return fmt.Errorf("rejecting held batch %s: %d %v", b.ID, code, err)
			}
		}
	}
}

// countDrill checks the stopped server's database against what the clients
// were told.
func countDrill(ctx context.Context, dir string, acked []int64, res *drillResult) error {
	status := map[int64]app.Status{}
	phones := map[string]int{}
	err := eachMessage(ctx, dir, "", func(m *app.Message) {
		status[m.ID] = m.Status
		phones[m.To]++
		if m.Status == app.StatusDelivered {
			res.Delivered++
		}
	})
	if err != nil {
		return err
	}
	res.Rows = len(status)
	for _, id := range acked {
		s, ok := status[id]
		switch {
		case !ok:
			res.Lost++
		case !s.Final():
			res.NotFinal++
		}
	}
	res.UnackedCommitted = res.Rows - (len(acked) - res.Lost)
	for _, n := range phones {
		if n > 1 {
			res.DuplicateRows++
		}
	}
	return nil
}

// releaseHeld lists every channel's held messages and releases them; it
// returns how many there were.
func releaseHeld(ctx context.Context, t *target) (int, error) {
	var list struct {
		Items []struct {
			ID   string `json:"id"`
			Held int    `json:"held"`
		} `json:"items"`
	}
	if code, err := benchCall(ctx, t, "GET", "/api/v1/channels", nil, &list); err != nil || code != 200 {
		return 0, fmt.Errorf("listing channels: %d %v", code, err)
	}
	total := 0
	for _, ch := range list.Items {
		var held struct {
			Items []string `json:"items"`
		}
		if code, err := benchCall(ctx, t, "GET", "/api/v1/channels/"+ch.ID+"/held", nil, &held); err != nil || code != 200 {
			return 0, fmt.Errorf("listing held messages: %d %v", code, err)
		}
		if len(held.Items) != ch.Held {
			return 0, fmt.Errorf("channel %s shows %d held but lists %d", ch.ID, ch.Held, len(held.Items))
		}
		var done struct {
			Released int `json:"released"`
		}
		if code, err := benchCall(ctx, t, "POST", "/api/v1/channels/"+ch.ID+"/held/release", nil, &done); err != nil || code != 200 {
			return 0, fmt.Errorf("releasing held messages: %d %v", code, err)
		}
		if done.Released != ch.Held {
			return 0, fmt.Errorf("channel %s: released %d of %d held", ch.ID, done.Released, ch.Held)
		}
		total += done.Released
	}
	return total, nil
}
