package inspect

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/bench/internal/harness"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/internal/workload"
)

// compareThroughput measures the server's throughput under load with each
// sampler.
func compareThroughput(ctx context.Context, cfg Config, srv *redistest.Server, t tools) ([]ThroughputResult, error) {
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Workers)
	for w := range cfg.Workers {
		// Generators are not safe for concurrent use: one per worker,
		// with rank order so that all agree on which keys are hot.
		z, err := workload.NewZipf(workload.ZipfOptions{S: 1.0, N: cfg.Keys, Seed: uint64(2 + w), RankOrder: true})
		if err != nil {
			stopLoad()
			wg.Wait()
			return nil, err
		}
		c := srv.Client(func(o *redis.Options) { o.PoolSize = 1 })
		wg.Go(func() {
			defer c.Close()
			errs <- load(loadCtx, c, z, uint64(w))
		})
	}
	defer func() { stopLoad(); wg.Wait() }()
	admin := srv.Client()
	defer admin.Close()
	if err := harness.Sleep(ctx, time.Second); err != nil { // warm up
		return nil, err
	}

	// Phases run in the order none, redhot, redis-cli, redis-cli, redhot,
	// none and each figure is the mean of its two phases, so that a drift
	// of the machine over the run favours no sampler.
	host, port, _ := strings.Cut(srv.Addr(), ":")
	phases := map[string]func() (float64, error){
		"none": func() (float64, error) { return measure(ctx, admin, cfg.Phase) },
		"redhot": func() (float64, error) {
			return withSampler(ctx, admin, cfg.Phase, t.redhot, "monitor", "-u", "redis://"+srv.Addr(),
				"--duration", (cfg.Phase + 3*time.Second).String(), "-o", "json")
		},
		"redis-cli": func() (float64, error) {
			return withSampler(ctx, admin, cfg.Phase, t.redisCLI, "-h", host, "-p", port, "monitor")
		},
	}
	sum := map[string]float64{}
	for _, name := range []string{"none", "redhot", "redis-cli", "redis-cli", "redhot", "none"} {
		v, err := phases[name]()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		sum[name] += v / 2
	}
	stopLoad()
	wg.Wait()
	for range cfg.Workers {
		if err := <-errs; err != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("load: %w", err)
		}
	}
	return []ThroughputResult{
		{Sampler: "none", OpsPerSec: sum["none"]},
		{Sampler: "redhot", OpsPerSec: sum["redhot"]},
		{Sampler: "redis-cli", OpsPerSec: sum["redis-cli"]},
	}, nil
}

// load sends pipelines of 32 commands, 90% GET and 10% SET on Zipf keys,
// until ctx is done.
func load(ctx context.Context, c *redis.Client, z *workload.Zipf, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 7))
	idx := make([]uint32, 32)
	for ctx.Err() == nil {
		z.Fill(idx)
		pipe := c.Pipeline()
		for _, i := range idx {
			if rng.IntN(10) == 0 {
				pipe.Set(ctx, z.Key(i), "v", 0)
			} else {
				pipe.Get(ctx, z.Key(i))
			}
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

// withSampler starts the sampler process with its output discarded, gives
// it a second to attach, measures, then stops it.
func withSampler(ctx context.Context, admin *redis.Client, d time.Duration, bin string, args ...string) (float64, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer null.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, null, null
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	if err := harness.Sleep(ctx, time.Second); err != nil {
		return 0, err
	}
	if n, err := harness.Monitors(ctx, admin); err != nil || n == 0 {
		return 0, fmt.Errorf("the sampler is not monitoring (monitors %d, %v)", n, err)
	}
	return measure(ctx, admin, d)
}

// measure returns the commands per second the server processed over d.
func measure(ctx context.Context, admin *redis.Client, d time.Duration) (float64, error) {
	a, ta, err := harness.Processed(ctx, admin)
	if err != nil {
		return 0, err
	}
	if err := harness.Sleep(ctx, d); err != nil {
		return 0, err
	}
	b, tb, err := harness.Processed(ctx, admin)
	if err != nil {
		return 0, err
	}
	return float64(b-a) / tb.Sub(ta).Seconds(), nil
}
