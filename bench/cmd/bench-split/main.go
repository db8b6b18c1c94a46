// Command bench-split prints, as one JSON object, how evenly a write-hot
// counter and a read-hot value load the primaries of a throwaway 3-primary
// Redis Cluster without and with redhot's split package, and a read-hot
// key the nodes of a primary with 2 replicas without and with its replica
// package. See package bench/split.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/redhot/redhot/bench/split"
)

func main() {
	quick := flag.Bool("quick", false, "a small run (400ms per phase instead of 3s)")
	phase := flag.Duration("phase", 0, "how long each phase runs (default 3s, 400ms with -quick)")
	clients := flag.Int("clients", 0, "concurrent clients (default 16)")
	flag.Parse()
	cfg := split.Full
	if *quick {
		cfg = split.Quick
	}
	if *phase > 0 {
		cfg.Phase = *phase
	}
	if *clients > 0 {
		cfg.Clients = *clients
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := split.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench-split: %v\n", err)
		os.Exit(1)
	}
}
