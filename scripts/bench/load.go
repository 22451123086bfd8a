package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"smsgw/app"
	"smsgw/dispatch/smscsim"
	"smsgw/store"
)

// benchOptions are the load run's flags; the drills use some of them.
type benchOptions struct {
	URL, Key, Demo string // a running server: its URL and API key, or a demo folder holding both

	Data         string // own server: its data folder (default: a temporary one, removed after)
	Channels     int
	TPS, Window  int
	ReceiptDelay time.Duration
	Litestream   string
	OnCrash      app.OnCrash // the channels' on_crash ("" resend)
	ServerBin    string      // the smsgw binary to run
	ServerFlags  []string

	Messages, Clients, Batch int
	Single, Long             float64 // shares of messages sent one per call, and 500 characters long
	Timeout                  time.Duration
	Rate                     int           // messages per second offered (0: as fast as the clients go)
	Sample                   time.Duration // how often to record memory and query times (0: never)
	ImportRows               int           // contacts imported (XLSX, into the org book) while the load runs (0: none)
	// Quota, when above 0, tops up the own server's root department by
	// that many segments, so every send is metered (debited in the
	// ledger); 0 leaves the platform unmetered (issue 16).
	Quota int64
}

func newLoadCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Load run: send through the API, wait for every receipt, print one JSON line of rates",
		Long: "load drives the HTTP API with concurrent clients and waits until every accepted message\n" +
			"has its final status. Without --url or --demo it starts its own server (smsgw serve, as a\n" +
			"child process, so its CPU and memory are the server's alone) on simulated channels.\n" +
			"Progress goes to stderr; the result is one JSON line on stdout.",
		Example: "  go run ./scripts/bench load --messages 200000\n" +
			"  go run ./scripts/bench load --messages 30000 --demo ./data\n" +
			"  go run ./scripts/bench load --url https://sms.example.internal --key SECRET --messages 10000 --single 1",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Messages < 1 || o.Clients < 1 || o.Batch < 1 || o.Batch > app.MaxRecipients {
				return errors.New("--messages, --clients and --batch must be positive (batch at most 10000)")
			}
			if o.Single < 0 || o.Single > 1 || o.Long < 0 || o.Long > 1 {
				return errors.New("--single and --long are shares between 0 and 1")
			}
			ctx := cmd.Context()
			if o.URL == "" && o.Demo == "" {
				var err error
				if o.ServerBin, err = serverBinary(ctx, o.ServerBin, cmd.ErrOrStderr()); err != nil {
					return err
				}
			}
			t, err := benchTarget(ctx, o)
			if err != nil {
				return err
			}
			defer t.close()
			res, err := runBench(ctx, o, t, cmd.ErrOrStderr())
			if res != nil {
				b, _ := json.Marshal(res)
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
			}
			if err == nil && res.Lost > 0 {
				err = fmt.Errorf("%d accepted messages lost", res.Lost)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.URL, "url", "", "a running server's base URL (needs --key)")
	f.StringVar(&o.Key, "key", "", "API key (Bearer secret) for --url")
	f.StringVar(&o.Demo, "demo", "", "a running demo's data folder: URL, key and simulators from its demo-credentials.json")
	f.StringVar(&o.Data, "data", "", "own server: data folder (default: a temporary folder, removed after)")
	f.IntVar(&o.Channels, "channels", 2, "own server: simulated channels")
	f.Int64Var(&o.Quota, "quota", 0, "own server: top up the root department by this many segments, so every send is metered (0: unmetered)")
	f.IntVar(&o.TPS, "tps", 5000, "own server: TPS of each channel")
	f.IntVar(&o.Window, "window", 256, "own server: SMPP window of each channel")
	f.DurationVar(&o.ReceiptDelay, "receipt-delay", 50*time.Millisecond, "own server: delay of the simulators' receipts")
	f.StringVar(&o.Litestream, "litestream", "", "own server: replicate with this litestream.yml while measuring")
	binFlags(f, &o.ServerBin)
	f.StringSliceVar(&o.ServerFlags, "server-flag", nil, "own server: extra serve flags, e.g. --server-flag=--pprof=127.0.0.1:6060")
	f.IntVar(&o.Messages, "messages", 30000, "messages to send")
	f.IntVar(&o.Clients, "clients", 8, "concurrent API clients")
	f.IntVar(&o.Batch, "batch", 100, "numbers per batch call")
	f.Float64Var(&o.Single, "single", 0.1, "share of messages sent by single-number calls")
	f.Float64Var(&o.Long, "long", 0, "share of messages 500 characters long (8 segments)")
	f.IntVar(&o.Rate, "rate", 0, "offer this many messages per second (0: as fast as the clients can); latency is measured at this load")
	f.DurationVar(&o.Sample, "sample", 0, "record the server's memory, database size and listing query times this often (soak runs)")
	f.IntVar(&o.ImportRows, "import-rows", 0, "also import this many contacts (an XLSX, into the org book) while the load runs, to see that imports do not stall sending")
	f.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "give up waiting for final statuses after")
	return cmd
}

