package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func newStatsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "stats", Short: "The statistics counters (统计报表)"}
	var data, from, to string
	rebuild := &cobra.Command{
		Use:   "rebuild",
		Short: "Recount the statistics of the days --from..--to (YYYY-MM-DD, platform time) from message detail; days whose detail was pruned are refused",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openExisting(cmd.Context(), data)
			if err != nil {
				return err
			}
			defer db.Close()
			loc := db.Location()
			f, err := time.ParseInLocation("2006-01-02", from, loc)
			if err != nil {
				return fmt.Errorf("--from: 日期格式应为 YYYY-MM-DD: %w", err)
			}
			t, err := time.ParseInLocation("2006-01-02", to, loc)
			if err != nil {
				return fmt.Errorf("--to: 日期格式应为 YYYY-MM-DD: %w", err)
			}
			n, err := db.RebuildStats(cmd.Context(), f, t)
			if err != nil {
				return err
			}
			if err := auditCLI(cmd.Context(), db, "stats.rebuild", from+".."+to, fmt.Sprintf("rebuilt statistics of %s..%s: %d messages", from, to, n)); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "statistics of %s..%s rebuilt: %d messages counted\n", from, to, n)
			return nil
		},
	}
	rebuild.Flags().StringVar(&data, "data", "./data", "data folder")
	rebuild.Flags().StringVar(&from, "from", "", "first day, YYYY-MM-DD (required)")
	rebuild.Flags().StringVar(&to, "to", "", "last day, YYYY-MM-DD (required)")
	rebuild.MarkFlagRequired("from")
	rebuild.MarkFlagRequired("to")
	cmd.AddCommand(rebuild)
	return cmd
}
