package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/redhot/redhot/inspect"
)

func newPatternsCmd(e env) *cobra.Command {
	var (
		c connFlags
		s scanFlags
		o inspect.PatternsOptions
	)
	cmd := &cobra.Command{
		Use:   "patterns",
		Short: "Break memory and key counts down by key pattern",
		Long: `patterns samples keys, measures them with MEMORY USAGE and groups them by
pattern: the --pattern globs given (a key counts for the first it matches),
or patterns inferred from the keys, where numbers, UUIDs, hashes and dates
become * (user:1001:profile and user:77:profile give user:*:profile).
Counts and sizes are extrapolated from the sample to the whole keyspace.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInspection(cmd, e, &c, func(ctx context.Context, t *inspect.Target, p inspect.Progress) (inspect.Report, error) {
				o.Scan = s.options(p)
				return inspect.Patterns(ctx, t, o)
			})
		},
	}
	f := cmd.Flags()
	c.register(cmd)
	s.register(cmd)
	f.StringArrayVar(&o.Patterns, "pattern", nil, "a glob to group keys by (repeatable; default: infer patterns)")
	f.Int64Var(&o.Sample, "sample", 10_000, "keys to measure in all (-1: every key)")
	f.IntVar(&o.Samples, "samples", 5, "MEMORY USAGE SAMPLES (-1: all elements)")
	f.IntVarP(&o.Top, "top", "n", 30, "how many patterns to list")
	return cmd
}
