// Command bench-fleet prints, as one JSON object, how long a key that
// turns hot across a fleet of instances (while only warm on each) takes to
// be known to every instance through redhot's fleet stream, against a
// throwaway redis-server. See package bench/fleet.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/redhot/redhot/bench/fleet"
)

func main() {
	quick := flag.Bool("quick", false, "a small run (8 trials instead of 100)")
	instances := flag.Int("instances", 0, "fleet members (default 8)")
	trials := flag.Int("trials", 0, "keys that turn hot, one after another (default 100, 8 with -quick)")
	interval := flag.Duration("interval", 0, "publish interval of each member (default 250ms)")
	flag.Parse()
	cfg := fleet.Full
	if *quick {
		cfg = fleet.Quick
	}
	if *instances > 0 {
		cfg.Instances = *instances
	}
	if *trials > 0 {
		cfg.Trials = *trials
	}
	if *interval > 0 {
		cfg.Interval = *interval
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := fleet.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench-fleet: %v\n", err)
		os.Exit(1)
	}
}
