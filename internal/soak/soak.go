// Package soak runs the redhot middleware for a long time under mixed load
// with faults, and says whether it stays healthy: memory and goroutines
// flat after warm-up, and no read ever returning a value older than the
// near cache's staleness bound.
//
// Run starts a primary with one replica (internal/redistest, AOF with
// fsync on every write so that a restarted primary keeps its data),
// attaches redhot.New to a go-redis client of the primary and drives it
// from a few paced workers: Zipf-distributed GETs through the client (hot
// keys answered by the near cache), Middleware.Get, MGET, pipelines of
// GETs and SET+GET, and SETs. Every value carries a version; each key has
// exactly one writer, which records when each version was acknowledged, so
// a reader can tell that what it got is older than the newest version
// acknowledged more than MaxStaleness before its read began. Faults come
// in turn every FaultEvery: CLIENT KILL of the near cache's connections,
// SIGSTOP of the primary for longer than MaxStaleness, a restart of the
// primary and a restart of the replica.
//
// Every SampleEvery, Run writes one JSON line (Sample) with heap in use
// after a GC, goroutines, near-cache entries and bytes, latency quantiles
// and operation counts; at the end it writes a Verdict line. `make soak`
// runs it through internal/soak/cmd/soak.
package soak

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/internal/workload"
)

// Options configure Run. The zero value gives the documented defaults.
type Options struct {
	// Duration is how long the load runs.
	// default: 10 minutes
	Duration time.Duration

	// SampleEvery is the time between samples.
	// default: 5 seconds
	SampleEvery time.Duration

	// WarmUp is the time at the start whose samples are left out of the
	// growth verdict (caches fill, pools open, the tracker learns).
	// default: a fifth of Duration
	WarmUp time.Duration

	// FaultEvery is the time between faults; negative disables faults.
	// default: 30 seconds
	FaultEvery time.Duration

	// Keys is the number of keys the load draws from.
	// default: 10,000
	Keys int

	// ZipfS is the Zipf exponent of key popularity.
	// default: 1.1
	ZipfS float64

	// Workers is the number of goroutines sending commands.
	// default: 4
	Workers int

	// Rate is the total number of operations per second the workers aim
	// for (an MGET or a pipeline is one operation).
	// default: 4,000
	Rate float64

	// ValueBytes is the size of each value written.
	// default: 64
	ValueBytes int

	// MaxStaleness is the middleware's staleness bound, which the
	// versioned-value check enforces.
	// default: 250 milliseconds
	MaxStaleness time.Duration

	// MaxBytes is the near cache's memory bound.
	// default: 4 MiB
	MaxBytes int64

	// HeapTolerance is the relative growth of heap in use (median of the
	// last third of the samples after warm-up against the first third)
	// beyond HeapSlack that counts as growth.
	// default: 0.10
	HeapTolerance float64

	// HeapSlack is the absolute growth of heap in use always tolerated.
	// default: 2 MiB
	HeapSlack int64

	// GoroutineSlack is how many more goroutines (median of the last
	// third against the first) are tolerated.
	// default: 3
	GoroutineSlack int

	// ErrorGrace is how long after a fault errors are still blamed on it;
	// errors outside faults and their grace fail the run.
	// default: 5 seconds
	ErrorGrace time.Duration

	// Out receives one JSON line per sample and the verdict.
	// default: io.Discard
	Out io.Writer

	// Logger receives the middleware's connection events and the faults.
	// default: a logger that discards everything
	Logger *slog.Logger
}

// ErrInvalidOptions is returned by Run when an option is out of range; the
// wrapping error names the field.
var ErrInvalidOptions = errors.New("soak: invalid options")

