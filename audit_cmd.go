package main

import (
	"context"
	"fmt"
	"os"
	"os/user"

	"github.com/spf13/cobra"

	"smsgw/app"
	"smsgw/store"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "The tamper-evident audit log (日志审计)"}
	var data string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check the audit log's keyed hash chain and its signed anchor: exits 1 naming the first edited or deleted entry, a deleted tail or a wiped log",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openExisting(cmd.Context(), data)
			if err != nil {
				return err
			}
			defer db.Close()
			n, err := db.VerifyAudit(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit log intact: %d entries\n", n)
			return nil
		},
	}
	verify.Flags().StringVar(&data, "data", "./data", "data folder")
	cmd.AddCommand(verify)
	return cmd
}

// auditCLI records a change made from the command line.
func auditCLI(ctx context.Context, db *store.DB, action, target, summary string) error {
	actor := "cli"
	if u, err := user.Current(); err == nil {
		actor += ":" + u.Username
	}
	// Not cancelled with the command (Ctrl-C after the change): the change
	// is made, its entry must be written too.
	return db.Audit(context.WithoutCancel(ctx), &app.AuditEntry{Actor: actor, Role: app.RoleSysadmin, Action: action, Target: target,
		Summary: summary, Result: "ok"})
}

// openExisting opens the database of the data folder, which must exist:
// a wrong folder is an error, not a new empty database to verify or count.
func openExisting(ctx context.Context, data string) (*store.DB, error) {
	if _, err := os.Stat(dbPath(data)); err != nil {
		return nil, fmt.Errorf("没有找到数据库 %s：请用 --data 指定数据目录 (%w)", dbPath(data), err)
	}
	return store.Open(ctx, store.Options{Path: dbPath(data)})
}
