package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"smsgw/store"
)

// loadReplicaConfig reads litestream.yml and checks that it names this data
// folder's database (or none).
func loadReplicaConfig(path, data string) (store.ReplicaConfig, error) {
	cfg, err := store.LoadReplicaConfig(path)
	if err != nil {
		return cfg, err
	}
	if cfg.DBPath != "" && data != "" {
		want, _ := filepath.Abs(dbPath(data))
		if got, _ := filepath.Abs(cfg.DBPath); got != want {
			return cfg, fmt.Errorf("%s: dbs[0].path is %s but the database is %s", path, cfg.DBPath, want)
		}
	}
	return cfg, nil
}

func newRestoreCmd() *cobra.Command {
	var config, to, at string
	var skipCheck bool
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Restore the database from its replica into a new data folder",
		Example: "  smsgw restore --config litestream.yml --to /var/lib/smsgw-restored\n" +
			"  smsgw restore --config litestream.yml --to ./before --timestamp 2026-11-28T09:30:00+08:00",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadReplicaConfig(config, "")
			if err != nil {
				return err
			}
			quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			slog.SetDefault(quiet) // Litestream logs through the default logger when restoring
			opts := store.RestoreOptions{Dir: to, Logger: quiet, SkipCheck: skipCheck}
			if at != "" {
				if opts.Timestamp, err = time.Parse(time.RFC3339, at); err != nil {
					return fmt.Errorf("--timestamp: want RFC 3339, e.g. 2026-11-28T09:30:00+08:00: %w", err)
				}
			}
			started := time.Now()
			if err := store.Restore(cmd.Context(), cfg, opts); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "restored %s into %s in %s\n", cfg, dbPath(to), time.Since(started).Round(time.Millisecond))
			if ep, err := store.ReadEpoch(cmd.Context(), to); err == nil {
				fmt.Fprintf(out, "new id epoch %d: message ids continue from %d (ids the old primary gave after the restored moment are never reused)\n", ep.Epoch, ep.NextMessageID)
			}
			if _, err := os.Stat(filepath.Join(to, "secret.key")); err != nil {
				fmt.Fprintf(out, "next: copy the primary's secret.key (kept since install) into %s, then: smsgw serve --data %s\n", to, to)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "litestream.yml", "litestream.yml naming the replica")
	cmd.Flags().StringVar(&to, "to", "", "new data folder (DIR/smsgw.db must not exist)")
	cmd.Flags().StringVar(&at, "timestamp", "", "restore the state at this time (RFC 3339); default: the latest")
	cmd.Flags().BoolVar(&skipCheck, "skip-check", false, "skip the integrity check of the restored file (faster for a large database)")
	cmd.MarkFlagRequired("to")
	return cmd
}

func newStandbyCmd() *cobra.Command {
	var config, data, listen string
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "standby",
		Short: "Follow the replica continuously on a standby machine, with a read-only status page",
		Long: "standby restores the replica into DATA/smsgw.db and keeps applying its changes.\n" +
			"To fail over: smsgw promote --data DATA, then smsgw serve --data DATA.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := slog.New(slog.NewTextHandler(os.Stderr, nil))
			cfg, err := loadReplicaConfig(config, "")
			if err != nil {
				return err
			}
			if err := os.MkdirAll(data, 0o750); err != nil {
				return err
			}
			lock, err := takeStandbyLock(data)
			if err != nil {
				return err
			}
			defer lock.Close()
			defer os.Remove(standbyPIDPath(data))
			// promote catches up from the replica this standby follows.
			if abs, err := filepath.Abs(config); err == nil {
				if err := os.WriteFile(standbyConfigPath(data), []byte(abs+"\n"), 0o600); err != nil {
					return err
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: standbyPage(data, cfg.String()), ReadHeaderTimeout: 5 * time.Second}
			go srv.Serve(ln)
			defer srv.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "standby following %s into %s; status on http://%s/\n", cfg, dbPath(data), ln.Addr())
			return store.Follow(ctx, cfg, data, interval, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&config, "config", "litestream.yml", "litestream.yml naming the replica")
	f.StringVar(&data, "data", "./standby", "data folder of the standby copy")
	f.StringVar(&listen, "listen", "127.0.0.1:8081", "status page address")
	f.DurationVar(&interval, "interval", time.Second, "how often to look for new changes")
	return cmd
}