func (o Options) withDefaults() (Options, error) {
	bad := func(field string, v any) (Options, error) {
		return o, fmt.Errorf("%w: %s = %v", ErrInvalidOptions, field, v)
	}
	if o.Duration == 0 {
		o.Duration = 10 * time.Minute
	}
	if o.SampleEvery == 0 {
		o.SampleEvery = 5 * time.Second
	}
	if o.WarmUp == 0 {
		o.WarmUp = o.Duration / 5
	}
	if o.FaultEvery == 0 {
		o.FaultEvery = 30 * time.Second
	}
	if o.Keys == 0 {
		o.Keys = 10000
	}
	if o.ZipfS == 0 {
		o.ZipfS = 1.1
	}
	if o.Workers == 0 {
		o.Workers = 4
	}
	if o.Rate == 0 {
		o.Rate = 4000
	}
	if o.ValueBytes == 0 {
		o.ValueBytes = 64
	}
	if o.MaxStaleness == 0 {
		o.MaxStaleness = 250 * time.Millisecond
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = 4 << 20
	}
	if o.HeapTolerance == 0 {
		o.HeapTolerance = 0.10
	}
	if o.HeapSlack == 0 {
		o.HeapSlack = 2 << 20
	}
	if o.GoroutineSlack == 0 {
		o.GoroutineSlack = 3
	}
	if o.ErrorGrace == 0 {
		o.ErrorGrace = 5 * time.Second
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.Duration < 0:
		return bad("Duration", o.Duration)
	case o.SampleEvery <= 0 || o.SampleEvery > o.Duration:
		return bad("SampleEvery", o.SampleEvery)
	case o.WarmUp < 0 || o.WarmUp >= o.Duration:
		return bad("WarmUp", o.WarmUp)
	case o.Keys < 2 || o.Keys > 10_000_000:
		return bad("Keys", o.Keys)
	case !(o.ZipfS > 0) || o.ZipfS > 10:
		return bad("ZipfS", o.ZipfS)
	case o.Workers < 1 || o.Workers > 1024:
		return bad("Workers", o.Workers)
	case !(o.Rate > 0) || o.Rate > 1e7:
		return bad("Rate", o.Rate)
	case o.ValueBytes < 16 || o.ValueBytes > 1<<20:
		return bad("ValueBytes", o.ValueBytes)
	case o.MaxStaleness < 10*time.Millisecond:
		return bad("MaxStaleness", o.MaxStaleness)
	case o.MaxBytes < 0:
		return bad("MaxBytes", o.MaxBytes)
	case !(o.HeapTolerance >= 0):
		return bad("HeapTolerance", o.HeapTolerance)
	case o.HeapSlack < 0:
		return bad("HeapSlack", o.HeapSlack)
	case o.GoroutineSlack < 0:
		return bad("GoroutineSlack", o.GoroutineSlack)
	case o.ErrorGrace < 0:
		return bad("ErrorGrace", o.ErrorGrace)
	}
	return o, nil
}

// Sample is one measurement, written as a JSON line.
type Sample struct {
	Type string `json:"type"` // "sample"
	// T is the time since the load started, in seconds.
	T float64 `json:"t"`
	// HeapInuse is runtime.MemStats.HeapInuse right after a GC.
	HeapInuse uint64 `json:"heap_inuse"`
	// Goroutines is runtime.NumGoroutine.
	Goroutines int `json:"goroutines"`
	// CacheEntries and CacheBytes are the near cache's size.
	CacheEntries int    `json:"cache_entries"`
	CacheBytes   uint64 `json:"cache_bytes"`
	// CacheHits is the near cache's hits since the previous sample.
	CacheHits uint64 `json:"cache_hits"`
	// Hot is the number of keys hot in the tracker.
	Hot int `json:"hot"`
	// Ops is the operations completed since the previous sample, and
	// OpsPerSec their rate.
	Ops       uint64  `json:"ops"`
	OpsPerSec float64 `json:"ops_per_sec"`
	// P50Micros and P99Micros are latency quantiles of those operations,
	// in microseconds (upper edges of 19%-wide buckets).
	P50Micros float64 `json:"p50_us"`
	P99Micros float64 `json:"p99_us"`
	// Errors, Stale and Corrupt count failed operations, stale reads and
	// unreadable values since the previous sample.
	Errors  uint64 `json:"errors"`
	Stale   uint64 `json:"stale"`
	Corrupt uint64 `json:"corrupt"`
	// Faults lists the faults injected since the previous sample.
	Faults []string `json:"faults,omitempty"`
}

