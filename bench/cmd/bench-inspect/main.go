// Command bench-inspect prints, as JSON lines, how `redhot hotkeys`
// compares with `redis-cli --hotkeys` (recall of the true top 16 and wall
// time) and the throughput a server keeps while `redhot monitor` and
// `redis-cli monitor` sample it. See package inspect.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/redhot/redhot/bench/inspect"
)

func main() {
	quick := flag.Bool("quick", false, "a small run (10k keys, 1s phases)")
	flag.Parse()
	cfg := inspect.Full
	if *quick {
		cfg = inspect.Quick
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := inspect.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench-inspect: %v\n", err)
		os.Exit(1)
	}
}
