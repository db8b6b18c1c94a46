// Package nearcache measures redhot's near cache against a throwaway
// redis-server: the cost of a hit through each client, the share of reads
// a Zipf workload serves locally next to an oracle's, the commands the
// server is spared, the hook's cost on cold keys, and how long a write by
// another client stays invisible. go-redis's own client-side cache
// (ClientSideCacheConfig) is measured the same way on the same server: hit
// cost, Zipf local share and server commands spared, staleness; rueidis's
// client-side cache for the hit cost. Run reports everything as one JSON
// object; cmd/bench-nearcache prints it.
package nearcache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"

	"github.com/redhot/redhot"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/internal/workload"
)

// Config sizes a run.
type Config struct {
	// Keys is the key space of the Zipf workloads.
	Keys int
	// CacheShare is the largest share of Keys the near cache may hold.
	CacheShare float64
	// Warmup and Measure are how long each Zipf workload runs before and
	// while it is measured.
	Warmup, Measure time.Duration
	// Writes is the share of Zipf operations that are writes.
	Writes float64
	// Clients is the number of goroutines that drive a Zipf workload.
	Clients int
	// StaleSamples is the number of remote writes timed for staleness.
	StaleSamples int
	// ColdOps is the number of operations of each cold-key measurement
	// round; there are ColdRounds rounds of each client, interleaved.
	ColdOps, ColdRounds int
	// BenchTime is the minimum duration of each ns/op measurement.
	BenchTime time.Duration
}

// Full is the configuration of make bench-nearcache.
var Full = Config{
	Keys: 100_000, CacheShare: 0.01, Warmup: 3 * time.Second, Measure: 10 * time.Second,
	Writes: 0.1, Clients: 8, StaleSamples: 2000, ColdOps: 20_000, ColdRounds: 7, BenchTime: time.Second,
}

// Quick is a run of a few seconds, for tests.
var Quick = Config{
	Keys: 10_000, CacheShare: 0.01, Warmup: 500 * time.Millisecond, Measure: time.Second,
	Writes: 0.1, Clients: 4, StaleSamples: 50, ColdOps: 2_000, ColdRounds: 3, BenchTime: 100 * time.Millisecond,
}

