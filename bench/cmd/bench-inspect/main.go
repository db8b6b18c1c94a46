// Command bench-inspect prints, as JSON lines, how `redhot hotkeys`
// compares with `redis-cli --hotkeys` (recall of the true top 16 and wall
// time, as the key space grows from 10k to 1M keys) and the throughput a server keeps while `redhot monitor` and
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
	quick := flag.Bool("quick", false, "a small run (2k and 10k keys, 1s phases)")
	maxKeys := flag.Int("max-keys", 0, "leave out the hot key sweep's key spaces larger than this (default: none; the sweep is 10k, 100k, 1M)")
	flag.Parse()
	cfg := inspect.Full
	if *quick {
		cfg = inspect.Quick
	}
	cfg = cfg.CapSweep(*maxKeys)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := inspect.Run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench-inspect: %v\n", err)
		os.Exit(1)
	}
}
