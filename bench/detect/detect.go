// Package detect measures redhot's heat tracker against exact counting and
// against published Go top-k libraries on the same traces, in one run. It
// backs `make bench-detect`.
//
// Accuracy is measured on stream time (an injected clock), so it does not
// depend on the machine; speed is measured on the wall clock, so compare
// ratios within one run, not absolute numbers across machines.
package detect

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/workload"
)

// Config sizes a run.
type Config struct {
	// Keys is the number of distinct keys of the Zipf workloads.
	Keys int
	// Ops is the number of accesses of each Zipf workload.
	Ops int
	// Rate is the stream rate of the Zipf workloads, accesses per second.
	Rate float64
	// Capacity is the tracker's capacity.
	Capacity int
	// SpeedOps is the number of accesses timed for ns_per_op.
	SpeedOps int
	// StepTrials is the number of step-change trials.
	StepTrials int
	// StepRate is the stream rate of the step-change workload.
	StepRate float64
	// StepShare is the share the viral key jumps to.
	StepShare float64
	// ParallelRuns is how many RunParallel measurements are made of each
	// workload (about a second each); the best is reported.
	ParallelRuns int
}

// Full is the configuration of `make bench-detect`.
var Full = Config{Keys: 1_000_000, Ops: 10_000_000, Rate: 1_000_000, Capacity: 1000,
	SpeedOps: 2_000_000, StepTrials: 100, StepRate: 50_000, StepShare: 0.02, ParallelRuns: 3}

// Quick is a small configuration for tests.
var Quick = Config{Keys: 50_000, Ops: 300_000, Rate: 1_000_000, Capacity: 1000,
	SpeedOps: 50_000, StepTrials: 5, StepRate: 50_000, StepShare: 0.02, ParallelRuns: 1}

// Result is one JSON line of the report. Pointer fields are omitted where
// they do not apply.
type Result struct {
	Workload         string   `json:"workload"`
	Detector         string   `json:"detector"`
	Decay            string   `json:"decay"`
	Keys             int      `json:"keys"`
	Ops              int      `json:"ops"`
	RecallAt100      *float64 `json:"recall_at_100,omitempty"`
	PrecisionAt100   *float64 `json:"precision_at_100,omitempty"`
	Top10RateError   *float64 `json:"top10_rate_error,omitempty"`
	NsPerOp          *float64 `json:"ns_per_op,omitempty"`
	NsPerOpParallel  *float64 `json:"ns_per_op_parallel,omitempty"`
	ParallelSpeedup  *float64 `json:"parallel_speedup,omitempty"`
	NsPerOpKeyspace  *float64 `json:"ns_per_op_keyspace,omitempty"`
	MemoryBytes      *int64   `json:"memory_bytes,omitempty"`
	ExactNsPerOp     *float64 `json:"exact_ns_per_op,omitempty"`
	ExactMemoryBytes *int64   `json:"exact_memory_bytes,omitempty"`
	StepDetectMsP50  *float64 `json:"step_detect_ms_p50,omitempty"`
	StepDetectMsP99  *float64 `json:"step_detect_ms_p99,omitempty"`
	StepDetectMsMax  *float64 `json:"step_detect_ms_max,omitempty"`
	StepMissed       *int     `json:"step_missed,omitempty"`
	Note             string   `json:"note,omitempty"`
}

func f64(v float64) *float64 { return &v }
func i64(v int64) *int64     { return &v }

var epoch = time.Unix(1_700_000_000, 0)

// trace is one Zipf workload: key indices in access order and the names.
type trace struct {
	name string
	s    float64
	z    *workload.Zipf
	idx  []uint32
}

func newTrace(cfg Config, s float64) (*trace, error) {
	keys, err := workload.NewKeyspace(workload.KeyspaceOptions{Prefix: "user:", N: cfg.Keys})
	if err != nil {
		return nil, err
	}
	z, err := workload.NewZipf(workload.ZipfOptions{S: s, Keys: keys, Seed: uint64(s * 1000), Rate: cfg.Rate})
	if err != nil {
		return nil, err
	}
	tr := &trace{name: fmt.Sprintf("zipf-%.1f", s), s: s, z: z, idx: make([]uint32, cfg.Ops)}
	z.Fill(tr.idx)
	return tr, nil
}

// decayedExact counts every key exactly with the same exponential decay as
// the tracker, so that the comparison isolates the sketch's error from the
// sampling noise of the traffic itself.
type decayedExact struct {
	tau      float64
	landmark int64
	counts   map[uint32]float64
	first    int64
}

func (e *decayedExact) add(i uint32, now int64) {
	if float64(now-e.landmark) > 16*e.tau {
		f := math.Exp(-float64(now-e.landmark) / e.tau)
		for k := range e.counts {
			e.counts[k] *= f
		}
		e.landmark = now
	}
	e.counts[i] += math.Exp(float64(now-e.landmark) / e.tau)
}

