// Command bench-detect prints, as JSON lines, how redhot's heat tracker
// compares with exact counting and with published Go top-k libraries on
// Zipf traces and a step change. See package detect.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/redhot/redhot/bench/detect"
)

func main() {
	quick := flag.Bool("quick", false, "a small run (50k keys, 300k accesses)")
	flag.Parse()
	cfg := detect.Full
	if *quick {
		cfg = detect.Quick
	}
	if err := detect.Run(cfg, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "bench-detect: %v\n", err)
		os.Exit(1)
	}
}
