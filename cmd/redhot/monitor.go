package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/redhot/redhot/inspect"
)

func newMonitorCmd(e env) *cobra.Command {
	var (
		c connFlags
		o inspect.MonitorOptions
	)
	cmd := &cobra.Command{
		Use:   "monitor",
		Short: "Sample live traffic with MONITOR and rank keys by access rate",
		Long: `monitor runs MONITOR on every primary (and replica, with --replicas) for
--duration or --max-commands, finds the keys of every command from the
server's command key specs, and lists the hottest keys with their rates,
read/write split, top commands and top clients. Values are never printed
unless --show-values, which adds a recent command line of each key, values
and all: they may be secrets, so keep that output private.

MONITOR is costly: the server formats every command it runs for redhot,
which can halve a busy server's throughput while it runs. Keep it short.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInspection(cmd, e, &c, func(ctx context.Context, t *inspect.Target, p inspect.Progress) (inspect.Report, error) {
				o.Progress = p
				return inspect.Monitor(ctx, t, o)
			})
		},
	}
	f := cmd.Flags()
	c.register(cmd)
	f.IntVarP(&o.Top, "top", "n", 20, "how many keys to list")
	f.DurationVar(&o.Duration, "duration", 10*time.Second, "how long to sample")
	f.Int64Var(&o.MaxCommands, "max-commands", 0, "stop after this many commands (0: no limit)")
	f.BoolVar(&o.ShowValues, "show-values", false, "also print a recent command line of each key, values included (they may be secrets)")
	return cmd
}