// rates returns every key's exact rate at now, normalised like the
// tracker's rate for a key tracked since the first access.
func (e *decayedExact) rates(now int64) map[uint32]float64 {
	f := math.Exp(-float64(now-e.landmark) / e.tau)
	norm := e.tau * -math.Expm1(-float64(now-e.first)/e.tau) / 1e9
	out := make(map[uint32]float64, len(e.counts))
	for k, c := range e.counts {
		out[k] = c * f / norm
	}
	return out
}

// topOf returns the k keys with the largest values, largest first.
func topOf[K comparable](m map[K]float64, k int) []K {
	type kv struct {
		k K
		v float64
	}
	all := make([]kv, 0, len(m))
	for key, v := range m {
		all = append(all, kv{key, v})
	}
	slices.SortFunc(all, func(a, b kv) int {
		switch {
		case a.v > b.v:
			return -1
		case a.v < b.v:
			return 1
		}
		return 0
	})
	out := make([]K, 0, k)
	for i := 0; i < k && i < len(all); i++ {
		out = append(out, all[i].k)
	}
	return out
}

// accuracy compares a reported top list (key names, best first) and its
// rates with the exact rates. A reported key counts as one of the true top
// 100 when its exact value is at least the 100th largest: keys tied at the
// boundary are equally right, whichever of them a sort happens to list.
func accuracy(reported []string, rates map[string]float64, exact map[string]float64) (recall, precision, top10err float64) {
	truth := topOf(exact, 100)
	if len(truth) == 0 {
		return 0, 0, 0
	}
	bar := exact[truth[len(truth)-1]]
	hits := 0
	n := min(len(reported), 100)
	seen := make(map[string]bool, n)
	for _, k := range reported[:n] {
		if v, ok := exact[k]; ok && v >= bar && !seen[k] {
			hits++
		}
		seen[k] = true
	}
	hits = min(hits, len(truth))
	recall = float64(hits) / float64(len(truth))
	if n > 0 {
		precision = float64(hits) / float64(n)
	}
	for _, k := range truth[:min(10, len(truth))] {
		got, ok := rates[k]
		if !ok {
			top10err = math.Inf(1)
			continue
		}
		top10err = max(top10err, math.Abs(got-exact[k])/exact[k])
	}
	return recall, precision, top10err
}

// runZipfDecayed drives the tracker and the decayed exact counter on stream
// time and compares them at the end.
func runZipfDecayed(cfg Config, tr *trace) (Result, error) {
	clk := heat.NewFakeClock(epoch)
	t, err := heat.New(heat.Options{Capacity: cfg.Capacity, Clock: clk, Stripes: 1})
	if err != nil {
		return Result{}, err
	}
	defer t.Close()
	window := t.Options().Window
	ex := &decayedExact{tau: float64(window), landmark: epoch.UnixNano(), first: epoch.UnixNano(), counts: make(map[uint32]float64)}
	step := time.Duration(float64(time.Second) / cfg.Rate)
	now := epoch.UnixNano()
	for _, i := range tr.idx {
		t.Observe(tr.z.Key(i), heat.Read)
		ex.add(i, now)
		clk.Add(step)
		now += int64(step)
	}
	top := t.Top(100)
	reported := make([]string, len(top))
	rates := make(map[string]float64, len(top))
	for j, k := range top {
		reported[j] = k.Key
		rates[k.Key] = k.Rate
	}
	exact := make(map[string]float64)
	for i, r := range ex.rates(now) {
		exact[tr.z.Key(i)] = r
	}
	rec, prec, e10 := accuracy(reported, rates, exact)
	return Result{
		Workload: tr.name, Detector: "redhot", Decay: fmt.Sprintf("exponential, window %v", window),
		Keys: cfg.Keys, Ops: len(tr.idx),
		RecallAt100: f64(rec), PrecisionAt100: f64(prec), Top10RateError: f64(e10),
		MemoryBytes: i64(int64(t.MemoryBytes())),
	}, nil
}

// materialize lays out the keys of the first n accesses in access order,
// as a client that has just built each key holds it in cache.
func materialize(tr *trace, n int) []string {
	n = min(n, len(tr.idx))
	size := 0
	for _, i := range tr.idx[:n] {
		size += len(tr.z.Key(i))
	}
	arena := make([]byte, 0, size)
	out := make([]string, n)
	for j, i := range tr.idx[:n] {
		s := len(arena)
		arena = append(arena, tr.z.Key(i)...)
		out[j] = string(arena[s:]) // a copy, allocated in order
	}
	return out
}

// timeBest runs f three times and returns the fastest, in nanoseconds per
// op, to keep a noisy machine's hiccups out of the figure.
func timeBest(ops int, f func()) float64 {
	best := math.Inf(1)
	for r := 0; r < 3; r++ {
		start := time.Now()
		f()
		best = min(best, float64(time.Since(start).Nanoseconds())/float64(ops))
	}
	return best
}