// Verdict sums a run up, written as the last JSON line.
type Verdict struct {
	Type string `json:"type"` // "verdict"
	// OK is false when the run found growth or a correctness error;
	// Reasons then says which.
	OK      bool     `json:"ok"`
	Reasons []string `json:"reasons,omitempty"`

	Seconds float64 `json:"seconds"`
	Samples int     `json:"samples"`
	// Measured is the number of samples after warm-up the growth verdict
	// is based on; with fewer than three there is none.
	Measured int `json:"measured"`

	// HeapFirst and HeapLast are the medians of heap in use over the
	// first and last thirds of the measured samples; HeapSlope is the
	// least-squares slope over all of them, in bytes per minute.
	HeapFirst uint64  `json:"heap_first"`
	HeapLast  uint64  `json:"heap_last"`
	HeapSlope float64 `json:"heap_slope_bytes_per_min"`
	// GoroutinesFirst and GoroutinesLast are the same medians for the
	// goroutine count.
	GoroutinesFirst int `json:"goroutines_first"`
	GoroutinesLast  int `json:"goroutines_last"`

	// CacheBytesMax is the largest near-cache size seen, against
	// CacheBound (Options.MaxBytes).
	CacheBytesMax uint64 `json:"cache_bytes_max"`
	CacheBound    int64  `json:"cache_bound"`

	Ops    uint64  `json:"ops"`
	Hits   uint64  `json:"cache_hits"`
	P50Max float64 `json:"p50_us_max"`
	P99Max float64 `json:"p99_us_max"`
	Errors uint64  `json:"errors"`
	// ErrorsOutsideFaults counts errors not within a fault or its grace.
	ErrorsOutsideFaults uint64 `json:"errors_outside_faults"`
	Stale               uint64 `json:"stale"`
	Corrupt             uint64 `json:"corrupt"`
	// Faults counts the faults injected, by kind.
	Faults map[string]int `json:"faults"`
	// FirstProblem describes the first stale or corrupt read, if any.
	FirstProblem string `json:"first_problem,omitempty"`
}

// Run runs the soak and returns its verdict; it also writes the samples
// and the verdict to opts.Out. The error reports options that are out of
// range or servers that could not be started; the verdict reports what
// the run found. Cancelling ctx ends the load early, with a verdict on
// what was seen. Every goroutine and server Run starts is stopped before
// it returns.
func Run(ctx context.Context, opts Options) (Verdict, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Verdict{}, err
	}
	rs, err := redistest.StartReplicated(ctx, redistest.ReplicatedOptions{
		Replicas: 1,
		Server:   redistest.ServerOptions{Config: []string{"appendonly yes", "appendfsync always"}},
	})
	if err != nil {
		return Verdict{}, fmt.Errorf("soak: start servers: %w", err)
	}
	defer rs.Close()

	primary := rs.Primary()
	rdb := primary.Client()
	defer rdb.Close()
	admin := primary.Client()
	defer admin.Close()
	mw, err := redhot.New(rdb, redhot.Options{
		Tracker:      heat.Options{Rules: heat.Rules{MinRate: 20, MinShare: 0.002}},
		MaxStaleness: o.MaxStaleness,
		MaxBytes:     o.MaxBytes,
		Logger:       o.Logger,
	})
	if err != nil {
		return Verdict{}, fmt.Errorf("soak: %w", err)
	}
	defer mw.Close()

	s := newState(o)
	s.mw, s.rdb = mw, rdb
	s.faults = faulter{o: o, rs: rs, admin: admin, log: o.Logger, win: &s.win, since: s.since}
	return s.run(ctx), nil
}

// state is one run's shared state.
type state struct {
	o    Options
	mw   *redhot.Middleware
	rdb  *redis.Client
	keys *workload.Keyspace
	vers []keyVersions // by key index; key i is written by worker i % Workers
	pad  string

	start time.Time
	win   faultWindow

	faults faulter

	ops, errs, errsOutside, stale, corrupt atomic.Uint64
	lat                                    histogram

	// problemMu guards problem.
	problemMu sync.Mutex
	problem   string
}

func newState(o Options) *state {
	ks, _ := workload.NewKeyspace(workload.KeyspaceOptions{Prefix: "soak:", N: o.Keys})
	return &state{
		o:    o,
		keys: ks,
		vers: make([]keyVersions, o.Keys),
		pad:  strings.Repeat("x", o.ValueBytes),
	}
}

// since returns the monotonic time since the start, in nanoseconds.
func (s *state) since() int64 { return int64(time.Since(s.start)) }