// Result is the report of one run. Times are per operation; shares are in
// [0, 1].
type Result struct {
	GOMAXPROCS int `json:"gomaxprocs"`

	// A GET of a cached key.
	HitNsGoRedisPlain           float64 `json:"hit_ns_goredis_plain"`           // go-redis, no redhot: a round trip
	HitNsGoRedisRedhot          float64 `json:"hit_ns_goredis_redhot"`          // go-redis with redhot: a hit through the hook
	HitNsGoRedisRedhotParallel  float64 `json:"hit_ns_goredis_redhot_parallel"` // the same, RunParallel
	HitNsRueidisCSC             float64 `json:"hit_ns_rueidis_csc"`             // rueidis DoCache hit
	HitNsRueidisCSCParallel     float64 `json:"hit_ns_rueidis_csc_parallel"`
	HitNsDirect                 float64 `json:"hit_ns_direct"`            // Middleware.Get hit
	HitNsDirectParallel         float64 `json:"hit_ns_direct_parallel"`   // the same, RunParallel
	HitAllocsGoRedisPlain       int64   `json:"hit_allocs_goredis_plain"` // heap allocations per op, rounded
	HitAllocsGoRedisRedhot      int64   `json:"hit_allocs_goredis_redhot"`
	HitAllocsRueidisCSC         int64   `json:"hit_allocs_rueidis_csc"`
	HitAllocsDirect             int64   `json:"hit_allocs_direct"`
	SpeedupRedhotOverPlain      float64 `json:"speedup_goredis_redhot_over_plain"`
	SpeedupDirectOverRueidisCSC float64 `json:"speedup_direct_over_rueidis_csc"`

	// go-redis's own client-side cache (Options.ClientSideCacheConfig,
	// RESP3 CLIENT TRACKING), on the same server: GoRedisCSCStatus says
	// whether it served hits here, as measured by its CSCStats ("on"), or
	// why not. Its figures are zero when it is not on.
	GoRedisCSCStatus            string  `json:"goredis_csc_status"`
	HitNsGoRedisCSC             float64 `json:"hit_ns_goredis_csc"`
	HitNsGoRedisCSCParallel     float64 `json:"hit_ns_goredis_csc_parallel"`
	HitAllocsGoRedisCSC         int64   `json:"hit_allocs_goredis_csc"`
	SpeedupRedhotOverGoRedisCSC float64 `json:"speedup_goredis_redhot_over_goredis_csc"`

	// Zipf s=1.0 over Keys keys, 90% reads, at most CacheShare of the
	// keys cached.
	ZipfLocalShare      float64 `json:"zipf_local_share"`      // reads served by the near cache at once (hits)
	ZipfIdealShare      float64 `json:"zipf_ideal_share"`      // an oracle caching the hottest CacheShare, never missing
	ZipfCachedKeyShare  float64 `json:"zipf_cached_key_share"` // keys cached at the end / Keys
	ZipfOfIdeal         float64 `json:"zipf_local_of_ideal"`
	ServerCmdsReduction float64 `json:"server_cmds_reduction"` // 1 - commands the server ran / operations
	// Misses that waited for a read of the key already in flight (a
	// refresh or another miss's fill) instead of sending their own, per
	// read. Not counted in the local share: they waited a round trip.
	ZipfJoinedShare float64 `json:"zipf_joined_share"`
	// Refreshes (keys read again at once because they changed while
	// cached and still hot) per write.
	ZipfRefreshesPerWrite float64 `json:"zipf_refreshes_per_write"`
	Zipf12LocalShare      float64 `json:"zipf12_local_share"` // the same for s=1.2
	Zipf12IdealShare      float64 `json:"zipf12_ideal_share"`
	Zipf12CachedKey       float64 `json:"zipf12_cached_key_share"`
	Zipf12OfIdeal         float64 `json:"zipf12_local_of_ideal"`
	Zipf12CmdsReduction   float64 `json:"zipf12_server_cmds_reduction"`
	Zipf12JoinedShare     float64 `json:"zipf12_joined_share"`
	Zipf12RefreshesPerW   float64 `json:"zipf12_refreshes_per_write"`
	// The Zipf s=1.0 workload through go-redis's client-side cache
	// bounded to the same number of entries (MaxEntries), which caches
	// every key it reads: hits per read, the server commands it spares,
	// and its entries at the end / Keys.
	ZipfGoRedisCSCLocalShare     float64 `json:"zipf_goredis_csc_local_share"`
	ZipfGoRedisCSCCmdsReduction  float64 `json:"zipf_goredis_csc_server_cmds_reduction"`
	ZipfGoRedisCSCCachedKeyShare float64 `json:"zipf_goredis_csc_cached_key_share"`
	// 1 - writes/reads per key: the best local/ideal if every write cost
	// the next read of its key a miss, as it did before refreshes.
	ZipfReadMissBound float64 `json:"zipf_write_miss_bound"`

	// A GET of a cold key through go-redis: the hook's cost next to the
	// round trip. ColdHookNs is measured without the network (a hook
	// after redhot's answers every command), so that the round trip's
	// jitter does not drown it; ColdNsPlain and ColdNsRedhot are end to
	// end, medians of interleaved rounds.
	ColdHookNs        float64 `json:"cold_hook_ns"`
	ColdNsPlain       float64 `json:"cold_ns_plain"`
	ColdNsRedhot      float64 `json:"cold_ns_redhot"`
	ColdOverheadShare float64 `json:"cold_overhead_share"` // ColdHookNs / ColdNsPlain

	// From a write by another client being acknowledged to a GET through
	// redhot returning it, for a reader that parks between reads after
	// the first StaleSpin (see staleness): times past StaleSpin are upper
	// bounds, late by up to the runtime's timer resolution (about 1 ms).
	StaleMsP50 float64 `json:"stale_ms_p50"`
	StaleMsP99 float64 `json:"stale_ms_p99"`
	StaleMsMax float64 `json:"stale_ms_max"`
	// The same for a GET through go-redis's client-side cache.
	StaleGoRedisCSCMsP50 float64 `json:"stale_goredis_csc_ms_p50"`
	StaleGoRedisCSCMsP99 float64 `json:"stale_goredis_csc_ms_p99"`
	StaleGoRedisCSCMsMax float64 `json:"stale_goredis_csc_ms_max"`
}

