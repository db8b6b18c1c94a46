// Package inspect measures `redhot hotkeys` and `redhot monitor` against
// redis-cli on a throwaway redis-server, in one run. It backs
// `make bench-inspect`.
//
// The hot key comparison fills an allkeys-lfu server with Zipf traffic
// (s = 1.0), then runs `redhot hotkeys -n 16` and `redis-cli --hotkeys` on
// the same data as separate processes, several times each, interleaved.
// It reports each tool's recall of the true 16 most accessed keys (exact
// counts of the generated trace) and its median wall time, process start
// included. It does so for each key space size of Config.Sweep (10k, 100k
// and 1M keys by default) with the same number of accesses, so that the
// times show how each tool grows with the key space.
//
// The throughput comparison drives the server with a go-redis load
// generator (pipelined GET and SET on Zipf keys) and measures the commands
// per second the server processed (INFO total_commands_processed deltas)
// with no sampler, while `redhot monitor` samples it, and while
// `redis-cli monitor > /dev/null` does, one phase after the other on the
// same server, in the order none, redhot, redis-cli, redis-cli, redhot,
// none; each figure is the mean of its two phases, so that a drift of the
// machine during the run favours no sampler.
package inspect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/redhot/redhot/bench/internal/harness"
	"github.com/redhot/redhot/internal/redistest"
)

// Config sizes a run.
type Config struct {
	// Keys is the number of keys in the server for the throughput
	// comparison.
	Keys int
	// Sweep lists the key space sizes of the hot key comparison, smallest
	// first.
	Sweep []int
	// Accesses is the number of Zipf GETs sent before the hot key scans,
	// whatever the key space size.
	Accesses int
	// Runs is how many times each hot key tool runs; the median time is
	// reported.
	Runs int
	// Phase is how long each throughput phase is measured.
	Phase time.Duration
	// Workers is the number of load generator goroutines.
	Workers int
}

// Full is the configuration of `make bench-inspect`.
var Full = Config{Keys: 100_000, Sweep: []int{10_000, 100_000, 1_000_000}, Accesses: 3_000_000, Runs: 5, Phase: 5 * time.Second, Workers: 8}

// Quick is a small configuration for tests.
var Quick = Config{Keys: 10_000, Sweep: []int{2_000, 10_000}, Accesses: 300_000, Runs: 1, Phase: time.Second, Workers: 4}

// CapSweep returns cfg with the sizes of its Sweep above max left out
// (max <= 0 leaves it as is).
func (cfg Config) CapSweep(max int) Config {
	if max <= 0 {
		return cfg
	}
	var s []int
	for _, n := range cfg.Sweep {
		if n <= max {
			s = append(s, n)
		}
	}
	cfg.Sweep = s
	return cfg
}

func (cfg Config) validate() error {
	switch {
	case cfg.Keys < 1 || cfg.Accesses < 1 || cfg.Runs < 1 || cfg.Workers < 1 || cfg.Phase <= 0:
		return fmt.Errorf("inspect: Keys, Accesses, Runs, Workers and Phase must be positive: %+v", cfg)
	case len(cfg.Sweep) == 0:
		return fmt.Errorf("inspect: no key space size to sweep (is the cap below the smallest, %d?)", Full.Sweep[0])
	}
	for _, n := range cfg.Sweep {
		if n < 16 {
			return fmt.Errorf("inspect: Sweep size %d; want at least 16 keys", n)
		}
	}
	return nil
}

// HotkeysResult is one JSON line of the hot key comparison.
type HotkeysResult struct {
	Tool       string  `json:"tool"`
	Keys       int     `json:"keys"`
	Accesses   int     `json:"accesses"`
	RecallAt16 float64 `json:"recall_at_16"`
	Seconds    float64 `json:"seconds"`
	Runs       int     `json:"runs"`
}

// ThroughputResult is one JSON line of the throughput comparison.
type ThroughputResult struct {
	Sampler   string  `json:"sampler"`
	OpsPerSec float64 `json:"ops_per_sec"`
}

// Run runs the comparisons of cfg and writes one JSON object per line to
// w: the two hot key tools, then the three samplers.
func Run(ctx context.Context, cfg Config, w io.Writer) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-inspect-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tools, err := buildTools(ctx, dir)
	if err != nil {
		return err
	}
	srv, err := redistest.Start(ctx, redistest.ServerOptions{Config: []string{"maxmemory-policy allkeys-lfu"}})
	if err != nil {
		return err
	}
	defer srv.Close()
	enc := json.NewEncoder(w)
	for _, n := range cfg.Sweep {
		hot, err := compareHotkeys(ctx, cfg, n, srv, tools)
		if err != nil {
			return fmt.Errorf("hot keys, %d keys: %w", n, err)
		}
		for _, r := range hot {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	}
	tp, err := compareThroughput(ctx, cfg, srv, tools)
	if err != nil {
		return fmt.Errorf("throughput: %w", err)
	}
	for _, r := range tp {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// tools are the binaries compared.
type tools struct {
	redhot   string
	redisCLI string
}

// buildTools builds redhot into dir and finds redis-cli.
func buildTools(ctx context.Context, dir string) (tools, error) {
	var t tools
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return t, fmt.Errorf("redis-cli not found (run make redis): %w", err)
	}
	t.redisCLI = cli
	t.redhot, err = harness.BuildRedhot(ctx, dir)
	return t, err
}
