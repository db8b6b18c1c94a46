package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/redhot/redhot/internal/demo"
)

func newDemoCmd() *cobra.Command {
	var (
		o     demo.Options
		quick bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Watch redhot find a key that goes viral, on a throwaway redis-server",
		Long: `demo starts a throwaway redis-server (or uses --url), sends Zipf traffic
through a go-redis client, makes product:viral take 10% of the traffic a
quarter of the way in, and shows live what redhot's heat tracker sees.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if quick && !cmd.Flags().Changed("duration") {
				o.Duration = 6 * time.Second
			}
			o.Out = os.Stdout
			o.TTY = term.IsTerminal(int(os.Stdout.Fd()))
			sum, err := demo.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			if cmd.Context().Err() == nil && !sum.Detected {
				return fmt.Errorf("the viral key was not detected")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.URL, "url", "u", "", "Redis URL to use instead of a throwaway server (redis://host:port)")
	f.DurationVar(&o.Duration, "duration", 20*time.Second, "how long to run")
	f.DurationVar(&o.ViralAt, "viral-at", 0, "when the viral key appears (default a quarter of --duration)")
	f.IntVar(&o.Workers, "workers", 8, "goroutines sending traffic")
	f.BoolVar(&quick, "quick", false, "a short run (6s)")
	return cmd
}
