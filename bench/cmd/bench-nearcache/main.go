// Command bench-nearcache prints, as one JSON object, how redhot's near
// cache performs against a throwaway redis-server: the cost of a hit
// through go-redis with and without redhot, through rueidis's client-side
// cache and through the direct Get; the share of Zipf reads served
// locally; the hook's cost on cold keys; and how long another client's
// write stays invisible. See package nearcache for each field.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/redhot/redhot/bench/nearcache"
)

func main() {
	quick := flag.Bool("quick", false, "a run of a few seconds (10k keys, short phases)")
	flag.Parse()
	cfg := nearcache.Full
	if *quick {
		cfg = nearcache.Quick
	}
	if err := nearcache.Run(context.Background(), cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench-nearcache: %v\n", err)
		os.Exit(1)
	}
}