// target is the server under load.
type target struct {
	base, key string
	simStats  func() (accepted, duplicates int64, ok bool) // the simulators' counters, summed
	simDone   func() bool                                  // every part the simulators took has its receipt answered
	own       *ownServer                                   // nil for a server run elsewhere
	close     func()
}

func benchTarget(ctx context.Context, o benchOptions) (*target, error) {
	switch {
	case o.Demo != "":
		info, err := loadDemoCredentials(o.Demo)
		if err != nil {
			return nil, fmt.Errorf("--demo: %w", err)
		}
		var controls []string
		for _, s := range info.Simulators {
			controls = append(controls, s.Control)
		}
		return &target{base: info.BaseURL, key: info.APIKey, simStats: remoteSimStats(controls), close: func() {}}, nil
	case o.URL != "":
		if o.Key == "" {
			return nil, errors.New("--url needs --key")
		}
		return &target{base: o.URL, key: o.Key, simStats: func() (int64, int64, bool) { return 0, 0, false }, close: func() {}}, nil
	}
	return startBenchServer(ctx, o)
}

// startBenchServer prepares a data folder with an API key and channels bound
// to simulators running here, and starts `smsgw serve` on it as a child.
func startBenchServer(ctx context.Context, o benchOptions) (*target, error) {
	t, err := prepareOwnServer(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := t.spawn(ctx); err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}

// ownServer is a data folder set up for load runs and drills, with its
// simulators running in this process; spawn starts the server on it.
type ownServer struct {
	dir, exe, addr string
	args           []string
	channels       int
	sims           []*smscsim.Server
	srv            *exec.Cmd
	log            *os.File
}

func prepareOwnServer(ctx context.Context, o benchOptions) (*target, error) {
	own := &ownServer{dir: o.Data, exe: o.ServerBin, channels: o.Channels}
	cleanup := func() {}
	if own.dir == "" {
		tmp, err := os.MkdirTemp("", "smsgw-bench-")
		if err != nil {
			return nil, err
		}
		own.dir, cleanup = tmp, func() { os.RemoveAll(tmp) }
	}
	t := &target{own: own}
	t.close = func() {
		own.stop(os.Interrupt)
		for _, s := range own.sims {
			s.Close()
		}
		cleanup()
	}
	fail := func(err error) (*target, error) { t.close(); return nil, err }
	for range o.Channels {
		sim := smscsim.New(smscsim.Options{SystemID: "bench", Password: "benchpw", ReceiptDelay: o.ReceiptDelay, Keep: 16})
		if err := sim.Start("127.0.0.1:0"); err != nil {
			return fail(err)
		}
		own.sims = append(own.sims, sim)
	}
	t.simStats = func() (accepted, dups int64, ok bool) {
		for _, s := range own.sims {
			st := s.Stats()
			accepted, dups = accepted+st.Accepted, dups+st.Duplicates
		}
		return accepted, dups, true
	}
	t.simDone = func() bool {
		for _, s := range own.sims {
			if st := s.Stats(); st.ReceiptsSent < st.Accepted || st.ReceiptsPending > 0 {
				return false
			}
		}
		return true
	}
	var err error
	if t.key, err = prepareBenchData(ctx, own.dir, o, own.sims); err != nil {
		return fail(err)
	}
	if own.exe == "" {
		return fail(errors.New("no smsgw binary to start"))
	}
	if own.addr, err = freeLoopback(); err != nil {
		return fail(err)
	}
	own.args = []string{"serve", "--data", own.dir, "--listen", own.addr}
	if o.Litestream != "" {
		own.args = append(own.args, "--litestream", o.Litestream)
	}
	own.args = append(own.args, o.ServerFlags...)
	t.base = "http://" + own.addr
	return t, nil
}

// spawn starts the server and waits until every channel is bound.
func (t *target) spawn(ctx context.Context) error {
	own := t.own
	logf, err := os.OpenFile(filepath.Join(own.dir, "serve.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	own.srv, own.log = exec.Command(own.exe, own.args...), logf
	own.srv.Stdout, own.srv.Stderr = logf, logf
	if err := own.srv.Start(); err != nil {
		logf.Close()
		own.srv = nil
		return err
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		var h struct {
			Bound int `json:"bound_channels"`
		}
		if _, err := benchCall(ctx, t, "GET", "/healthz", nil, &h); err == nil && h.Bound == own.channels {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server did not bind its %d channels within 30 s (log: %s)", own.channels, logf.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the server with sig (os.Kill for a crash) and waits for it.
func (own *ownServer) stop(sig os.Signal) error {
	if own.srv == nil {
		return nil
	}
	own.srv.Process.Signal(sig)
	err := own.srv.Wait()
	own.log.Close()
	own.srv = nil
	return err
}

func prepareBenchData(ctx context.Context, dir string, o benchOptions, sims []*smscsim.Server) (string, error) {
	db, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, store.DBFile), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := db.CreateSignature(ctx, &app.Signature{DepartmentID: app.RootDepartmentID, Name: "示例单位", Approved: true}); err != nil && app.ErrorCode(err) != app.ECONFLICT {
		return "", err
	}
	secret, err := db.CreateAPIKey(ctx, &app.APIKey{Name: "bench", DepartmentID: app.RootDepartmentID, Role: app.RoleSysadmin,
		AllowFreeText: true, RateLimit: 100000, Scopes: []string{app.ScopeSend, app.ScopeQuery, app.ScopeAdmin, app.ScopeTemplates}}) // admin: the hold drill releases held messages; templates: the crash drill rejects held batches
	if err != nil {
		return "", err
	}
	if o.Quota > 0 {
		admin := &app.Principal{Role: app.RoleSysadmin, DepartmentID: app.RootDepartmentID}
		if _, err := db.TopUp(ctx, admin, app.RootDepartmentID, o.Quota, "压测额度"); err != nil {
			return "", err
		}
	}
	for i, sim := range sims {
		host, port, err := splitHostPort(sim.Addr())
		if err != nil {
			return "", err
		}
		ch := &app.Channel{Name: fmt.Sprintf("bench%d", i+1), Host: host, Port: port, SystemID: "bench", Password: "benchpw",
			SourceAddr: fmt.Sprintf("1069%04d", i+1), TPS: o.TPS, Window: o.Window, Weight: 1, Enabled: true, DestNPI: app.DefaultDestNPI, OnCrash: o.OnCrash}
		if err := db.CreateChannel(ctx, ch); err != nil {
			return "", err
		}
	}
	return secret, nil
}

// demoCredentials is what load needs of a running demo's
// demo-credentials.json (written by smsgw serve --demo).
type demoCredentials struct {
	APIKey     string `json:"api_key"`
	BaseURL    string `json:"base_url"`
	Simulators []struct {
		Control string `json:"control"`
	} `json:"simulators"`
}

func loadDemoCredentials(dir string) (*demoCredentials, error) {
	b, err := os.ReadFile(filepath.Join(dir, "demo-credentials.json"))
	if err != nil {
		return nil, err
	}
	var info demoCredentials
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("demo-credentials.json: %w", err)
	}
	return &info, nil
}

// remoteSimStats reads the demo simulators' counters over their control URLs.
func remoteSimStats(controls []string) func() (int64, int64, bool) {
	return func() (accepted, dups int64, ok bool) {
		for _, u := range controls {
			resp, err := http.Get(u + "/stats")
			if err != nil {
				return 0, 0, false
			}
			var st smscsim.Stats
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err != nil {
				return 0, 0, false
			}
			accepted, dups = accepted+st.Accepted, dups+st.Duplicates
		}
		return accepted, dups, len(controls) > 0
	}
}
