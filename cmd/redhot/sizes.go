package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/redhot/redhot/inspect"
)

func newBigkeysCmd(e env) *cobra.Command {
	var (
		c connFlags
		s scanFlags
		o inspect.BigkeysOptions
	)
	cmd := &cobra.Command{
		Use:   "bigkeys",
		Short: "Find the largest keys of each type by length",
		Long: `bigkeys scans every primary (or a replica of each, with --replicas) and lists
the largest keys of each type: strings by STRLEN, lists by LLEN, hashes by
HLEN, sets by SCARD, sorted sets by ZCARD, streams by XLEN (all O(1)), and
module types by MEMORY USAGE.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInspection(cmd, e, &c, func(ctx context.Context, t *inspect.Target, p inspect.Progress) (inspect.Report, error) {
				o.Scan = s.options(p)
				return inspect.Bigkeys(ctx, t, o)
			})
		},
	}
	f := cmd.Flags()
	c.register(cmd)
	s.register(cmd)
	f.IntVarP(&o.Top, "top", "n", 10, "how many keys to list per type")
	return cmd
}

func newMemkeysCmd(e env) *cobra.Command {
	var (
		c connFlags
		s scanFlags
		o inspect.MemkeysOptions
	)
	cmd := &cobra.Command{
		Use:   "memkeys",
		Short: "Find the keys that use the most memory",
		Long: `memkeys scans every primary (or a replica of each, with --replicas) and lists
the keys that use the most memory by MEMORY USAGE, per type and overall.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInspection(cmd, e, &c, func(ctx context.Context, t *inspect.Target, p inspect.Progress) (inspect.Report, error) {
				o.Scan = s.options(p)
				return inspect.Memkeys(ctx, t, o)
			})
		},
	}
	f := cmd.Flags()
	c.register(cmd)
	s.register(cmd)
	f.IntVarP(&o.Top, "top", "n", 10, "how many keys to list per type and overall")
	f.IntVar(&o.Samples, "samples", 5, "MEMORY USAGE SAMPLES: elements sampled per collection (-1: all, exact but O(N))")
	return cmd
}