func (s *state) run(ctx context.Context) Verdict {
	ctx, cancel := context.WithTimeout(ctx, s.o.Duration)
	defer cancel()
	s.start = time.Now()

	var wg sync.WaitGroup
	for w := range s.o.Workers {
		z, _ := workload.NewZipf(workload.ZipfOptions{S: s.o.ZipfS, Keys: s.keys, Seed: uint64(w) + 1})
		wg.Go(func() { s.worker(ctx, w, z) })
	}
	var faultLog faultLog
	if s.o.FaultEvery > 0 {
		wg.Go(func() { s.faults.loop(ctx, &faultLog) })
	}

	var samples []Sample
	var prevOps, prevErrs, prevStale, prevCorrupt, prevHits uint64
	tick := time.NewTicker(s.o.SampleEvery)
	prevT := time.Now()
	enc := json.NewEncoder(s.o.Out)
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case now := <-tick.C:
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			st := s.mw.Stats()
			ops, errs, stale, corrupt := s.ops.Load(), s.errs.Load(), s.stale.Load(), s.corrupt.Load()
			p50, p99 := s.lat.quantilesAndReset(0.5, 0.99)
			sm := Sample{
				Type:         "sample",
				T:            now.Sub(s.start).Seconds(),
				HeapInuse:    ms.HeapInuse,
				Goroutines:   runtime.NumGoroutine(),
				CacheEntries: st.Cache.Entries,
				CacheBytes:   st.Cache.Bytes,
				CacheHits:    st.Cache.Hits - prevHits,
				Hot:          st.Tracker.Hot,
				Ops:          ops - prevOps,
				OpsPerSec:    float64(ops-prevOps) / now.Sub(prevT).Seconds(),
				P50Micros:    p50,
				P99Micros:    p99,
				Errors:       errs - prevErrs,
				Stale:        stale - prevStale,
				Corrupt:      corrupt - prevCorrupt,
				Faults:       faultLog.take(),
			}
			prevOps, prevErrs, prevStale, prevCorrupt, prevHits, prevT = ops, errs, stale, corrupt, st.Cache.Hits, now
			samples = append(samples, sm)
			_ = enc.Encode(sm)
		}
	}
	tick.Stop()
	wg.Wait()

	v := judge(s.o, samples)
	v.Seconds = time.Since(s.start).Seconds()
	v.Ops = s.ops.Load()
	v.Hits = s.mw.Stats().Cache.Hits
	v.Errors = s.errs.Load()
	v.ErrorsOutsideFaults = s.errsOutside.Load()
	v.Stale = s.stale.Load()
	v.Corrupt = s.corrupt.Load()
	v.Faults = faultLog.counts()
	s.problemMu.Lock()
	v.FirstProblem = s.problem
	s.problemMu.Unlock()
	if v.Stale > 0 {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d reads returned a value older than the %v staleness bound", v.Stale, s.o.MaxStaleness))
	}
	if v.Corrupt > 0 {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d reads returned a value never written", v.Corrupt))
	}
	if v.ErrorsOutsideFaults > 0 {
		v.Reasons = append(v.Reasons, fmt.Sprintf("%d operations failed outside faults", v.ErrorsOutsideFaults))
	}
	v.OK = len(v.Reasons) == 0
	_ = enc.Encode(v)
	return v
}

// worker sends paced operations until ctx ends. It writes only keys whose
// index is w modulo Workers.
func (s *state) worker(ctx context.Context, w int, z *workload.Zipf) {
	rng := rand.New(rand.NewPCG(uint64(w), 0x50a4))
	interval := time.Duration(float64(s.o.Workers) / s.o.Rate * 1e9)
	next := time.Now()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		next = next.Add(interval)
		if d := time.Until(next); d > 0 {
			t.Reset(d)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		} else if ctx.Err() != nil {
			return
		} else if d < -time.Second {
			next = time.Now() // fell behind (a fault): do not burst
		}
		s.op(ctx, w, z, rng)
	}
}

// op runs one operation and checks what it read.
func (s *state) op(ctx context.Context, w int, z *workload.Zipf, rng *rand.Rand) {
	began := time.Now()
	at := s.since()
	var err error
	switch p := rng.IntN(100); {
	case p < 55: // GET through the client: the near cache for hot keys
		i := z.Sample(0)
		v, e := s.rdb.Get(ctx, z.Key(i)).Result()
		err = s.check(i, at, v, e)
	case p < 70:
		i := z.Sample(0)
		v, e := s.mw.Get(ctx, z.Key(i))
		err = s.check(i, at, v, e)
	case p < 80:
		idx := [4]uint32{z.Sample(0), z.Sample(0), z.Sample(0), z.Sample(0)}
		vals, e := s.rdb.MGet(ctx, z.Key(idx[0]), z.Key(idx[1]), z.Key(idx[2]), z.Key(idx[3])).Result()
		if err = e; e == nil {
			for j, v := range vals {
				str, isStr := v.(string)
				var ce error = redis.Nil
				if isStr {
					ce = nil
				}
				_ = s.check(idx[j], at, str, ce)
			}
		}
	case p < 85: // a pipeline of reads: never served locally
		pipe := s.rdb.Pipeline()
		var idx [4]uint32
		var cmds [4]*redis.StringCmd
		for j := range idx {
			idx[j] = z.Sample(0)
			cmds[j] = pipe.Get(ctx, z.Key(idx[j]))
		}
		_, e := pipe.Exec(ctx)
		if err = e; e == nil || errors.Is(e, redis.Nil) {
			err = nil
			for j, c := range cmds {
				v, ce := c.Result()
				_ = s.check(idx[j], at, v, ce)
			}
		}
	case p < 90: // SET and GET of one key in a pipeline: read your write
		i := s.own(w, z.Sample(0))
		ver := s.vers[i].issue()
		pipe := s.rdb.Pipeline()
		pipe.Set(ctx, z.Key(i), s.value(ver), 0)
		get := pipe.Get(ctx, z.Key(i))
		if _, err = pipe.Exec(ctx); err == nil {
			s.vers[i].ack(s.since(), ver)
			v, e := get.Result()
			if got, ok := parseVersion(v); e != nil || !ok || got < ver {
				s.report(&s.stale, fmt.Sprintf("GET after SET v%d of %s in one pipeline = %q, %v", ver, z.Key(i), v, e))
			}
		}
	default: // SET
		i := s.own(w, z.Sample(0))
		ver := s.vers[i].issue()
		if err = s.rdb.Set(ctx, z.Key(i), s.value(ver), 0).Err(); err == nil {
			s.vers[i].ack(s.since(), ver)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return // the run ended under the command
		}
		s.errs.Add(1)
		if !s.win.covers(s.since(), int64(s.o.ErrorGrace)) {
			if s.errsOutside.Add(1) == 1 {
				s.o.Logger.Warn("soak: error outside faults", "err", err)
			}
		}
		return
	}
	s.ops.Add(1)
	s.lat.add(time.Since(began))
}

