// Command smsgw is a self-hosted enterprise SMS platform: web console, HTTPS
// API, durable queue, SMPP sending engine and replication in one binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai without the system's zone files

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"smsgw/app"
	"smsgw/dispatch"
	"smsgw/dispatch/smscsim"
	"smsgw/store"
	"smsgw/ui"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := newRootCmd().Execute(); err != nil {
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "smsgw",
		Short:         "smsgw: self-hosted enterprise SMS platform (短信服务平台)",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.AddCommand(newServeCmd(), newVersionCmd(), newSimCmd(), newAPIKeyCmd(), newChannelCmd(), newAuditCmd(), newUserCmd(),
		newRestoreCmd(), newStandbyCmd(), newPromoteCmd(), newCheckCmd(), newStatsCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "smsgw", version)
		},
	}
}

// config is what serve needs; tests build one directly.
type config struct {
	Data            string
	Listen          string
	Demo            bool
	TLSCert, TLSKey string
	Litestream      string // litestream.yml: replicate the database
	NewReplica      bool   // replicate even over a replica holding a later state
	RetentionDays   int    // message detail kept (0: 180)
	AuditDays       int    // audit log kept (0: 365)
	MaxDBMB         int    // cap on the database size (0: none)
	CheckMB         int    // full quick_check at start up to this size (0: store's default)
	PprofAddr       string // serve Go's profiler here (loopback only)
	// CallbackAllowPrivate lets apps' callbacks go to loopback and private
	// addresses (an intranet deployment); off, they are refused.
	CallbackAllowPrivate bool
	Logger               *slog.Logger
	// Engine tuning, zero for defaults.
	Engine dispatch.Options
}

func newServeCmd() *cobra.Command {
	var cfg config
	var verbose bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the platform: API, console, sending engine",
		Example: "  smsgw serve --demo --data ./demo-data\n" +
			"  smsgw serve --data /var/lib/smsgw --listen :8080",
		RunE: func(cmd *cobra.Command, _ []string) error {
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
				return errors.New("--tls-cert and --tls-key go together")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			p, err := start(ctx, cfg)
			if err != nil {
				return err
			}
			if p.demo != nil {
				p.demo.print(cmd.OutOrStdout())
			}
			cfg.Logger.Info("smsgw serving", "url", p.server.URL(), "data", cfg.Data, "version", version)
			return p.wait(ctx)
		},
	}
	cmd.Flags().StringVar(&cfg.Data, "data", "./data", "data folder (holds smsgw.db and secret.key)")
	cmd.Flags().StringVar(&cfg.Listen, "listen", "127.0.0.1:8080", "HTTP listen address")
	cmd.Flags().BoolVar(&cfg.Demo, "demo", false, "demo mode: admin login, API key and two simulated carrier channels")
	cmd.Flags().StringVar(&cfg.TLSCert, "tls-cert", "", "PEM certificate (chain): serve HTTPS")
	cmd.Flags().StringVar(&cfg.TLSKey, "tls-key", "", "PEM private key of --tls-cert")
	cmd.Flags().IntVar(&cfg.RetentionDays, "retention-days", 180, "days message detail (messages, batches, replies) is kept")
	cmd.Flags().IntVar(&cfg.AuditDays, "audit-retention-days", 365, "days audit log entries are kept (the Cybersecurity Law asks for at least 180)")
	cmd.Flags().IntVar(&cfg.MaxDBMB, "max-db-mb", 0, "refuse new messages (HTTP 507) once the database reaches this size, as on a full disk (0: no cap)")
	cmd.Flags().IntVar(&cfg.CheckMB, "check-mb", store.DefaultFullCheckMB, "at start, a full quick check of a database up to this size; a larger one gets a bounded check (smsgw check does the full one)")
	cmd.Flags().StringVar(&cfg.PprofAddr, "pprof", "", "serve Go's profiler (net/http/pprof) on this loopback address, for performance work")
	cmd.Flags().MarkHidden("pprof")
	cmd.Flags().StringVar(&cfg.Litestream, "litestream", "", "litestream.yml: stream the database to its replica (file or S3)")
	cmd.Flags().BoolVar(&cfg.NewReplica, "new-replica", false, "with --litestream: start a new replica history even if the replica holds a later state than this database (overwrites its latest state)")
	cmd.Flags().BoolVar(&cfg.CallbackAllowPrivate, "callback-allow-private", false, "let apps' callback URLs reach loopback and private addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), for an intranet deployment; link-local and cloud metadata stay refused")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "debug logging")
	return cmd
}

