package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"smsgw/store"
)

func newCheckCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the database file in full (SQLite integrity_check) and that secret.key opens its stored secrets",
		Long: "check reads every page of DIR/smsgw.db and every index against its table, then checks that\n" +
			"DIR/secret.key opens the channel passwords and API secrets stored with it. It writes nothing and\n" +
			"may run beside the server. It exits 1 when the database is damaged (restore it: smsgw restore)\n" +
			"or the key does not fit (copy the secret.key backed up at install).",
		Example: "  smsgw check --data /var/lib/smsgw",
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := dbPath(data)
			r, err := store.Check(cmd.Context(), path, "")
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(r.Problems) > 0 {
				for _, p := range r.Problems {
					fmt.Fprintln(out, p)
				}
				return store.Damaged(path, r.Problems)
			}
			fmt.Fprintf(out, "数据库完好 (database ok): %s, %d pages, integrity_check took %s\n", path, r.Pages, r.Took.Round(time.Millisecond))
			if r.KeyErr != nil {
				return r.KeyErr
			}
			if r.Secrets == 0 {
				fmt.Fprintln(out, "密钥 (key): nothing is stored sealed yet")
			} else {
				fmt.Fprintf(out, "密钥可用 (key ok): %s opens the %d stored secrets\n", filepath.Join(data, "secret.key"), r.Secrets)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "./data", "data folder (holds smsgw.db and secret.key)")
	return cmd
}
