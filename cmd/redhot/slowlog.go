package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/redhot/redhot/inspect"
)

func newSlowlogCmd(e env) *cobra.Command {
	var (
		c connFlags
		o inspect.SlowlogOptions
	)
	cmd := &cobra.Command{
		Use:   "slowlog",
		Short: "Aggregate the slow logs of every node by key and by command",
		Long: `slowlog reads SLOWLOG GET on every node, finds the keys of each logged
command, and aggregates the entries by key and by command: count, total and
maximum duration.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInspection(cmd, e, &c, func(ctx context.Context, t *inspect.Target, _ inspect.Progress) (inspect.Report, error) {
				return inspect.Slowlog(ctx, t, o)
			})
		},
	}
	f := cmd.Flags()
	c.register(cmd)
	f.IntVarP(&o.Top, "top", "n", 20, "how many keys and commands to list")
	f.Int64Var(&o.Entries, "entries", 0, "newest entries to read per node (0: all)")
	return cmd
}
