// Command bench-overhead prints, as JSON lines, what hot key detection
// costs a Redis server under a fixed client load: no detector, redhot's
// go-redis middleware on the load client, `redhot monitor` and `redis-cli
// monitor`. See package bench/overhead.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/redhot/redhot/bench/overhead"
)

func main() {
	quick := flag.Bool("quick", false, "a small run (10k keys, 4 workers, 0.5 s phases)")
	workers := flag.Int("workers", 0, "load goroutines and connections (default 8, 4 with -quick)")
	pipeline := flag.Int("pipeline", 0, "commands per round trip, 1 for single commands (default: 1 then 32; 16 with -quick)")
	phase := flag.Duration("phase", 0, "how long each phase is measured (default 3s, 500ms with -quick)")
	rounds := flag.Int("rounds", 0, "rounds of two phases per detector; medians are reported (default 3, 1 with -quick)")
	flag.Parse()
	cfg := overhead.Full
	if *quick {
		cfg = overhead.Quick
	}
	if *workers != 0 {
		cfg.Workers = *workers
	}
	if *pipeline != 0 {
		cfg.Pipelines = []int{*pipeline}
	}
	if *rounds != 0 {
		cfg.Rounds = *rounds
	}
	if *phase != 0 {
		cfg.Phase = *phase
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := overhead.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench-overhead: %v\n", err)
		os.Exit(1)
	}
}
