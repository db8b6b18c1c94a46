package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/redhot/redhot/inspect"
)

func newHotkeysCmd(e env) *cobra.Command {
	var (
		c        connFlags
		s        scanFlags
		o        inspect.HotkeysOptions
		method   string
		duration time.Duration
	)
	cmd := &cobra.Command{
		Use:   "hotkeys",
		Short: "Find the most accessed keys from the server's LFU counters",
		Long: `hotkeys scans every primary (or a replica of each, with --replicas) with
SCAN and OBJECT FREQ in pipelined batches and lists the keys with the highest
LFU counters, with the range of accesses each counter stands for.

It needs maxmemory-policy allkeys-lfu or volatile-lfu. Otherwise it says so
and stops; --allow-config-change switches the policy to its LFU variant for
the run (after --warmup, so counters can build) and restores it on exit.

--method server uses the server's own HOTKEYS command (Redis 8.6+) instead,
tracking CPU time and network bytes per key for --duration.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch method {
			case "lfu":
				return runInspection(cmd, e, &c, func(ctx context.Context, t *inspect.Target, p inspect.Progress) (inspect.Report, error) {
					o.Scan = s.options(p)
					return inspect.Hotkeys(ctx, t, o)
				})
			case "server":
				return runInspection(cmd, e, &c, func(ctx context.Context, t *inspect.Target, p inspect.Progress) (inspect.Report, error) {
					return inspect.ServerHotkeys(ctx, t, inspect.ServerHotkeysOptions{Duration: duration, Top: o.Top, Progress: p})
				})
			}
			return usageError{fmt.Errorf("--method %q: use lfu or server", method)}
		},
	}
	f := cmd.Flags()
	c.register(cmd)
	s.register(cmd)
	f.IntVarP(&o.Top, "top", "n", 20, "how many keys to list")
	f.StringVar(&method, "method", "lfu", "lfu (SCAN + OBJECT FREQ) or server (HOTKEYS, Redis 8.6+)")
	f.BoolVar(&o.AllowConfigChange, "allow-config-change", false, "switch maxmemory-policy to LFU for the run if needed (restored on exit)")
	f.DurationVar(&o.Warmup, "warmup", time.Minute, "with --allow-config-change: wait this long for counters to build before scanning")
	f.DurationVar(&duration, "duration", 10*time.Second, "with --method server: how long the server tracks")
	return cmd
}
