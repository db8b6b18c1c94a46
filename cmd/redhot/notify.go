package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/redhot/redhot/inspect"
)

func newNotifyCmd(e env) *cobra.Command {
	var (
		c connFlags
		o inspect.NotifyOptions
	)
	cmd := &cobra.Command{
		Use:     "notify",
		Aliases: []string{"keyspace"},
		Short:   "Rank keys by write events from keyspace notifications",
		Long: `notify subscribes to __keyspace@<db>__:<pattern> on every primary for
--duration and lists the keys with the most write events. Notifications
only report writes (and expirations and evictions): reads are invisible.

It needs notify-keyspace-events with K and event classes. Otherwise it says
so and stops; --allow-config-change adds KA for the run and restores the
old value on exit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runInspection(cmd, e, &c, func(ctx context.Context, t *inspect.Target, p inspect.Progress) (inspect.Report, error) {
				o.Progress = p
				return inspect.Notify(ctx, t, o)
			})
		},
	}
	f := cmd.Flags()
	c.register(cmd)
	f.IntVarP(&o.Top, "top", "n", 20, "how many keys to list")
	f.DurationVar(&o.Duration, "duration", 10*time.Second, "how long to listen")
	f.StringVar(&o.Pattern, "pattern", "*", "keys to listen to (glob)")
	f.BoolVar(&o.AllowConfigChange, "allow-config-change", false, "turn keyspace events on for the run if needed (restored on exit)")
	return cmd
}
