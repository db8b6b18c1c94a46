// Package overhead measures what hot key detection costs a Redis server
// and the application driving it. It backs `make bench-overhead`.
//
// One go-redis client (a pool of Workers connections) drives a throwaway
// redis-server with a fixed load: Workers goroutines, each sending
// pipelines of P commands (90% GET, 10% SET) on Zipf keys, as fast as the
// replies come back, for each P of Pipelines (1: single commands). The same load runs with each detector in turn:
//
//   - none: the load alone;
//   - redhot-middleware: redhot's go-redis middleware attached to the load
//     client with its near cache off, so that it only observes (the
//     detection a service gets from the library);
//   - redhot-monitor: `redhot monitor` sampling the server with MONITOR;
//   - redis-cli-monitor: `redis-cli monitor > /dev/null`.
//
// Each phase reports the commands per second the application completed,
// the commands per second the server processed (INFO total_commands_processed
// deltas over the server's own clock) and the server's CPU time per command
// (INFO used_cpu_user + used_cpu_sys deltas), which shows MONITOR's cost
// even when the server is not the bottleneck. A round runs the phases in
// the order none, middleware, redhot-monitor, redis-cli-monitor, then back
// in reverse, and takes the mean of each detector's two phases, so that the
// machine's drift over the round favours no detector. Each ratio to none
// is computed within a round; the report gives the median over Rounds
// rounds, and the smallest and largest, so that a noisy machine shows as a
// wide range rather than a wrong figure.
package overhead

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot"
	"github.com/redhot/redhot/bench/internal/harness"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/internal/workload"
)

// Config sizes a run.
type Config struct {
	// Keys is the Zipf (s = 1.0) key space.
	Keys int
	// Workers is the number of load goroutines and pooled connections.
	Workers int
	// Pipelines lists the numbers of commands each worker sends per
	// round trip, one load shape each; 1 sends single commands.
	Pipelines []int
	// Warmup is how long the load runs in each phase before it is
	// measured; Phase is how long it is measured.
	Warmup, Phase time.Duration
	// Rounds is the number of rounds (two phases per detector each).
	Rounds int
}

// Full is the configuration of `make bench-overhead`.
var Full = Config{Keys: 100_000, Workers: 8, Pipelines: []int{1, 32}, Warmup: time.Second, Phase: 3 * time.Second, Rounds: 3}

// Quick is a small configuration for tests.
var Quick = Config{Keys: 10_000, Workers: 4, Pipelines: []int{16}, Warmup: 200 * time.Millisecond, Phase: 500 * time.Millisecond, Rounds: 1}

func (c Config) validate() error {
	switch {
	case c.Keys < 1:
		return fmt.Errorf("overhead: Keys = %d; want at least 1", c.Keys)
	case c.Workers < 1:
		return fmt.Errorf("overhead: Workers = %d; want at least 1", c.Workers)
	case len(c.Pipelines) == 0:
		return errors.New("overhead: no Pipelines; want at least one load shape")
	case c.Rounds < 1:
		return fmt.Errorf("overhead: Rounds = %d; want at least 1", c.Rounds)
	case c.Warmup < 0 || c.Phase <= 0:
		return fmt.Errorf("overhead: Warmup = %v, Phase = %v; want Warmup >= 0 and Phase > 0", c.Warmup, c.Phase)
	}
	for _, p := range c.Pipelines {
		if p < 1 {
			return fmt.Errorf("overhead: Pipelines has %d; want at least 1", p)
		}
	}
	return nil
}

// Detectors are the detectors compared, in the order they are reported.
var Detectors = []string{"none", "redhot-middleware", "redhot-monitor", "redis-cli-monitor"}

// Result is one JSON line: one detector's figures for one load shape,
// medians over the rounds.
type Result struct {
	Detector         string  `json:"detector"`
	AppOpsPerSec     float64 `json:"app_ops_per_sec"`
	ServerOpsPerSec  float64 `json:"server_ops_per_sec"`
	ServerCPUUsPerOp float64 `json:"server_cpu_us_per_op"`
	// The same divided by the figures with no detector of the same
	// round: the median, the smallest and the largest over the rounds.
	AppOpsRatio    float64 `json:"app_ops_ratio"`
	AppOpsRatioMin float64 `json:"app_ops_ratio_min"`
	AppOpsRatioMax float64 `json:"app_ops_ratio_max"`
	ServerOpsRatio float64 `json:"server_ops_ratio"`
	CPUPerOpRatio  float64 `json:"server_cpu_per_op_ratio"`
	CPURatioMin    float64 `json:"server_cpu_per_op_ratio_min"`
	CPURatioMax    float64 `json:"server_cpu_per_op_ratio_max"`
	// TopKeyFound says the middleware's tracker ranked the workload's
	// hottest key first at the end of each of its phases (middleware only).
	TopKeyFound *bool   `json:"top_key_found,omitempty"`
	Keys        int     `json:"keys"`
	Workers     int     `json:"workers"`
	Pipeline    int     `json:"pipeline"`
	PhaseSec    float64 `json:"phase_s"`
	Rounds      int     `json:"rounds"`
	Note        string  `json:"note,omitempty"`
}