// program is a running platform: the pieces main wires together.
type program struct {
	cfg    config
	db     *store.DB
	rep    *store.Replicator
	engine *dispatch.Engine
	server *ui.Server
	pprof  *pprofServer
	sims   []*smscsim.Server
	demo   *demoInfo
	// The HTTP server, the engine and the callback sender run in one group:
	// the first to fail stops the others (done closes), and stop cancels
	// them all.
	group  *errgroup.Group
	done   <-chan struct{}
	cancel context.CancelFunc
}

// start builds and starts every piece; it returns once the API listens.
func start(ctx context.Context, cfg config) (*program, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, err
	}
	var repCfg store.ReplicaConfig
	if cfg.Litestream != "" {
		var err error
		if repCfg, err = loadReplicaConfig(cfg.Litestream, cfg.Data); err != nil {
			return nil, err
		}
		repCfg.NewReplica = cfg.NewReplica
	}
	if store.IsStandbyCopy(cfg.Data) {
		if err := store.Promote(ctx, cfg.Data); err != nil {
			return nil, err
		}
		cfg.Logger.Warn("this folder held a standby copy: it is now the primary's database", "data", cfg.Data)
	}
	if cfg.RetentionDays < 0 {
		return nil, errors.New("--retention-days must be positive")
	}
	if cfg.AuditDays < 0 {
		return nil, errors.New("--audit-retention-days must be positive")
	}
	db, err := store.Open(ctx, store.Options{Path: dbPath(cfg.Data), Logger: cfg.Logger, Exclusive: true,
		Retention: time.Duration(cfg.RetentionDays) * 24 * time.Hour, AuditRetention: time.Duration(cfg.AuditDays) * 24 * time.Hour, MaxSizeMB: cfg.MaxDBMB, FullCheckMB: cfg.CheckMB})
	if err != nil {
		return nil, err
	}
	p := &program{cfg: cfg, db: db}
	if cfg.Litestream != "" {
		if p.rep, err = store.Replicate(ctx, dbPath(cfg.Data), repCfg, cfg.Logger); err != nil {
			p.closeAll()
			return nil, err
		}
	}
	if cfg.Demo {
		if p.demo, p.sims, err = setupDemo(ctx, db, cfg); err != nil {
			p.closeAll()
			return nil, fmt.Errorf("demo setup: %w", err)
		}
	}
	eopts := cfg.Engine
	eopts.Outbox, eopts.Channels, eopts.Notify, eopts.Logger = db, db, db.Notifications(), cfg.Logger
	eopts.Reconcile = db // messages an earlier run left submitted: ask the SMSCs (issue 13, item 5)
	p.engine = dispatch.New(eopts)
	authKey, encKey := db.SessionKeys()
	var replication app.ReplicationMonitor
	if p.rep != nil {
		replication = p.rep
	}
	p.server, err = ui.New(ui.Options{Addr: cfg.Listen, Replication: replication, DBSize: db.Size, Batches: db, Templates: db, Blacklist: db, Words: db, Contacts: db, Imports: db, Accounts: db, Stats: db, Messages: db, Replies: db, Keys: db, Departments: db, Users: db, Audit: db, Channels: db, Monitor: p.engine,
		Logins: db, SessionAuthKey: authKey, SessionEncKey: encKey, TLSCert: cfg.TLSCert, TLSKey: cfg.TLSKey,
		Logger: cfg.Logger, Version: version, CallbackAllowPrivate: cfg.CallbackAllowPrivate})
	if err != nil {
		p.closeAll()
		return nil, err
	}
	if err := p.server.Open(); err != nil {
		p.closeAll()
		return nil, err
	}
	if p.demo != nil {
		p.demo.BaseURL = p.server.URL()
		if err := p.demo.write(cfg.Data); err != nil {
			p.server.Close(context.Background())
			p.closeAll()
			return nil, err
		}
	}
	if cfg.PprofAddr != "" {
		if p.pprof, err = listenPprof(cfg.PprofAddr); err != nil {
			p.server.Close(context.Background())
			p.closeAll()
			return nil, err
		}
	}
	p.run(ctx)
	return p, nil
}

