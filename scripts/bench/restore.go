package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"smsgw/app"
	"smsgw/dispatch/smscsim"
	"smsgw/store"
)

// restoreDrillResult is the JSON line `bench restore-drill` prints: the RPO
// of replication after a kill -9 of the primary.
type restoreDrillResult struct {
	Acked   int `json:"acked"`   // messages the API answered 202 for
	Missing int `json:"missing"` // of those, not in the restored database
	// OldestMissingMS is how long before the kill the oldest missing
	// message was acknowledged: the window of loss.
	OldestMissingMS float64 `json:"oldest_missing_before_kill_ms"`
	RestoreMS       float64 `json:"restore_ms"`
	RestoredMB      float64 `json:"restored_mb"`
	// IDsReissued counts the ids the restored copy gave to new messages
	// (as many as were acknowledged, plus 100) that the old primary had
	// already acknowledged: must be 0.
	IDsReissued int `json:"ids_reissued"`
	// With --failover: a standby followed the replica the whole time and
	// was promoted after the kill. Its missing count is to be read against
	// Missing above (the replica's own lag).
	Promote *promoteDrillResult `json:"promote,omitempty"`
	// Reconcile is what the copy that serves (the promoted one with
	// --failover, else the restored one) made of the messages it held as
	// submitted: its left_submitted is what still waits for a receipt.
	Reconcile *reconcileDrillResult `json:"reconcile,omitempty"`
}

// promoteDrillResult is what the promoted standby held.
type promoteDrillResult struct {
	Missing     int     `json:"missing"`
	PromoteMS   float64 `json:"promote_ms"`
	IDsReissued int     `json:"ids_reissued"`
}

func newRestoreDrillCmd() *cobra.Command {
	o := benchOptions{Channels: 2, TPS: 5000, Window: 256, ReceiptDelay: 50 * time.Millisecond}
	var load time.Duration
	var clients int
	var failover, noQuery bool
	cmd := &cobra.Command{
		Use:   "restore-drill",
		Short: "Replicate under load, kill -9 the primary, restore the replica and count acknowledged messages missing",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if clients < 1 || o.Rate < 1 || load <= 0 {
				return errors.New("--clients, --rate and --load must be positive")
			}
			var err error
			if o.ServerBin, err = serverBinary(cmd.Context(), o.ServerBin, cmd.ErrOrStderr()); err != nil {
				return err
			}
			res, err := restoreDrill(cmd.Context(), o, load, clients, failover, noQuery, cmd.ErrOrStderr())
			if res != nil {
				b, _ := json.Marshal(res)
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
			}
			return err
		},
	}
	f := cmd.Flags()
	f.DurationVar(&load, "load", 10*time.Second, "how long to send before the kill")
	f.IntVar(&clients, "clients", 8, "concurrent API clients")
	f.BoolVar(&failover, "failover", false, "also run a standby (smsgw standby) and promote it after the kill")
	f.BoolVar(&noQuery, "no-query-sm", false, "the simulators refuse query_sm after the kill: messages left submitted are reported, not reconciled")
	f.IntVar(&o.Rate, "rate", 2000, "messages per second offered")
	f.StringVar(&o.Data, "data", "", "work folder (default: temporary)")
	binFlags(f, &o.ServerBin)
	return cmd
}