// Run measures everything against a new redis-server and writes the
// Result to w as one JSON object.
func Run(ctx context.Context, cfg Config, w io.Writer) error {
	srv, err := redistest.Start(ctx, redistest.ServerOptions{})
	if err != nil {
		return err
	}
	defer srv.Close()
	res := Result{GOMAXPROCS: runtime.GOMAXPROCS(0)}
	steps := []struct {
		name string
		run  func(context.Context, *redistest.Server, Config, *Result) error
	}{
		{"hits", hits},
		{"zipf", zipfs},
		{"zipf go-redis CSC", zipfGoRedisCSC},
		{"cold", cold},
		{"staleness", staleness},
		{"staleness go-redis CSC", stalenessGoRedisCSC},
	}
	for _, s := range steps {
		if err := s.run(ctx, srv, cfg, &res); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if err := srv.Client().FlushAll(ctx).Err(); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(w)
	return enc.Encode(res)
}

// quiet is the logger of the middlewares under measurement.
var quiet = slog.New(slog.DiscardHandler)

// attach returns a middleware on a new client of srv with key pinned and
// cached.
func attach(ctx context.Context, srv *redistest.Server, opts redhot.Options, pin ...string) (*redis.Client, *redhot.Middleware, error) {
	rdb := srv.Client()
	mw, err := redhot.New(rdb, opts)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range pin {
		mw.Pin(k)
	}
	if err := waitCached(ctx, rdb, mw, pin...); err != nil {
		mw.Close()
		return nil, nil, err
	}
	return rdb, mw, nil
}

// waitCached reads keys until each read is a hit.
func waitCached(ctx context.Context, rdb *redis.Client, mw *redhot.Middleware, keys ...string) error {
	deadline := time.Now().Add(10 * time.Second)
	for _, k := range keys {
		for {
			before := mw.Stats().Cache.Hits
			if err := rdb.Get(ctx, k).Err(); err != nil && !errors.Is(err, redis.Nil) {
				return err
			}
			if mw.Stats().Cache.Hits > before {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s is not served from the near cache (mode %v)", k, mw.Stats().Cache.Mode)
			}
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// measure runs op repeatedly, doubling the count until a run lasts at
// least d, and returns the last run's ns/op and heap allocations per op.
// With parallel, GOMAXPROCS goroutines share the count, as RunParallel
// does, and ns/op is wall time over all operations.
func measure(d time.Duration, parallel bool, op func() error) (float64, float64, error) {
	procs := 1
	if parallel {
		procs = runtime.GOMAXPROCS(0)
	}
	for n := 256; ; n *= 2 {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		errs := make(chan error, procs)
		start := time.Now()
		for range procs {
			go func() {
				for range n / procs {
					if err := op(); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range procs {
			if err := <-errs; err != nil {
				return 0, 0, err
			}
		}
		elapsed := time.Since(start)
		runtime.ReadMemStats(&m1)
		if elapsed >= d || n >= 1<<30 {
			ops := float64(n / procs * procs)
			return float64(elapsed.Nanoseconds()) / ops, float64(m1.Mallocs-m0.Mallocs) / ops, nil
		}
	}
}

func hits(ctx context.Context, srv *redistest.Server, cfg Config, res *Result) error {
	const key, value = "product:42", "espresso machine"
	if err := srv.Client().Set(ctx, key, value, 0).Err(); err != nil {
		return err
	}
	var allocs float64
	var err error
	// run measures op, sequentially and with every core, into ns, pns
	// and allocs.
	run := func(op func() error, ns, pns *float64, allocsOut *int64) {
		if err != nil {
			return
		}
		if *ns, allocs, err = measure(cfg.BenchTime, false, op); err != nil {
			return
		}
		if allocsOut != nil {
			*allocsOut = int64(math.Round(allocs))
		}
		if pns != nil {
			*pns, _, err = measure(cfg.BenchTime, true, op)
		}
	}
	check := func(s string, err error) error {
		if err == nil && s != value {
			return fmt.Errorf("GET %s = %q; want %q", key, s, value)
		}
		return err
	}

	plain := srv.Client()
	run(func() error { return check(plain.Get(ctx, key).Result()) }, &res.HitNsGoRedisPlain, nil, &res.HitAllocsGoRedisPlain)

	rdb, mw, aerr := attach(ctx, srv, redhot.Options{Logger: quiet}, key)
	if aerr != nil {
		return aerr
	}
	defer mw.Close()
	run(func() error { return check(rdb.Get(ctx, key).Result()) }, &res.HitNsGoRedisRedhot, &res.HitNsGoRedisRedhotParallel, &res.HitAllocsGoRedisRedhot)
	run(func() error { return check(mw.Get(ctx, key)) }, &res.HitNsDirect, &res.HitNsDirectParallel, &res.HitAllocsDirect)

	rc, rerr := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}})
	if rerr != nil {
		return fmt.Errorf("rueidis: %w", rerr)
	}
	defer rc.Close()
	// As rueidis is used: the command is built for each call (its
	// builder recycles command slices, so this allocates nothing).
	for {
		r := rc.DoCache(ctx, rc.B().Get().Key(key).Cache(), time.Minute)
		if r.Error() != nil {
			return fmt.Errorf("rueidis DoCache: %w", r.Error())
		}
		if r.IsCacheHit() {
			break
		}
	}
	run(func() error {
		return check(rc.DoCache(ctx, rc.B().Get().Key(key).Cache(), time.Minute).ToString())
	}, &res.HitNsRueidisCSC, &res.HitNsRueidisCSCParallel, &res.HitAllocsRueidisCSC)
	if err != nil {
		return err
	}
	res.SpeedupRedhotOverPlain = res.HitNsGoRedisPlain / res.HitNsGoRedisRedhot
	res.SpeedupDirectOverRueidisCSC = res.HitNsRueidisCSC / res.HitNsDirect

	gc := cscClient(srv, 0)
	defer gc.Close()
	if res.GoRedisCSCStatus = waitCSC(ctx, gc, key); res.GoRedisCSCStatus != "on" {
		return nil
	}
	run(func() error { return check(gc.Get(ctx, key).Result()) }, &res.HitNsGoRedisCSC, &res.HitNsGoRedisCSCParallel, &res.HitAllocsGoRedisCSC)
	if err != nil {
		return fmt.Errorf("go-redis CSC: %w", err)
	}
	res.SpeedupRedhotOverGoRedisCSC = res.HitNsGoRedisCSC / res.HitNsGoRedisRedhot
	return nil
}

// cscClient returns a go-redis client of srv with go-redis's own
// client-side cache on, bounded to maxEntries keys (0: its default).
func cscClient(srv *redistest.Server, maxEntries int, configure ...func(*redis.Options)) *redis.Client {
	return srv.Client(append([]func(*redis.Options){func(o *redis.Options) {
		o.Protocol = 3
		o.ClientSideCacheConfig = &redis.ClientSideCacheConfig{MaxEntries: maxEntries}
	}}, configure...)...)
}

// waitCSC reads key through c until go-redis's client-side cache counts
// a hit, and returns "on", or why it is not on.
func waitCSC(ctx context.Context, c *redis.Client, key string) string {
	deadline := time.Now().Add(5 * time.Second)
	reads := 0
	for time.Now().Before(deadline) {
		before := c.CSCStats().Hits
		if err := c.Get(ctx, key).Err(); err != nil && !errors.Is(err, redis.Nil) {
			return "off: GET failed: " + err.Error()
		}
		reads++
		if c.CSCStats().Hits > before {
			return "on"
		}
		time.Sleep(time.Millisecond)
	}
	st := c.CSCStats()
	return fmt.Sprintf("off: no hit in %d reads over 5 s (CSCStats hits %d, misses %d, entries %d)", reads, st.Hits, st.Misses, st.Entries)
}

// zipfResult is what one Zipf workload measured.
type zipfResult struct {
	local, ideal, cachedKeys, cmdsReduction, writeMissBound float64
	joined, refreshesPerWrite                               float64
}

func zipfs(ctx context.Context, srv *redistest.Server, cfg Config, res *Result) error {
	for _, s := range []float64{1.0, 1.2} {
		z, err := zipf(ctx, srv, cfg, s)
		if err != nil {
			return fmt.Errorf("s=%v: %w", s, err)
		}
		if s == 1.0 {
			res.ZipfLocalShare, res.ZipfIdealShare, res.ZipfCachedKeyShare = z.local, z.ideal, z.cachedKeys
			res.ZipfOfIdeal, res.ServerCmdsReduction, res.ZipfReadMissBound = z.local/z.ideal, z.cmdsReduction, z.writeMissBound
			res.ZipfJoinedShare, res.ZipfRefreshesPerWrite = z.joined, z.refreshesPerWrite
		} else {
			res.Zipf12LocalShare, res.Zipf12IdealShare, res.Zipf12CachedKey = z.local, z.ideal, z.cachedKeys
			res.Zipf12OfIdeal, res.Zipf12CmdsReduction = z.local/z.ideal, z.cmdsReduction
			res.Zipf12JoinedShare, res.Zipf12RefreshesPerW = z.joined, z.refreshesPerWrite
		}
		if err := srv.Client().FlushAll(ctx).Err(); err != nil {
			return err
		}
	}
	return nil
}

// zipf runs Clients goroutines of Zipf(s) reads and writes through one
// client with redhot, configured to cache at most CacheShare of the keys:
// the tracker's rules flag the top CacheShare·Keys keys, and the near
// cache holds no more than that.
func zipf(ctx context.Context, srv *redistest.Server, cfg Config, s float64) (zipfResult, error) {
	limit := int(math.Round(cfg.CacheShare * float64(cfg.Keys)))
	gen, err := workload.NewZipf(workload.ZipfOptions{N: cfg.Keys, S: s, Seed: 1})
	if err != nil {
		return zipfResult{}, err
	}
	var z zipfResult
	for r := range limit {
		z.ideal += gen.Prob(r)
	}
	// Reads and writes share the key distribution, so a cached key is
	// invalidated by every write to it. Were the next read of the key to
	// miss each time, a fraction writes/reads of its reads would miss;
	// the near cache reads a hot key again as soon as it changes, so that
	// the next read finds the new value.
	z.writeMissBound = 1 - cfg.Writes/(1-cfg.Writes)

	if err := fillKeys(ctx, srv, gen, cfg.Keys); err != nil {
		return z, err
	}

	rdb := srv.Client(func(o *redis.Options) { o.PoolSize = cfg.Clients })
	mw, err := redhot.New(rdb, redhot.Options{
		// Ranks near the limit are a few accesses per second: a
		// longer window ranks them steadily.
		Tracker: heat.Options{
			Capacity: 4 * limit,
			Window:   5 * time.Second,
			Rules:    heat.Rules{TopK: limit, MinRate: -1, MinShare: -1, CoolRatio: 1, MinHot: time.Second},
		},
		MaxEntries: limit,
		Logger:     quiet,
	})
	if err != nil {
		return z, err
	}
	defer mw.Close()

	trace := make([]uint32, 1<<22)
	gen.Fill(trace)
	run := func(d time.Duration) (uint64, uint64, error) {
		return driveZipf(ctx, cfg, gen, trace, d,
			func(k string) error { _, err := mw.Get(ctx, k); return err },
			func(k, v string) error { return rdb.Set(ctx, k, v, 0).Err() })
	}
	if _, _, err := run(cfg.Warmup); err != nil {
		return z, err
	}
	before := mw.Stats().Cache
	cmdsBefore, err := serverCommands(ctx, srv)
	if err != nil {
		return z, err
	}
	ops, reads, err := run(cfg.Measure)
	if err != nil {
		return z, err
	}
	cmdsAfter, err := serverCommands(ctx, srv)
	if err != nil {
		return z, err
	}
	after := mw.Stats().Cache
	z.local = float64(after.Hits-before.Hits) / float64(reads)
	z.joined = float64(after.Joined-before.Joined) / float64(reads)
	z.refreshesPerWrite = float64(after.Refreshes-before.Refreshes) / float64(ops-reads)
	z.cachedKeys = float64(after.Entries) / float64(cfg.Keys)
	z.cmdsReduction = 1 - float64(cmdsAfter-cmdsBefore-1)/float64(ops)
	return z, nil
}

// fillKeys creates the n keys of gen.
func fillKeys(ctx context.Context, srv *redistest.Server, gen *workload.Zipf, n int) error {
	c := srv.Client()
	defer c.Close()
	pipe := c.Pipeline()
	for i := range n {
		pipe.Set(ctx, gen.Key(uint32(i)), "value-"+strconv.Itoa(i), 0)
		if i%1000 == 999 || i == n-1 {
			if _, err := pipe.Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// driveZipf runs cfg.Clients goroutines for d over trace, each from its
// own offset, writing cfg.Writes of the operations with set and reading
// the rest with get, and returns the operations and the reads done.
func driveZipf(ctx context.Context, cfg Config, gen *workload.Zipf, trace []uint32, d time.Duration,
	get func(key string) error, set func(key, value string) error) (ops, reads uint64, err error) {
	type count struct{ ops, reads uint64 }
	counts := make(chan count, cfg.Clients)
	errs := make(chan error, cfg.Clients)
	stop := time.Now().Add(d)
	for c := range cfg.Clients {
		go func() {
			var n count
			off := c * len(trace) / cfg.Clients
			for i := 0; ; i++ {
				if i%64 == 0 && time.Now().After(stop) {
					break
				}
				k := gen.Key(trace[(off+i)%len(trace)])
				n.ops++
				if float64(i%100) < cfg.Writes*100 {
					if err := set(k, "w"+strconv.Itoa(i)); err != nil {
						errs <- err
						return
					}
					continue
				}
				n.reads++
				if err := get(k); err != nil && !errors.Is(err, redis.Nil) {
					errs <- err
					return
				}
			}
			counts <- n
		}()
	}
	var first error
	for range cfg.Clients {
		select {
		case err := <-errs:
			if first == nil {
				first = err
			}
		case n := <-counts:
			ops += n.ops
			reads += n.reads
		}
	}
	return ops, reads, first
}

// zipfGoRedisCSC runs the Zipf s=1.0 workload through one go-redis client
// with its own client-side cache bounded to CacheShare of the keys.
func zipfGoRedisCSC(ctx context.Context, srv *redistest.Server, cfg Config, res *Result) error {
	if res.GoRedisCSCStatus != "on" {
		return nil
	}
	limit := int(math.Round(cfg.CacheShare * float64(cfg.Keys)))
	gen, err := workload.NewZipf(workload.ZipfOptions{N: cfg.Keys, S: 1.0, Seed: 1})
	if err != nil {
		return err
	}
	if err := fillKeys(ctx, srv, gen, cfg.Keys); err != nil {
		return err
	}
	rdb := cscClient(srv, limit, func(o *redis.Options) { o.PoolSize = cfg.Clients })
	defer rdb.Close()
	trace := make([]uint32, 1<<22)
	gen.Fill(trace)
	run := func(d time.Duration) (uint64, uint64, error) {
		return driveZipf(ctx, cfg, gen, trace, d,
			func(k string) error { return rdb.Get(ctx, k).Err() },
			func(k, v string) error { return rdb.Set(ctx, k, v, 0).Err() })
	}
	if _, _, err := run(cfg.Warmup); err != nil {
		return err
	}
	before := rdb.CSCStats()
	cmdsBefore, err := serverCommands(ctx, srv)
	if err != nil {
		return err
	}
	ops, reads, err := run(cfg.Measure)
	if err != nil {
		return err
	}
	cmdsAfter, err := serverCommands(ctx, srv)
	if err != nil {
		return err
	}
	after := rdb.CSCStats()
	res.ZipfGoRedisCSCLocalShare = float64(after.Hits-before.Hits) / float64(reads)
	res.ZipfGoRedisCSCCmdsReduction = 1 - float64(cmdsAfter-cmdsBefore-1)/float64(ops)
	res.ZipfGoRedisCSCCachedKeyShare = float64(after.Entries) / float64(cfg.Keys)
	return nil
}

// serverCommands returns the number of commands the server has executed,
// from INFO commandstats.
func serverCommands(ctx context.Context, srv *redistest.Server) (uint64, error) {
	text, err := srv.Client().Info(ctx, "commandstats").Result()
	if err != nil {
		return 0, err
	}
	var total uint64
	for _, line := range strings.Split(text, "\n") {
		_, stats, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		n, _ := strconv.ParseUint(stats[:strings.IndexByte(stats, ',')], 10, 64)
		total += n
	}
	return total, nil
}

// cold measures GETs of keys that are never hot, through go-redis with and
// without redhot, in interleaved rounds, and compares the medians.
func cold(ctx context.Context, srv *redistest.Server, cfg Config, res *Result) error {
	plain := srv.Client()
	rdb := srv.Client()
	mw, err := redhot.New(rdb, redhot.Options{Logger: quiet})
	if err != nil {
		return err
	}
	defer mw.Close()
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = "cold:" + strconv.Itoa(i)
	}
	round := func(c *redis.Client) (float64, error) {
		start := time.Now()
		for i := range cfg.ColdOps {
			if err := c.Get(ctx, keys[i%len(keys)]).Err(); err != nil && !errors.Is(err, redis.Nil) {
				return 0, err
			}
		}
		return float64(time.Since(start).Nanoseconds()) / float64(cfg.ColdOps), nil
	}
	var p, r []float64
	for range cfg.ColdRounds {
		a, err := round(plain)
		if err != nil {
			return err
		}
		b, err := round(rdb)
		if err != nil {
			return err
		}
		p, r = append(p, a), append(r, b)
	}
	slices.Sort(p)
	slices.Sort(r)
	res.ColdNsPlain, res.ColdNsRedhot = p[len(p)/2], r[len(r)/2]
	if st := mw.Stats().Cache; st.Hits+st.Fills > 0 {
		return fmt.Errorf("cold keys were cached: %+v", st)
	}

	// The hook alone: two clients whose last hook answers every command
	// without the network, one with redhot's hook before it.
	stubbed := srv.Client()
	stubbed.AddHook(answer{})
	hooked := srv.Client()
	mw2, err := redhot.New(hooked, redhot.Options{Logger: quiet})
	if err != nil {
		return err
	}
	defer mw2.Close()
	hooked.AddHook(answer{})
	loop := func(c *redis.Client) func() error {
		i := 0
		return func() error {
			i++
			_ = c.Get(ctx, keys[i%len(keys)]).Err()
			return nil
		}
	}
	var without, with []float64
	for range cfg.ColdRounds {
		a, _, _ := measure(cfg.BenchTime/4, false, loop(stubbed))
		b, _, _ := measure(cfg.BenchTime/4, false, loop(hooked))
		without, with = append(without, a), append(with, b)
	}
	slices.Sort(without)
	slices.Sort(with)
	res.ColdHookNs = max(0, with[len(with)/2]-without[len(without)/2])
	res.ColdOverheadShare = res.ColdHookNs / res.ColdNsPlain
	return nil
}

// answer is a go-redis hook that answers every command with an empty
// reply without sending it, to time the hooks before it.
type answer struct{}

func (answer) DialHook(next redis.DialHook) redis.DialHook { return next }

func (answer) ProcessHook(redis.ProcessHook) redis.ProcessHook {
	return func(context.Context, redis.Cmder) error { return nil }
}

func (answer) ProcessPipelineHook(redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(context.Context, []redis.Cmder) error { return nil }
}

// StaleSpin is how long the reader of the staleness measurement reads
// without pause after a write, before it parks between reads.
const StaleSpin = 200 * time.Microsecond

// staleness times, StaleSamples times, how long after another client's
// write is acknowledged a GET through redhot of the (cached) key returns
// the new value.
//
// The reader reads without pause for StaleSpin, which covers most
// samples, then sleeps between reads, as a goroutine serving requests
// parks between them. A reader that never parks measures the Go
// scheduler instead of the cache: it keeps its thread busy, and once the
// thread that woke it for the write's reply is running it, no thread is
// left waiting in the runtime's network poller, so the invalidation is
// noticed only by the runtime's 10 ms backstop (sysmon), 10 to 20 ms
// later (measured with an execution trace). A parked reader wakes up to
// a millisecond late, the resolution of the runtime's timers: times
// past StaleSpin are upper bounds.
func staleness(ctx context.Context, srv *redistest.Server, cfg Config, res *Result) error {
	const key = "stale:k"
	other := srv.Client()
	if err := other.Set(ctx, key, "0", 0).Err(); err != nil {
		return err
	}
	rdb, mw, err := attach(ctx, srv, redhot.Options{Logger: quiet}, key)
	if err != nil {
		return err
	}
	defer mw.Close()
	q, err := timeStale(ctx, cfg, other, key,
		func() error { return waitCached(ctx, rdb, mw, key) },
		func() (string, error) { return mw.Get(ctx, key) })
	if err != nil {
		return err
	}
	res.StaleMsP50, res.StaleMsP99, res.StaleMsMax = q[0], q[1], q[2]
	return nil
}

// stalenessGoRedisCSC is staleness for a GET through go-redis's own
// client-side cache.
func stalenessGoRedisCSC(ctx context.Context, srv *redistest.Server, cfg Config, res *Result) error {
	if res.GoRedisCSCStatus != "on" {
		return nil
	}
	const key = "stale:csc"
	other := srv.Client()
	defer other.Close()
	if err := other.Set(ctx, key, "0", 0).Err(); err != nil {
		return err
	}
	gc := cscClient(srv, 0)
	defer gc.Close()
	q, err := timeStale(ctx, cfg, other, key,
		func() error {
			if st := waitCSC(ctx, gc, key); st != "on" {
				return errors.New(st)
			}
			return nil
		},
		func() (string, error) { return gc.Get(ctx, key).Result() })
	if err != nil {
		return err
	}
	res.StaleGoRedisCSCMsP50, res.StaleGoRedisCSCMsP99, res.StaleGoRedisCSCMsMax = q[0], q[1], q[2]
	return nil
}

// timeStale writes key through other StaleSamples times, each time after
// cached says the reader serves it from its cache, and times until read
// returns the new value. It returns the p50, p99 and max in milliseconds.
func timeStale(ctx context.Context, cfg Config, other *redis.Client, key string,
	cached func() error, read func() (string, error)) ([3]float64, error) {
	var ds []time.Duration
	for i := 1; i <= cfg.StaleSamples; i++ {
		if err := cached(); err != nil {
			return [3]float64{}, err
		}
		want := strconv.Itoa(i)
		if err := other.Set(ctx, key, want, 0).Err(); err != nil {
			return [3]float64{}, err
		}
		start := time.Now()
		for {
			v, err := read()
			if err != nil {
				return [3]float64{}, err
			}
			if v == want {
				break
			}
			if waited := time.Since(start); waited > 5*time.Second {
				return [3]float64{}, fmt.Errorf("write %d not seen after 5 s", i)
			} else if waited > StaleSpin {
				time.Sleep(50 * time.Microsecond)
			}
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return [3]float64{ms(ds[len(ds)/2]), ms(ds[len(ds)*99/100]), ms(ds[len(ds)-1])}, nil
}