// run starts the engine, the callback sender and the profiler's server in
// one errgroup with the HTTP server. The group's context ends when stop is
// called or when one of them fails; then the HTTP server stops taking
// requests first, and only after it the engine finishes its in-flight
// submits and records them, so no accepted message waits for a dead engine.
func (p *program) run(ctx context.Context) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g, gctx := errgroup.WithContext(runCtx)
	p.group, p.done, p.cancel = g, gctx.Done(), cancel
	// The engine's context outlives the group's until HTTP has closed.
	engCtx, stopEngine := context.WithCancel(context.WithoutCancel(gctx))
	g.Go(func() error {
		<-gctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var errs []error
		if err := p.server.Close(shutdown); err != nil {
			errs = append(errs, fmt.Errorf("http: %w", err))
		}
		stopEngine() // HTTP takes no more sends: the engine drains now
		if p.pprof != nil {
			// A developer's tool: a profile still being taken is cut, it
			// neither delays the engine's drain nor fails the exit.
			p.pprof.close()
		}
		return errors.Join(errs...)
	})
	g.Go(func() error {
		if err := p.server.Wait(); err != nil {
			return fmt.Errorf("http: %w", err)
		} else if gctx.Err() == nil {
			return errors.New("the HTTP server stopped on its own")
		}
		return nil
	})
	if p.pprof != nil {
		g.Go(p.pprof.serve)
	}
	g.Go(func() error {
		if err := p.engine.Run(engCtx); err != nil {
			return fmt.Errorf("sending engine: %w", err)
		}
		if engCtx.Err() == nil {
			return errors.New("the sending engine stopped on its own")
		}
		return nil
	})
	g.Go(func() error {
		(&dispatch.CallbackSender{Store: p.db, Logger: p.cfg.Logger, AllowPrivate: p.cfg.CallbackAllowPrivate}).Run(engCtx)
		if engCtx.Err() == nil {
			return errors.New("the callback sender stopped on its own")
		}
		return nil
	})
}

// wait runs until ctx ends (SIGTERM, Ctrl-C) or a piece of the program
// fails, then stops it all; it returns the failure, if any.
func (p *program) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		p.cfg.Logger.Info("stopping: finishing in-flight work")
	case <-p.done:
		p.cfg.Logger.Error("stopping: a part of the server failed")
	}
	return p.stop()
}

// stop shuts down in order: no new requests, the engine finishes in-flight
// submits and records them, then the simulators and the database close. It
// returns the first failure of a running piece, if any, with any error of
// the shutdown.
func (p *program) stop() error {
	p.cancel()
	err := p.group.Wait()
	return errors.Join(err, p.closeAll())
}

func (p *program) closeAll() error {
	var errs []error
	for _, s := range p.sims {
		errs = append(errs, s.Close())
	}
	// The lock outlives the replicator's last upload: no second server
	// starts on the file while it is still read.
	release := p.db.HandOverLock()
	errs = append(errs, p.db.Close())
	if p.rep != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errs = append(errs, p.rep.Close(ctx))
	}
	errs = append(errs, release())
	return errors.Join(errs...)
}