func restoreDrill(ctx context.Context, o benchOptions, load time.Duration, clients int, failover, noQuery bool, progress io.Writer) (*restoreDrillResult, error) {
	work := o.Data
	if work == "" {
		tmp, err := os.MkdirTemp("", "smsgw-restore-drill-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		work = tmp
	}
	cfgPath := filepath.Join(work, "litestream.yml")
	if err := os.WriteFile(cfgPath, []byte("dbs:\n  - replica:\n      type: file\n      path: replica\n"), 0o600); err != nil {
		return nil, err
	}
	o.Data, o.Litestream = filepath.Join(work, "primary"), cfgPath
	if err := os.MkdirAll(o.Data, 0o750); err != nil {
		return nil, err
	}
	t, err := startBenchServer(ctx, o)
	if err != nil {
		return nil, err
	}
	defer t.close()
	standbyDir := filepath.Join(work, "standby")
	var standby *exec.Cmd
	if failover {
		standby = exec.CommandContext(ctx, o.ServerBin, "standby", "--config", cfgPath, "--data", standbyDir, "--listen", "127.0.0.1:0")
		if err := standby.Start(); err != nil {
			return nil, err
		}
		defer func() { standby.Process.Kill(); standby.Wait() }()
	}

	type ack struct {
		id int64
		at time.Time
	}
	var (
		mu    sync.Mutex
		acked []ack
		next  atomic.Int64
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	interval := time.Duration(float64(time.Second) * float64(clients) / float64(o.Rate))
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for due := time.Now(); !stop.Load(); due = due.Add(interval) {
				time.Sleep(time.Until(due))
				first := int(next.Add(1)) - 1
				ids, _, err := postMessages(ctx, t, benchCallPlan{first: first, n: 1})
				if err != nil {
					continue // killed: not acknowledged
				}
				now := time.Now()
				mu.Lock()
				for _, id := range ids {
					acked = append(acked, ack{id, now})
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(load)
	killedAt := time.Now()
	if err := t.own.stop(os.Kill); err == nil {
		return nil, fmt.Errorf("the server exited cleanly instead of being killed")
	}
	stop.Store(true)
	wg.Wait()
	for _, s := range t.own.sims {
		s.SetOptions(func(so *smscsim.Options) { so.RefuseQuery = noQuery })
	}
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintf(progress, "restore-drill: killed after %s with %d acknowledged; restoring\n", load, len(acked))

	// A failover promotes at once: the standby is then as far behind the
	// replica as it happens to be.
	var promoted *promoteDrillResult
	if failover {
		began := time.Now()
		out, err := exec.CommandContext(ctx, o.ServerBin, "promote", "--data", standbyDir).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("promote: %v\n%s", err, out)
		}
		fmt.Fprintf(progress, "restore-drill: %s", out)
		promoted = &promoteDrillResult{PromoteMS: ms(time.Since(began))}
	}
	cfg, err := store.LoadReplicaConfig(cfgPath)
	if err != nil {
		return nil, err
	}
	restored := filepath.Join(work, "restored")
	began := time.Now()
	if err := store.Restore(ctx, cfg, store.RestoreOptions{Dir: restored}); err != nil {
		return nil, err
	}
	res := &restoreDrillResult{Acked: len(acked), RestoreMS: ms(time.Since(began))}
	if fi, err := os.Stat(filepath.Join(restored, store.DBFile)); err == nil {
		res.RestoredMB = float64(fi.Size()) / (1 << 20)
	}
	// The restored copy is read with the primary's key: the replica does
	// not carry it (see the restore runbook).
	have := map[int64]bool{}
	err = eachMessage(ctx, restored, filepath.Join(o.Data, "secret.key"), func(m *app.Message) { have[m.ID] = true })
	if err != nil {
		return nil, err
	}
	given := map[int64]bool{}
	for _, a := range acked {
		given[a.id] = true
		if !have[a.id] {
			res.Missing++
			res.OldestMissingMS = max(res.OldestMissingMS, ms(killedAt.Sub(a.at)))
		}
	}
	if !failover {
		// Before new messages go on it: the engine would send them.
		if res.Reconcile, err = reconcileCopy(ctx, "restored", restored, filepath.Join(o.Data, "secret.key"), killedAt); err != nil {
			return res, err
		}
	}
	fresh, err := sendOnCopy(ctx, restored, filepath.Join(o.Data, "secret.key"), len(acked)+100)
	if err != nil {
		return nil, err
	}
	for _, id := range fresh {
		if given[id] {
			res.IDsReissued++
		}
	}
	if !failover {
		return res, nil
	}
	res.Promote = promoted
	have = map[int64]bool{}
	if err := eachMessage(ctx, standbyDir, filepath.Join(o.Data, "secret.key"), func(m *app.Message) { have[m.ID] = true }); err != nil {
		return res, err
	}
	for _, a := range acked {
		if !have[a.id] {
			res.Promote.Missing++
		}
	}
	if res.Reconcile, err = reconcileCopy(ctx, "promoted", standbyDir, filepath.Join(o.Data, "secret.key"), killedAt); err != nil {
		return res, err
	}
	if fresh, err = sendOnCopy(ctx, standbyDir, filepath.Join(o.Data, "secret.key"), len(acked)+100); err != nil {
		return res, err
	}
	for _, id := range fresh {
		if given[id] {
			res.Promote.IDsReissued++
		}
	}
	return res, nil
}

// sendOnCopy accepts n new messages on a restored or promoted copy, through
// store as the server would, and answers their ids.
func sendOnCopy(ctx context.Context, dir, keyPath string, n int) ([]int64, error) {
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, store.DBFile), KeyPath: keyPath,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	p := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID, Scopes: []string{app.ScopeSend}, AllowFreeText: true}
	var ids []int64
	for len(ids) < n {
		to := make([]string, min(1000, n-len(ids)))
		for i := range to {
			to[i] = fmt.Sprintf("1390%07d", len(ids)+i)
		}
		res, err := db.Send(ctx, p, &app.SendRequest{To: to, Content: benchShort})
		if err != nil {
			return nil, fmt.Errorf("sending on the restored copy: %w", err)
		}
		for _, m := range res.Messages {
			ids = append(ids, m.ID)
		}
	}
	return ids, nil
}
