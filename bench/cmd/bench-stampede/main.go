// Command bench-stampede prints, as JSON lines, what one hot key's expiries
// cost a backing store and its callers under plain cache-aside, the seed
// article's lock-and-poll recipe and redhot's stampede package, against a
// throwaway redis-server. See package bench/stampede.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/redhot/redhot/bench/stampede"
)

func main() {
	quick := flag.Bool("quick", false, "a small run (100 callers, 50 ms loader, 6 TTLs of 500 ms)")
	beta := flag.Float64("beta", 0, "redhot's stampede.Options.Beta: how many loader runs ahead of expiry a refresh aims to finish (0: the library default, 1)")
	flag.Parse()
	cfg := stampede.Full
	if *quick {
		cfg = stampede.Quick
	}
	cfg.Beta = *beta
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := stampede.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench-stampede: %v\n", err)
		os.Exit(1)
	}
}