// own maps key index i to the nearest index worker w writes.
func (s *state) own(w int, i uint32) uint32 {
	n := uint32(s.o.Workers)
	j := i - i%n + uint32(w)
	if int(j) >= s.o.Keys {
		j -= n
	}
	return j
}

// value returns the value of version v: "v<version>:" and padding.
func (s *state) value(v int64) string {
	head := "v" + strconv.FormatInt(v, 10) + ":"
	if len(head) >= len(s.pad) {
		return head
	}
	return head + s.pad[len(head):]
}

// parseVersion reads the version of a value written by value.
func parseVersion(v string) (int64, bool) {
	num, _, ok := strings.Cut(v, ":")
	if !ok || !strings.HasPrefix(num, "v") {
		return 0, false
	}
	n, err := strconv.ParseInt(num[1:], 10, 64)
	return n, err == nil && n > 0
}

// check checks a read of key i begun at time at (nanoseconds since the
// start) that returned v, err. It returns err unless err is redis.Nil.
func (s *state) check(i uint32, at int64, v string, err error) error {
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	var got int64
	if err == nil {
		n, ok := parseVersion(v)
		if !ok {
			s.report(&s.corrupt, fmt.Sprintf("GET %s = %q: not a versioned value", s.keys.Key(i), v))
			return nil
		}
		got = n
	}
	issued, floor := s.vers[i].bounds(at - int64(s.o.MaxStaleness))
	switch {
	case got > issued:
		s.report(&s.corrupt, fmt.Sprintf("GET %s = v%d: only v%d was ever written", s.keys.Key(i), got, issued))
	case got < floor:
		s.report(&s.stale, fmt.Sprintf("GET %s at +%v = v%d; v%d was acknowledged more than %v before the read", s.keys.Key(i), time.Duration(at), got, floor, s.o.MaxStaleness))
	}
	return nil
}

// report counts a problem and keeps the first description.
func (s *state) report(c *atomic.Uint64, what string) {
	c.Add(1)
	s.problemMu.Lock()
	defer s.problemMu.Unlock()
	if s.problem == "" {
		s.problem = what
		s.o.Logger.Error("soak: " + what)
	}
}

// keyVersions is one key's write history: the last version issued and
// the acknowledgement times of its latest versions.
type keyVersions struct {
	// mu guards issued, acks and n.
	mu     sync.Mutex
	issued int64
	acks   [32]ackAt // ring, acks[(n-1)%32] the newest
	n      int
}

type ackAt struct{ at, v int64 }

func (k *keyVersions) issue() int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.issued++
	return k.issued
}

func (k *keyVersions) ack(at, v int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.acks[k.n%len(k.acks)] = ackAt{at, v}
	k.n++
}

// bounds returns the last version issued and the newest version
// acknowledged at or before time before (0 if none is known: the ring may
// have forgotten it, which only weakens the check).
func (k *keyVersions) bounds(before int64) (issued, floor int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for j := 1; j <= min(k.n, len(k.acks)); j++ {
		a := k.acks[(k.n-j)%len(k.acks)]
		if a.at <= before {
			return k.issued, a.v
		}
	}
	return k.issued, 0
}
