// Package stampede measures what happens to a backing store when one hot
// key expires under load, for three ways of reading it through Redis: plain
// cache-aside, the lock-and-poll recipe of the article that inspired
// redhot's stampede package, and redhot's stampede.Cache. It backs
// `make bench-stampede`.
//
// Every approach gets the same run: Callers goroutines spread over Clients
// separate go-redis clients (as if they were separate processes) read one
// key with a slow loader behind it, for TTLPeriods times the key's TTL,
// against a throwaway redis-server. The loader is shared, so the run sees
// every call it gets from any client.
package stampede

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
)

// Config sizes a run.
type Config struct {
	// Callers is the number of concurrent callers, spread evenly over the
	// clients.
	Callers int
	// Clients is the number of separate go-redis clients (and, for redhot,
	// of separate caches): stand-ins for processes.
	Clients int
	// PoolSize is each client's connection pool size.
	PoolSize int
	// Loader is how long one loader call takes.
	Loader time.Duration
	// TTL is the key's TTL.
	TTL time.Duration
	// TTLPeriods is how many TTLs each approach runs for.
	TTLPeriods int
	// Think is the mean pause of a caller between two reads (uniform in
	// [Think/2, 3·Think/2]).
	Think time.Duration
	// Beta is redhot's stampede.Options.Beta, how many loader calls ahead
	// of expiry a refresh aims to finish; 0 means the library default (1).
	Beta float64
	// Seed seeds the callers' pauses.
	Seed uint64
}

// Full is the configuration of `make bench-stampede`: 1,000 callers from 4
// clients, a 100 ms loader, a 1 s TTL, 20 expiries per approach.
var Full = Config{Callers: 1000, Clients: 4, PoolSize: 64, Loader: 100 * time.Millisecond,
	TTL: time.Second, TTLPeriods: 20, Think: 50 * time.Millisecond, Seed: 1}

// Quick is a small configuration for tests and a first look.
var Quick = Config{Callers: 100, Clients: 4, PoolSize: 16, Loader: 50 * time.Millisecond,
	TTL: 500 * time.Millisecond, TTLPeriods: 6, Think: 20 * time.Millisecond, Seed: 1}

// Result is one JSON line of the report: one approach's run.
type Result struct {
	Approach string `json:"approach"`
	// LoaderCallsPerExpiry is the load on the backing store per expiry of
	// the key: LoaderCalls / TTLPeriods, the number of TTLs the run
	// lasted. A stampede-free approach that recomputes at expiry scores
	// about 1 (a little under, since a value lives a TTL plus a loader
	// call); early recomputation scores a little over 1, since each early
	// refresh shortens a value's life by its lead.
	LoaderCallsPerExpiry float64 `json:"loader_calls_per_expiry"`
	// LoaderCallsPerRefresh is loader calls per recomputation of the key:
	// LoaderCalls / Refreshes. Above 1, callers loaded the same value
	// several times (a stampede).
	LoaderCallsPerRefresh float64 `json:"loader_calls_per_refresh"`
	// P50Ms, P99Ms and MaxMs are caller latencies of the calls that
	// overlapped a refresh: a span during which some loader call ran. A
	// caller that waited for the loader shows a latency of at least a
	// loader call.
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
	// P99AllMs is the p99 latency of every call of the run.
	P99AllMs float64 `json:"p99_all_ms"`
	// Misses counts calls that found no value and so waited for a loader
	// call or ran one. Early recomputation aims at zero.
	Misses uint64 `json:"misses"`
	// SlowCalls counts calls that took at least half a loader call, for
	// whatever reason (a miss, or a starved machine);
	// SlowCallsDuringRefresh those among CallsDuringRefresh.
	SlowCalls              int64 `json:"slow_calls"`
	SlowCallsDuringRefresh int64 `json:"slow_calls_during_refresh"`
	// LoaderCalls counts loader calls started during the run, from all
	// clients.
	LoaderCalls int `json:"loader_calls"`
	// Refreshes counts recomputations of the key: maximal spans of time
	// during which loader calls ran, joining spans less than half a
	// loader call apart (a call that starts right after another ended
	// recomputes a value that is brand new). Each is an expiry
	// (cache-aside, lock-poll) or an early recomputation that pre-empted
	// one (redhot).
	Refreshes int `json:"refreshes"`
	// EarlyRecomputations counts refreshes that ran before the value
	// expired (redhot only).
	EarlyRecomputations uint64 `json:"early_recomputations"`
	// MaxConcurrentLoaders is the most loader calls in flight at once.
	MaxConcurrentLoaders int `json:"max_concurrent_loaders"`
	// TTLPeriods is the length of the run in TTLs.
	TTLPeriods int `json:"ttl_periods"`
	// RefreshMs is the total time during which a loader ran.
	RefreshMs float64 `json:"refresh_ms"`
	// Calls, CallsDuringRefresh and Errors count reads.
	Calls              int64 `json:"calls"`
	CallsDuringRefresh int64 `json:"calls_during_refresh"`
	Errors             int64 `json:"errors"`
	// StaleServed counts expired values served (redhot only).
	StaleServed uint64 `json:"stale_served"`
	// The configuration.
	Callers  int     `json:"callers"`
	Clients  int     `json:"clients"`
	LoaderMs float64 `json:"loader_ms"`
	TTLMs    float64 `json:"ttl_ms"`
	Beta     float64 `json:"beta,omitempty"`
	Seconds  float64 `json:"seconds"`
}

