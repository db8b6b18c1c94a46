// Command soak runs the redhot middleware under mixed load with faults
// against throwaway redis-server processes and prints one JSON line per
// sample and a verdict line (see package internal/soak). It exits with
// status 1 when the verdict finds growth or a correctness error, and 2
// when the run could not start.
//
//	go run ./internal/soak/cmd/soak -duration 10m
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/redhot/redhot/internal/soak"
)

func main() {
	var o soak.Options
	flag.DurationVar(&o.Duration, "duration", 0, "how long the load runs (default 10m)")
	flag.DurationVar(&o.SampleEvery, "sample", 0, "time between samples (default 5s)")
	flag.DurationVar(&o.WarmUp, "warmup", 0, "start of the run left out of the growth verdict (default a fifth of -duration)")
	flag.DurationVar(&o.FaultEvery, "fault-every", 0, "time between faults, negative for none (default 30s)")
	flag.IntVar(&o.Keys, "keys", 0, "number of keys (default 10000)")
	flag.IntVar(&o.Workers, "workers", 0, "goroutines sending commands (default 4)")
	flag.Float64Var(&o.Rate, "rate", 0, "operations per second, all workers together (default 4000)")
	flag.DurationVar(&o.MaxStaleness, "max-staleness", 0, "the near cache's staleness bound (default 250ms)")
	verbose := flag.Bool("v", false, "log faults and connection events to stderr")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "soak: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	o.Out = os.Stdout
	if *verbose {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	v, err := soak.Run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if !v.OK {
		for _, r := range v.Reasons {
			fmt.Fprintln(os.Stderr, "soak:", r)
		}
		os.Exit(1)
	}
}
