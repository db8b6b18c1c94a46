package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/redhot/redhot/internal/demo"
)

func newDemoCmd() *cobra.Command {
	var o demo.Options
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Watch redhot find and defuse the hot keys of a flash sale on a Redis Cluster",
		Long: `demo starts an embedded Redis Cluster (3 primaries with a replica each,
real redis-server processes in a temporary directory, removed on exit)
unless --url points at one, and tells a story in phases: steady Zipf
traffic; a flash sale (a viral product and its stock level, an order
counter, a feature flag read by everyone, an expensive price list); redhot
flagging each key; and the same traffic again with mitigation on (near
cache, split counter, stampede guard, replica reads). It shows each
primary's commands/s and the clients' p99 live, ends with a before/after
summary and writes an HTML report with charts and PNGs to --report
(default a new temporary directory).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Out = cmd.OutOrStdout()
			if f, ok := o.Out.(*os.File); ok {
				o.TTY = term.IsTerminal(int(f.Fd()))
			}
			sum, err := demo.Run(cmd.Context(), o)
			if errors.Is(err, demo.ErrInvalidOptions) {
				return hintError{err, "run 'redhot demo --help' for the flags and their ranges"}
			}
			if err != nil {
				return err
			}
			if sum.Interrupted {
				return errInterrupted
			}
			for _, k := range sum.Keys {
				if !k.Detected {
					return hintError{fmt.Errorf("redhot did not flag %s hot", k.Key),
						"a busy machine may not reach the offered rate: try a lower --rate, or --keys"}
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.URL, "url", "u", "", "a Redis Cluster (any node) or server to use instead of an embedded cluster")
	f.BoolVar(&o.Quick, "quick", false, "a short run: 10s of traffic over 20,000 keys")
	f.DurationVar(&o.Duration, "duration", 0, "how long the traffic runs (default 45s, 10s with --quick)")
	f.Float64Var(&o.Rate, "rate", 0, "commands per second the clients offer (default 6000)")
	f.IntVar(&o.Keys, "keys", 0, "product keys in the background traffic (default 100000, 20000 with --quick)")
	f.IntVar(&o.Workers, "workers", 0, "goroutines sending commands (default 24)")
	f.IntVar(&o.Primaries, "primaries", 0, "primaries of the embedded cluster (default 3)")
	f.IntVar(&o.Replicas, "replicas", 1, "replicas per primary of the embedded cluster (0 for none)")
	f.StringVar(&o.ReportDir, "report", "", "folder for the HTML report and PNGs (default a new temporary directory)")
	f.DurationVar(&o.Interval, "interval", 0, "how often load and latency are sampled (default 500ms)")
	return cmd
}