// approach is one way of reading the hot key.
type approach interface {
	// get reads key through client i, calling load on a miss.
	get(ctx context.Context, i int, key string, load func(context.Context) ([]byte, error)) ([]byte, error)
	// misses reports reads so far that found no value and waited for, or
	// ran, a loader.
	misses() uint64
	// staleServed reports expired values served so far.
	staleServed() uint64
	// early reports recomputations so far that ran before expiry.
	early() uint64
	// close releases what the approach holds (not the clients).
	close() error
}

// approaches lists the approaches in report order.
var approaches = []struct {
	name string
	new  func(cfg Config, clients []*redis.Client) (approach, error)
}{
	{"cache-aside", newCacheAside},
	{"lock-poll", newLockPoll},
	{"redhot", newRedhot},
}

// Run starts a redis-server, runs every approach with cfg and writes one
// JSON object per line to w, in the order cache-aside, lock-poll, redhot.
func Run(ctx context.Context, cfg Config, w io.Writer) error {
	if cfg.Callers < cfg.Clients || cfg.Clients < 1 || cfg.TTLPeriods < 1 || cfg.Loader <= 0 || cfg.TTL <= 0 {
		return fmt.Errorf("bench-stampede: bad config %+v", cfg)
	}
	srv, err := redistest.Start(ctx, redistest.ServerOptions{})
	if err != nil {
		return err
	}
	defer srv.Close()
	enc := json.NewEncoder(w)
	for _, a := range approaches {
		res, err := runOne(ctx, cfg, srv, a.name, a.new)
		if err != nil {
			return fmt.Errorf("%s: %w", a.name, err)
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
	}
	return nil
}

// runOne runs one approach on fresh clients and a flushed server.
func runOne(ctx context.Context, cfg Config, srv *redistest.Server, name string,
	newApproach func(Config, []*redis.Client) (approach, error)) (Result, error) {
	clients := make([]*redis.Client, cfg.Clients)
	for i := range clients {
		clients[i] = redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: cfg.PoolSize})
	}
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	if err := clients[0].FlushAll(ctx).Err(); err != nil {
		return Result{}, err
	}
	a, err := newApproach(cfg, clients)
	if err != nil {
		return Result{}, err
	}
	key := "bench:hot:" + name
	lt := &loaderTrack{cost: cfg.Loader}

	// Warm up: the value exists when the callers arrive.
	if _, err := a.get(ctx, 0, key, lt.load); err != nil {
		a.close()
		return Result{}, fmt.Errorf("warm-up: %w", err)
	}
	run := time.Duration(cfg.TTLPeriods) * cfg.TTL
	lt.reset()
	warmMisses, warmEarly := a.misses(), a.early()
	t0 := time.Now()
	lt.start(t0)
	end := t0.Add(run)

	calls := make([][]span, cfg.Callers)
	var errs int64
	var errMu sync.Mutex
	var wg sync.WaitGroup
	for g := range cfg.Callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(g)))
			client := g % cfg.Clients
			// Spread the first reads over one pause.
			time.Sleep(time.Duration(rng.Int64N(int64(cfg.Think) + 1)))
			var mine []span
			for {
				s := time.Now()
				if !s.Before(end) {
					break
				}
				_, err := a.get(ctx, client, key, lt.load)
				e := time.Now()
				mine = append(mine, span{s.Sub(t0), e.Sub(t0)})
				if err != nil {
					errMu.Lock()
					errs++
					errMu.Unlock()
				}
				pause := cfg.Think/2 + time.Duration(rng.Int64N(int64(cfg.Think)+1))
				time.Sleep(pause)
			}
			calls[g] = mine
		}()
	}
	wg.Wait()
	stale, misses, early := a.staleServed(), a.misses()-warmMisses, a.early()-warmEarly
	if err := a.close(); err != nil {
		return Result{}, err
	}
	res := summarize(cfg, lt, calls, run)
	res.Approach = name
	res.Errors = errs
	res.StaleServed = stale
	res.Misses = misses
	res.EarlyRecomputations = early
	if name == "redhot" {
		res.Beta = cfg.Beta
		if res.Beta == 0 {
			res.Beta = 1
		}
	}
	return res, nil
}