func newSimCmd() *cobra.Command {
	var listen, control, systemID, password string
	var opts smscsim.Options
	cmd := &cobra.Command{
		Use:   "smsc-sim",
		Short: "Run the SMPP SMSC simulator alone (test and demo carrier)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.SystemID, opts.Password = systemID, password
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
			sim := smscsim.New(opts)
			if err := sim.Start(listen); err != nil {
				return err
			}
			defer sim.Close()
			url, err := sim.StartControl(control)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "SMPP on %s, control on %s\n", sim.Addr(), url)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			<-ctx.Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:2775", "SMPP listen address")
	f.StringVar(&control, "control", "127.0.0.1:2776", "HTTP control address (MO injection, stats, knobs)")
	f.StringVar(&systemID, "system-id", "", "required system_id (empty: any)")
	f.StringVar(&password, "password", "", "required password (empty: any)")
	f.DurationVar(&opts.ReceiptDelay, "receipt-delay", 50*time.Millisecond, "delay before a delivery receipt")
	f.Float64Var(&opts.UndeliveredRatio, "undelivered", 0, "fraction of receipts that say UNDELIV")
	f.Float64Var(&opts.ThrottleRatio, "throttle", 0, "fraction of submits answered 0x58 (throttled)")
	f.Float64Var(&opts.ErrorRatio, "error", 0, "fraction of submits answered 0x08 (system error)")
	f.IntVar(&opts.TPS, "tps", 0, "accepted submits per second (0: no cap)")
	return cmd
}

func newAPIKeyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "apikey", Aliases: []string{"app"}, Short: "Manage API keys (apps)"}
	var data, name, role, scopes, ext string
	var dept int64
	var freeText bool
	var rateLimit int
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API key and print its secret (shown only once)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := store.Open(cmd.Context(), store.Options{Path: dbPath(data)})
			if err != nil {
				return err
			}
			defer db.Close()
			k := &app.APIKey{Name: name, DepartmentID: dept, Role: app.Role(role), AllowFreeText: freeText, Ext: ext, RateLimit: rateLimit}
			if scopes != "" {
				k.Scopes = strings.Split(scopes, ",")
			}
			secret, err := db.CreateAPIKey(cmd.Context(), k)
			if err != nil {
				return cliError(err)
			}
			if err := auditCLI(cmd.Context(), db, "app.create", fmt.Sprintf("app:%d", k.ID),
				fmt.Sprintf("name=%s department=%d role=%s scopes=%v", k.Name, k.DepartmentID, k.Role, k.Scopes)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "id: %d\nkey: %s\nsecret: %s\n(the secret is the Bearer token; it is not stored and cannot be shown again)\n", k.ID, k.Key, secret)
			return nil
		},
	}
	f := create.Flags()
	f.StringVar(&data, "data", "./data", "data folder")
	f.StringVar(&name, "name", "", "app name")
	f.Int64Var(&dept, "department", app.RootDepartmentID, "department id")
	f.StringVar(&role, "role", string(app.RoleOperator), "role the app acts with: sysadmin, dept_admin, operator, auditor")
	f.StringVar(&scopes, "scopes", "send,query", "comma-separated scopes")
	f.BoolVar(&freeText, "free-text", false, "may send free text (with an approved signature), not only templates")
	f.StringVar(&ext, "ext", "", "extension code (扩展码) after the channel's number, so replies come back to this app")
	f.IntVar(&rateLimit, "rate-limit", 100, "requests per second before answering 429")
	create.MarkFlagRequired("name")
	cmd.AddCommand(create)
	return cmd
}

// cliError shows a domain error's message (what the user did wrong) and any
// other error as it is.
func cliError(err error) error {
	if code := app.ErrorCode(err); code != app.EINTERNAL {
		return fmt.Errorf("%s: %s", code, app.ErrorMessage(err))
	}
	return err
}

// dbPath is where the database lives in a data folder.
func dbPath(data string) string { return filepath.Join(data, store.DBFile) }