// speed times the tracker (default options, real clock) and the exact
// counter on the same keys.
func speed(cfg Config, tr *trace, res *Result) error {
	keys := materialize(tr, cfg.SpeedOps)
	t, err := heat.New(heat.Options{Capacity: cfg.Capacity})
	if err != nil {
		return err
	}
	defer t.Close()
	res.NsPerOp = f64(timeBest(len(keys), func() {
		for _, k := range keys {
			t.Observe(k, heat.Read)
		}
	}))
	// The parallel figure is testing's RunParallel, one goroutine per
	// processor, each starting at its own offset in the first 2^18 keys of
	// the trace (a working set that stays in cache, as the single-core
	// loop's sequential walk does); the best of ParallelRuns runs.
	const window = 1 << 18
	hot := keys[:min(len(keys), window)]
	par := math.Inf(1)
	for r := 0; r < max(1, cfg.ParallelRuns); r++ {
		var next atomic.Int64
		br := testing.Benchmark(func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(int64(len(hot) / runtime.GOMAXPROCS(0))))
				for pb.Next() {
					t.Observe(hot[i%len(hot)], heat.Read)
					i++
				}
			})
		})
		par = min(par, float64(br.T.Nanoseconds())/float64(br.N))
	}
	res.NsPerOpParallel = f64(par)
	res.ParallelSpeedup = f64(*res.NsPerOp / *res.NsPerOpParallel)
	idx := tr.idx[:len(keys)]
	res.NsPerOpKeyspace = f64(timeBest(len(idx), func() {
		for _, i := range idx {
			t.Observe(tr.z.Key(i), heat.Read)
		}
	}))

	counts := make(map[string]uint64)
	res.ExactNsPerOp = f64(timeBest(len(keys), func() {
		for _, k := range keys {
			counts[k]++
		}
	}))
	res.ExactMemoryBytes = i64(exactMemory(tr))
	return nil
}

// exactMemory returns the heap an exact counter (a map from key to count)
// holds after the whole trace: it grows with the number of distinct keys.
// The keys' own bytes are shared with the key space and not counted.
func exactMemory(tr *trace) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	counts := make(map[string]uint64)
	for _, i := range tr.idx {
		counts[tr.z.Key(i)]++
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(counts)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}

// runStep runs the step-change trials: a key goes from 0 to StepShare of
// a StepRate stream; the latency is the stream time from the step to the
// first evaluation (every EvalInterval of stream time, as the background
// goroutine would) that flags it hot.
func runStep(cfg Config) (Result, error) {
	keys, err := workload.NewKeyspace(workload.KeyspaceOptions{Prefix: "user:", N: cfg.Keys})
	if err != nil {
		return Result{}, err
	}
	bg, err := workload.NewZipf(workload.ZipfOptions{S: 1.0, Keys: keys, Seed: 7})
	if err != nil {
		return Result{}, err
	}
	const viral = "viral:step"
	warm := 2 * time.Second
	var lat []float64
	missed := 0
	ops := 0
	var eval time.Duration
	for trial := 0; trial < cfg.StepTrials; trial++ {
		g, err := workload.NewStep(workload.StepOptions{Background: bg, Key: viral, At: warm, Share: cfg.StepShare, Seed: uint64(trial), Rate: cfg.StepRate, Poisson: true})
		if err != nil {
			return Result{}, err
		}
		clk := heat.NewFakeClock(epoch)
		t, err := heat.New(heat.Options{Capacity: cfg.Capacity, Clock: clk, Stripes: 1})
		if err != nil {
			return Result{}, err
		}
		eval = t.Options().EvalInterval
		nextEval := eval
		detected := false
		for {
			a := g.Next()
			ops++
			for a.At >= nextEval {
				clk.Set(epoch.Add(nextEval))
				t.Evaluate()
				if nextEval > warm && t.IsHot(viral) {
					lat = append(lat, float64(nextEval-warm)/float64(time.Millisecond))
					detected = true
					break
				}
				nextEval += eval
			}
			if detected {
				break
			}
			if a.At > warm+time.Second {
				missed++
				break
			}
			clk.Set(epoch.Add(a.At))
			t.Observe(a.Key, heat.Read)
		}
		t.Close()
	}
	slices.Sort(lat)
	res := Result{Workload: "step", Detector: "redhot", Keys: cfg.Keys, Ops: ops,
		StepMissed: &missed,
		Note: fmt.Sprintf("a key jumps from 0 to %.0f%% of a %.0f ops/s Zipf(1.0) stream after %v; %d trials; rules evaluated every %v of stream time",
			100*cfg.StepShare, cfg.StepRate, warm, cfg.StepTrials, eval)}
	if len(lat) > 0 {
		res.StepDetectMsP50 = f64(quantile(lat, 0.50))
		res.StepDetectMsP99 = f64(quantile(lat, 0.99))
		res.StepDetectMsMax = f64(lat[len(lat)-1])
	}
	if missed > 0 {
		res.StepDetectMsP99 = f64(math.Inf(1))
	}
	return res, nil
}

// quantile returns the q-quantile of sorted xs (nearest rank).
func quantile(xs []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	return xs[max(0, min(i, len(xs)-1))]
}