var notes = map[string]string{
	"none":              "the load alone",
	"redhot-middleware": "redhot.New on the load client, DisableCache: every command observed, nothing served locally",
	"redhot-monitor":    "redhot monitor -u redis://… (MONITOR, output discarded)",
	"redis-cli-monitor": "redis-cli monitor > /dev/null",
}

// Run measures every detector against a new redis-server and writes one
// JSON line per detector to w.
func Run(ctx context.Context, cfg Config, w io.Writer) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return fmt.Errorf("redis-cli not found (run make redis): %w", err)
	}
	dir, err := os.MkdirTemp("", "bench-overhead-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	redhotBin, err := harness.BuildRedhot(ctx, dir)
	if err != nil {
		return err
	}
	srv, err := redistest.Start(ctx, redistest.ServerOptions{})
	if err != nil {
		return err
	}
	defer srv.Close()
	admin := srv.Client()
	defer admin.Close()

	gen, err := workload.NewZipf(workload.ZipfOptions{S: 1.0, N: cfg.Keys, RankOrder: true})
	if err != nil {
		return err
	}
	if err := fill(ctx, admin, gen, cfg.Keys); err != nil {
		return fmt.Errorf("fill: %w", err)
	}
	host, port, _ := strings.Cut(srv.Addr(), ":")
	samplers := map[string][]string{
		"redhot-monitor":    {redhotBin, "monitor", "-u", "redis://" + srv.Addr(), "--duration", "1h", "-o", "json"},
		"redis-cli-monitor": {cli, "-h", host, "-p", port, "monitor"},
	}

	enc := json.NewEncoder(w)
	for _, pl := range cfg.Pipelines {
		rs, err := compare(ctx, cfg, pl, srv, admin, gen.Key(0), samplers)
		if err != nil {
			return fmt.Errorf("pipeline %d: %w", pl, err)
		}
		for _, r := range rs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// compare runs every detector's phases with pipelines of pl commands.
func compare(ctx context.Context, cfg Config, pl int, srv *redistest.Server, admin *redis.Client, hottest string, samplers map[string][]string) ([]Result, error) {
	// rounds[d][i] is detector d's mean of its two phases in round i.
	rounds := map[string][]phase{}
	found := true
	order := append(append([]string{}, Detectors...), reversed(Detectors)...)
	for range cfg.Rounds {
		sums := map[string]phase{}
		for _, d := range order {
			p, top, err := runPhase(ctx, cfg, pl, srv, admin, d, samplers[d])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", d, err)
			}
			if d == "redhot-middleware" {
				found = found && top == hottest
			}
			s := sums[d]
			s.appOps += p.appOps / 2
			s.serverOps += p.serverOps / 2
			s.cpuPerOp += p.cpuPerOp / 2
			sums[d] = s
		}
		for d, s := range sums {
			rounds[d] = append(rounds[d], s)
		}
	}
	base := rounds["none"]
	var out []Result
	for _, d := range Detectors {
		rs := rounds[d]
		pick := func(f func(i int) float64) []float64 {
			xs := make([]float64, len(rs))
			for i := range rs {
				xs[i] = f(i)
			}
			slices.Sort(xs)
			return xs
		}
		app := pick(func(i int) float64 { return rs[i].appOps })
		srvOps := pick(func(i int) float64 { return rs[i].serverOps })
		cpu := pick(func(i int) float64 { return rs[i].cpuPerOp })
		appR := pick(func(i int) float64 { return rs[i].appOps / base[i].appOps })
		srvR := pick(func(i int) float64 { return rs[i].serverOps / base[i].serverOps })
		cpuR := pick(func(i int) float64 { return rs[i].cpuPerOp / base[i].cpuPerOp })
		r := Result{
			Detector: d, AppOpsPerSec: median(app), ServerOpsPerSec: median(srvOps), ServerCPUUsPerOp: median(cpu),
			AppOpsRatio: median(appR), AppOpsRatioMin: appR[0], AppOpsRatioMax: appR[len(appR)-1],
			ServerOpsRatio: median(srvR),
			CPUPerOpRatio:  median(cpuR), CPURatioMin: cpuR[0], CPURatioMax: cpuR[len(cpuR)-1],
			Keys: cfg.Keys, Workers: cfg.Workers, Pipeline: pl, PhaseSec: cfg.Phase.Seconds(), Rounds: cfg.Rounds,
			Note: notes[d],
		}
		if d == "redhot-middleware" {
			r.TopKeyFound = &found
		}
		out = append(out, r)
	}
	return out, nil
}

// median returns the median of sorted xs.
func median(xs []float64) float64 {
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func reversed(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// fill creates every key with a small value.
func fill(ctx context.Context, c *redis.Client, gen *workload.Zipf, n int) error {
	pipe := c.Pipeline()
	for i := range n {
		pipe.Set(ctx, gen.Key(uint32(i)), "v", 0)
		if i%1000 == 999 || i == n-1 {
			if _, err := pipe.Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// phase is what one phase measured.
type phase struct {
	appOps, serverOps, cpuPerOp float64
}

// runPhase runs the load, pipelines of pl, with detector d for Warmup+Phase and measures
// the Phase. For the middleware it also returns the tracker's top key.
func runPhase(ctx context.Context, cfg Config, pl int, srv *redistest.Server, admin *redis.Client, d string, sampler []string) (phase, string, error) {
	if len(sampler) > 0 {
		p, err := harness.Start(ctx, sampler[0], sampler[1:]...)
		if err != nil {
			return phase{}, "", err
		}
		defer p.Stop()
		if err := harness.WaitMonitors(ctx, admin, 1, 10*time.Second); err != nil {
			return phase{}, "", err
		}
	}
	rdb := srv.Client(func(o *redis.Options) { o.PoolSize = cfg.Workers })
	defer rdb.Close()
	var mw *redhot.Middleware
	if d == "redhot-middleware" {
		var err error
		mw, err = redhot.New(rdb, redhot.Options{DisableCache: true, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return phase{}, "", err
		}
		defer mw.Close()
	}

	loadCtx, stop := context.WithCancel(ctx)
	var ops atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Workers)
	for w := range cfg.Workers {
		// Generators are not safe for concurrent use: one per worker,
		// in rank order so that all agree on which keys are hot.
		z, err := workload.NewZipf(workload.ZipfOptions{S: 1.0, N: cfg.Keys, Seed: uint64(10 + w), RankOrder: true})
		if err != nil {
			stop()
			wg.Wait()
			return phase{}, "", err
		}
		wg.Go(func() { errs <- load(loadCtx, rdb, z, pl, uint64(w), &ops) })
	}
	halt := func() error {
		stop()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return fmt.Errorf("load: %w", err)
			}
		}
		return nil
	}
	measured, err := measure(ctx, cfg, admin, &ops)
	if herr := halt(); err == nil {
		err = herr
	}
	if err != nil {
		return phase{}, "", err
	}
	top := ""
	if mw != nil {
		if t := mw.Top(1); len(t) > 0 {
			top = t[0].Key
		}
	}
	return measured, top, nil
}

// measure waits Warmup, then reads the counters over Phase.
func measure(ctx context.Context, cfg Config, admin *redis.Client, ops *atomic.Int64) (phase, error) {
	if err := harness.Sleep(ctx, cfg.Warmup); err != nil {
		return phase{}, err
	}
	n0, t0, err := harness.Processed(ctx, admin)
	if err != nil {
		return phase{}, err
	}
	cpu0, err := serverCPU(ctx, admin)
	if err != nil {
		return phase{}, err
	}
	a0, start := ops.Load(), time.Now()
	if err := harness.Sleep(ctx, cfg.Phase); err != nil {
		return phase{}, err
	}
	a1, elapsed := ops.Load(), time.Since(start)
	n1, t1, err := harness.Processed(ctx, admin)
	if err != nil {
		return phase{}, err
	}
	cpu1, err := serverCPU(ctx, admin)
	if err != nil {
		return phase{}, err
	}
	if n1 <= n0 || a1 <= a0 {
		return phase{}, errors.New("no command completed during the phase")
	}
	return phase{
		appOps:    float64(a1-a0) / elapsed.Seconds(),
		serverOps: float64(n1-n0) / t1.Sub(t0).Seconds(),
		cpuPerOp:  (cpu1 - cpu0) * 1e6 / float64(n1-n0),
	}, nil
}

// serverCPU returns the server's used_cpu_user + used_cpu_sys, seconds.
func serverCPU(ctx context.Context, admin *redis.Client) (float64, error) {
	text, err := admin.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, err
	}
	var sum float64
	seen := 0
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || (k != "used_cpu_user" && k != "used_cpu_sys") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("INFO cpu %s = %q: %w", k, v, err)
		}
		sum += f
		seen++
	}
	if seen != 2 {
		return 0, errors.New("INFO cpu has no used_cpu_user and used_cpu_sys")
	}
	return sum, nil
}

// load sends pipelines of n commands (90% GET, 10% SET) on Zipf keys
// until ctx is done, adding each completed command to ops.
func load(ctx context.Context, c *redis.Client, z *workload.Zipf, n int, seed uint64, ops *atomic.Int64) error {
	rng := rand.New(rand.NewPCG(seed, 11))
	idx := make([]uint32, n)
	for ctx.Err() == nil {
		z.Fill(idx)
		var err error
		if n == 1 {
			k := z.Key(idx[0])
			if rng.IntN(10) == 0 {
				err = c.Set(ctx, k, "v", 0).Err()
			} else {
				err = c.Get(ctx, k).Err()
			}
		} else {
			pipe := c.Pipeline()
			for _, i := range idx {
				if rng.IntN(10) == 0 {
					pipe.Set(ctx, z.Key(i), "v", 0)
				} else {
					pipe.Get(ctx, z.Key(i))
				}
			}
			_, err = pipe.Exec(ctx)
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		ops.Add(int64(n))
	}
	return nil
}