// takeStandbyLock holds the data folder's lock (a server cannot start on a
// folder being followed) and writes the pid for promote.
func takeStandbyLock(data string) (*os.File, error) {
	f, err := os.OpenFile(dbPath(data)+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("数据目录已被另一个 smsgw 进程使用 (data folder in use: %s)", data)
	}
	if err := os.WriteFile(standbyPIDPath(data), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func standbyPIDPath(data string) string { return filepath.Join(data, "standby.pid") }

// standbyConfigPath names the file where a standby keeps the path of the
// litestream.yml it follows, for promote.
func standbyConfigPath(data string) string { return filepath.Join(data, "standby.config") }

var standbyTmpl = template.Must(template.New("standby").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>smsgw 备用节点 (standby)</title></head>
<body style="font-family:sans-serif;margin:2em">
<h1>smsgw 备用节点 (standby, read-only)</h1>
<table>
<tr><th align=left>副本 (replica)</th><td>{{.Replica}}</td></tr>
<tr><th align=left>已应用事务 (applied TXID)</th><td>{{.S.TXID}}</td></tr>
<tr><th align=left>最近应用 (applied at)</th><td>{{if .S.AppliedAt.IsZero}}-{{else}}{{.S.AppliedAt.Format "2006-01-02 15:04:05 MST"}}{{end}}</td></tr>
<tr><th align=left>最新短信编号 (newest message id)</th><td>{{.S.LastMessageID}}</td></tr>
<tr><th align=left>最新短信时间 (newest message)</th><td>{{if .S.LastMessage.IsZero}}-{{else}}{{.S.LastMessage.Format "2006-01-02 15:04:05 MST"}}{{end}}</td></tr>
{{if .Err}}<tr><th align=left>错误 (error)</th><td>{{.Err}}</td></tr>{{end}}
</table>
<p>切换为主节点 (fail over): <code>smsgw promote --data {{.Data}}</code>，然后 <code>smsgw serve --data {{.Data}}</code></p>
</body></html>`))

func standbyPage(data, replica string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Summarize(r.Context(), data)
		view := struct {
			Replica, Data, Err string
			S                  store.CopySummary
		}{Replica: replica, Data: data, S: s}
		if err != nil {
			view.Err = err.Error()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		standbyTmpl.Execute(w, view)
	})
}

func newPromoteCmd() *cobra.Command {
	var data, config string
	var wait, catchUp time.Duration
	var skipCatchUp bool
	cmd := &cobra.Command{
		Use:   "promote",
		Short: "Stop a standby, apply what the replica holds beyond its copy, and make the copy the primary's database",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !store.IsStandbyCopy(data) {
				return fmt.Errorf("%s 不是备用库 (holds no standby copy)", dbPath(data))
			}
			opts := store.PromoteOptions{CatchUpTimeout: catchUp,
				Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
			out := cmd.OutOrStdout()
			if !skipCatchUp {
				if config == "" {
					raw, _ := os.ReadFile(standbyConfigPath(data))
					config = strings.TrimSpace(string(raw))
				}
				if config == "" {
					fmt.Fprintf(out, "warning: no replica to catch up from (give --config litestream.yml): the copy is promoted as the standby left it\n")
				} else {
					cfg, err := loadReplicaConfig(config, "")
					if err != nil {
						return err
					}
					opts.Replica = &cfg
				}
			}
			if err := stopStandby(cmd.Context(), data, wait); err != nil {
				return err
			}
			res, err := store.PromoteCopy(cmd.Context(), data, opts)
			if err != nil {
				return err
			}
			switch {
			case opts.Replica == nil:
			case res.ReplicaErr != nil:
				fmt.Fprintf(out, "warning: could not read the replica (%v): promoted the copy as of transaction %d; what the replica holds beyond it is not here\n", res.ReplicaErr, res.TXID)
			case res.TXID > res.CopyTXID:
				fmt.Fprintf(out, "caught up from %s: applied transactions %d to %d (all the replica holds)\n", opts.Replica, res.CopyTXID+1, res.TXID)
			default:
				fmt.Fprintf(out, "the copy already held all the replica holds (transaction %d)\n", res.TXID)
			}
			os.Remove(standbyConfigPath(data))
			fmt.Fprintf(out, "new id epoch %d: message ids continue from %d\n", res.Epoch.Epoch, res.Epoch.NextMessageID)
			fmt.Fprintf(out, "promoted %s; next: smsgw serve --data %s\n", dbPath(data), data)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "./standby", "data folder of the standby copy")
	cmd.Flags().StringVar(&config, "config", "", "litestream.yml naming the replica to catch up from (default: the one the standby followed)")
	cmd.Flags().BoolVar(&skipCatchUp, "skip-catch-up", false, "promote the copy as it is, without applying what the replica holds beyond it")
	cmd.Flags().DurationVar(&catchUp, "catch-up-timeout", 2*time.Minute, "how long catching up from the replica may take")
	cmd.Flags().DurationVar(&wait, "wait", 15*time.Second, "how long to wait for the standby to stop")
	return cmd
}

// stopStandby asks a running standby on data to stop and waits until it has
// released the folder.
func stopStandby(ctx context.Context, data string, wait time.Duration) error {
	raw, err := os.ReadFile(standbyPIDPath(data))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return fmt.Errorf("%s: %w", standbyPIDPath(data), err)
	}
	deadline := time.Now().Add(wait)
	for {
		lock, err := takeStandbyLock(data)
		if err == nil {
			lock.Close()
			return os.Remove(standbyPIDPath(data))
		}
		if p, _ := os.FindProcess(pid); p != nil {
			_ = p.Signal(syscall.SIGTERM)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("备用进程 %d 未停止 (standby did not stop within %s)", pid, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
