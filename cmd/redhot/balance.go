package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/redhot/redhot/inspect"
)

func newBalanceCmd(e env) *cobra.Command {
	var (
		c connFlags
		o inspect.BalanceOptions
	)
	cmd := &cobra.Command{
		Use:   "balance",
		Short: "Compare the load of the nodes and the spread of keys over slots",
		Long: `balance samples INFO on every node twice, --interval apart, and shows each
node's ops/s, reads and writes per second, network in and out, memory, keys
and clients; flags primaries over twice the mean; gives each replica's
share of its group's reads; and in a cluster samples keys per slot with
CLUSTER COUNTKEYSINSLOT and shows CLUSTER SLOT-STATS where the server has it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInspection(cmd, e, &c, func(ctx context.Context, t *inspect.Target, p inspect.Progress) (inspect.Report, error) {
				o.Progress = p
				return inspect.Balance(ctx, t, o)
			})
		},
	}
	f := cmd.Flags()
	c.register(cmd)
	f.DurationVar(&o.Interval, "interval", 5*time.Second, "time between the two INFO samples")
	f.IntVar(&o.SlotSample, "slot-sample", 1024, "slots per primary to count keys in (-1: all)")
	f.Float64Var(&o.MaxOpsPerSec, "max-ops-per-sec", 0, "at most this many COUNTKEYSINSLOT per second per node (0: no limit)")
	f.IntVarP(&o.Top, "top", "n", 10, "how many of the fullest slots to list")
	return cmd
}
