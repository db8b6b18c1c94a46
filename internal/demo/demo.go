// Package demo runs redhot's demonstration, `redhot demo` and `make demo`:
// a flash sale on a Redis Cluster told in phases, with every figure
// measured in the same run.
//
// Steady Zipf traffic runs against the cluster (an embedded one of real
// redis-server processes unless Options.URL names one) through a plain
// go-redis cluster client that redhot only observes. Then the sale starts:
// a product goes viral (its stock level with it), an order counter takes
// heavy increments, a feature flag is read by every request and an
// expensive price list is recomputed whenever it expires. redhot's tracker flags each key; the demo measures
// the unmitigated load (commands per second of each primary, from INFO
// deltas) and client latency, then switches on the mitigation for each
// key it detected (near cache, split counter, stampede guard, replica
// reads where the cluster has replicas) and measures the same traffic
// again. Run returns a Summary and writes an HTML report with charts and
// PNG files.
//
// cmd/redhot only maps flags to Options; tests call Run directly.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/inspect"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/internal/workload"
	"github.com/redhot/redhot/replica"
	"github.com/redhot/redhot/split"
	"github.com/redhot/redhot/stampede"
)

// Options configure Run. The zero value, with Out set, gives the
// documented defaults.
type Options struct {
	// URL is a Redis Cluster (any node) or a standalone server to run the
	// story against, as redis://[user:password@]host:port. The demo writes
	// keys under "product:", "sale:" and "flag:".
	// default: "" (start an embedded cluster of redis-server processes in a
	// temporary directory, removed on return)
	URL string

	// Primaries is the number of primaries of the embedded cluster.
	// default: 3
	Primaries int

	// Replicas is the number of replicas of each primary of the embedded
	// cluster.
	// default: 0
	Replicas int

	// Quick shortens the story: Duration 10 seconds and 20,000 keys
	// unless those are set.
	// default: false
	Quick bool

	// Duration is how long the traffic runs, all phases included.
	// default: 45 seconds (10 with Quick)
	Duration time.Duration

	// Rate is the number of commands per second the clients offer,
	// the same in every phase.
	// default: 6,000
	Rate float64

	// Keys is the number of product keys in the background Zipf traffic.
	// default: 100,000 (20,000 with Quick)
	Keys int

	// Workers is the number of goroutines sending commands, each one at a
	// time (a near cache serves single reads, not pipelines).
	// default: 24
	Workers int

	// Interval is how often load and latency are sampled and the display
	// is redrawn.
	// default: 500 milliseconds
	Interval time.Duration

	// PricesTTL is the price list's TTL, and PricesCost how long computing
	// it takes.
	// default: 1 second and 50 milliseconds
	PricesTTL, PricesCost time.Duration

	// ReportDir is the folder the report is written to; it is created if
	// missing.
	// default: a new temporary directory
	ReportDir string

	// NoReport skips writing the report.
	// default: false
	NoReport bool

	// Out receives the live display and the summary. Required.
	Out io.Writer

	// TTY redraws a compact display in place with ANSI escapes; otherwise
	// progress is printed as plain lines.
	// default: false
	TTY bool
}

// ErrInvalidOptions is returned by Run for an option out of range; the
// wrapping error names the field.
var ErrInvalidOptions = errors.New("demo: invalid options")

func (o Options) withDefaults() (Options, error) {
	bad := func(field string, v any, want string) (Options, error) {
		return o, fmt.Errorf("%w: %s = %v; want %s", ErrInvalidOptions, field, v, want)
	}
	if o.Out == nil {
		return o, fmt.Errorf("%w: Out is required", ErrInvalidOptions)
	}
	if o.Primaries == 0 {
		o.Primaries = 3
	}
	if o.Primaries < 1 || o.Primaries > 16 {
		return bad("Primaries", o.Primaries, "1 to 16")
	}
	if o.Replicas < 0 || o.Replicas > 4 {
		return bad("Replicas", o.Replicas, "0 to 4")
	}
	if o.Duration == 0 {
		o.Duration = 45 * time.Second
		if o.Quick {
			o.Duration = 10 * time.Second
		}
	}
	if o.Duration < 2*time.Second {
		return bad("Duration", o.Duration, "at least 2s")
	}
	if o.Rate == 0 {
		o.Rate = 6000
	}
	if !(o.Rate >= 100 && o.Rate <= 1e6) {
		return bad("Rate", o.Rate, "100 to 1,000,000 commands per second")
	}
	if o.Keys == 0 {
		o.Keys = 100_000
		if o.Quick {
			o.Keys = 20_000
		}
	}
	if o.Keys < 100 || o.Keys > 10_000_000 {
		return bad("Keys", o.Keys, "100 to 10,000,000")
	}
	if o.Workers == 0 {
		o.Workers = 24
	}
	if o.Workers < 1 || o.Workers > 1024 {
		return bad("Workers", o.Workers, "1 to 1024")
	}
	if o.Interval == 0 {
		o.Interval = 500 * time.Millisecond
	}
	if o.Interval < 50*time.Millisecond || o.Interval > o.Duration/8 {
		return bad("Interval", o.Interval, "50ms to Duration/8")
	}
	if o.PricesTTL == 0 {
		o.PricesTTL = time.Second
	}
	if o.PricesTTL < 10*time.Millisecond {
		return bad("PricesTTL", o.PricesTTL, "at least 10ms")
	}
	if o.PricesCost == 0 {
		o.PricesCost = 50 * time.Millisecond
	}
	if o.PricesCost < 0 || o.PricesCost >= o.PricesTTL {
		return bad("PricesCost", o.PricesCost, "positive and below PricesTTL")
	}
	return o, nil
}

// Summary is what one run measured.
type Summary struct {
	// Nodes are the primaries, in the order of every per-node figure.
	Nodes []string `json:"nodes"`
	// Replicas is the number of replicas in the deployment.
	Replicas int `json:"replicas"`
	// Duration is how long traffic ran; Rate the offered commands/s.
	Duration time.Duration `json:"duration_ns"`
	Rate     float64       `json:"rate"`

	// Keys are the story's keys: when each started, when redhot flagged
	// it, and the mitigation switched on.
	Keys []KeyResult `json:"keys"`
	// BackgroundP99Before and After are the background traffic's p99 in
	// the before and after windows.
	BackgroundP99Before time.Duration `json:"background_p99_before_ns"`
	BackgroundP99After  time.Duration `json:"background_p99_after_ns"`
	// OtherHot are background keys flagged hot before mitigation (the
	// head of the Zipf traffic); the near cache serves them too afterwards.
	OtherHot []string `json:"other_hot"`

	// Baseline is the steady traffic before the sale, Before the sale
	// without mitigation, After the same traffic with it.
	Baseline Window `json:"baseline"`
	Before   Window `json:"before"`
	After    Window `json:"after"`

	// NearCacheHits are commands answered by redhot's near cache, which
	// never reached Redis; NearCacheShare their part of the commands sent
	// after mitigation.
	NearCacheHits  uint64  `json:"near_cache_hits"`
	NearCacheShare float64 `json:"near_cache_share"`

	// ReplicaReads are reads a replica served instead of a primary.
	ReplicaReads uint64 `json:"replica_reads"`

	// Prices are the price list's computations.
	Prices PriceLoads `json:"prices"`

	// CounterAcked are increments of the order counter the server
	// acknowledged, CounterUnknown those whose outcome is unknown, and
	// CounterTotal the counter's value at the end (plain key plus split
	// shards).
	CounterAcked   int64 `json:"counter_acked"`
	CounterUnknown int64 `json:"counter_unknown"`
	CounterTotal   int64 `json:"counter_total"`

	// Commands are the client commands that completed; Errors those that
	// failed, the first with FirstError.
	Commands   int64  `json:"commands"`
	Errors     int64  `json:"errors"`
	FirstError string `json:"first_error,omitempty"`

	// Samples are the load and latency of every sampling interval.
	Samples []Sample `json:"samples"`

	// ReportDir is where the report went, Files its files (full paths);
	// empty without a report.
	ReportDir string   `json:"report_dir,omitempty"`
	Files     []string `json:"files,omitempty"`

	// Interrupted reports that the context ended the run early.
	Interrupted bool `json:"interrupted"`
}

// KeyResult is one story key's detection and mitigation.
type KeyResult struct {
	Key  string `json:"key"`
	Role string `json:"role"`
	// Onset is when its traffic started, from the start of the run.
	Onset time.Duration `json:"onset_ns"`
	// Detected reports that redhot flagged it hot before mitigation;
	// DetectedAt is when, and DetectedAfter how long after Onset. Rate and
	// Share are the tracker's estimates at that moment.
	Detected      bool          `json:"detected"`
	DetectedAt    time.Duration `json:"detected_at_ns"`
	DetectedAfter time.Duration `json:"detected_after_ns"`
	Rate          float64       `json:"rate"`
	Share         float64       `json:"share"`
	// Mitigation is what was switched on for it; "" if nothing was.
	Mitigation string `json:"mitigation"`
	// P99Before and P99After are the latencies of its commands in the
	// before and after windows.
	P99Before time.Duration `json:"p99_before_ns"`
	P99After  time.Duration `json:"p99_after_ns"`
}

// Window is the load and latency over one phase of the story.
type Window struct {
	Name     string        `json:"name"`
	From, To time.Duration `json:"-"`
	// ClientOpsPerSec are the commands the clients completed per second;
	// ServerOpsPerSec the commands the primaries processed per second
	// (INFO deltas), NodeOpsPerSec each primary's.
	ClientOpsPerSec float64   `json:"client_ops_per_sec"`
	ServerOpsPerSec float64   `json:"server_ops_per_sec"`
	NodeOpsPerSec   []float64 `json:"node_ops_per_sec"`
	// MaxOverMean is the busiest primary's rate over the primaries' mean:
	// 1 is perfect balance, the number of primaries all load on one.
	MaxOverMean float64 `json:"max_over_mean"`
	// P50 and P99 are client command latencies.
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
}

// PriceLoads compare the price list's computations without and with the
// stampede guard.
type PriceLoads struct {
	// Aside are computations by cache-aside readers, Guarded those behind
	// the guard; PerTTL divides each by the number of TTLs it ran for.
	Aside         int64   `json:"aside"`
	Guarded       int64   `json:"guarded"`
	AsidePerTTL   float64 `json:"aside_per_ttl"`
	GuardedPerTTL float64 `json:"guarded_per_ttl"`
}

// Sample is one sampling interval's load and latency.
type Sample struct {
	At        time.Duration `json:"at_ns"` // end of the interval, from the start
	From      time.Duration `json:"from_ns"`
	ClientOps float64       `json:"client_ops_per_sec"`
	Nodes     []float64     `json:"node_ops_per_sec"` // per primary, in Summary.Nodes order
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	// ServerOps is the primaries' commands/s together: below ClientOps
	// once the near cache answers reads.
	ServerOps float64 `json:"server_ops_per_sec"`

	lat counts
}

// Run tells the story until Duration has passed or ctx is done, printing
// to opts.Out, and returns what it measured. Cancelling ctx ends the demo
// early: Run then stops the traffic, tears down what it started and
// returns the summary so far (Interrupted set, no report) and no error.
func Run(ctx context.Context, opts Options) (Summary, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	url := o.URL
	if url == "" {
		fmt.Fprintf(o.Out, "starting a Redis Cluster of %d primaries", o.Primaries)
		if o.Replicas > 0 {
			fmt.Fprintf(o.Out, " with %d replica(s) each", o.Replicas)
		}
		fmt.Fprintln(o.Out, " (redis-server processes in a temporary directory) ...")
		cl, err := redistest.StartCluster(ctx, redistest.ClusterOptions{Primaries: o.Primaries, ReplicasPerPrimary: o.Replicas})
		if err != nil {
			if ctx.Err() != nil {
				return Summary{Interrupted: true}, nil
			}
			return Summary{}, fmt.Errorf("demo: start the cluster: %w", err)
		}
		defer cl.Close()
		url = "redis://" + cl.Primaries()[0].Addr()
	}
	target, err := inspect.Connect(ctx, inspect.ConnOptions{URL: url})
	if err != nil {
		if ctx.Err() != nil {
			return Summary{Interrupted: true}, nil
		}
		return Summary{}, fmt.Errorf("demo: connect to %s: %w", url, err)
	}
	defer target.Close()

	var sum Summary
	sum.Rate, sum.Duration = o.Rate, o.Duration
	for _, n := range target.Nodes() {
		if n.Role == inspect.Primary {
			sum.Nodes = append(sum.Nodes, n.Addr)
		} else {
			sum.Replicas++
		}
	}
	if len(sum.Nodes) == 0 {
		return Summary{}, fmt.Errorf("demo: %s: no primary found", url)
	}

	quiet := slog.New(slog.DiscardHandler)
	plain := target.NewClient()
	defer plain.Close()
	mitClient := target.NewClient()
	defer mitClient.Close()
	for _, c := range []redis.UniversalClient{plain, mitClient} {
		setPool(c, o.Workers)
	}
	// With replicas, a third client reads the keys the demo marks from
	// them, through a replica.Router hook.
	var (
		repClient redis.UniversalClient
		router    *replica.Router
		routed    sync.Map // keys whose reads go to replicas
	)
	if sum.Replicas > 0 {
		repClient = target.NewClient()
		defer repClient.Close()
		setPool(repClient, o.Workers)
		router, err = replica.New(repClient, replica.Options{Hot: func(key string) bool {
			_, ok := routed.Load(key)
			return ok
		}})
		if err != nil {
			return Summary{}, fmt.Errorf("demo: %w", err)
		}
		defer router.Close()
		repClient.AddHook(router.Hook())
	}

	// The observer: redhot on the plain client with its near cache off,
	// so the unmitigated phases are measured as they are, and detection
	// happens on the traffic that needs it.
	observer, err := redhot.New(plain, redhot.Options{DisableCache: true, Logger: quiet})
	if err != nil {
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	defer observer.Close()
	events := observer.Subscribe(1024)
	defer events.Close()
	// The mitigation: redhot with its near cache, a splitter and a
	// stampede guard on the second client.
	mw, err := redhot.New(mitClient, redhot.Options{Logger: quiet})
	if err != nil {
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	defer mw.Close()
	splitter, err := split.New(mitClient, split.Options{})
	if err != nil {
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	defer splitter.Close()
	guard, err := stampede.New(stampede.Options{Client: mitClient})
	if err != nil {
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	defer guard.Close()

	if err := seed(ctx, plain, splitter); err != nil {
		if ctx.Err() != nil {
			return Summary{Interrupted: true}, nil
		}
		return Summary{}, fmt.Errorf("demo: write the sale's keys: %w", err)
	}
	keys, err := workload.NewKeyspace(workload.KeyspaceOptions{Prefix: "product:", N: o.Keys})
	if err != nil {
		return Summary{}, fmt.Errorf("demo: %w", err)
	}
	meter := inspect.NewLoadMeter(ctx, target)
	if _, err := meter.Sample(ctx); err != nil {
		if ctx.Err() != nil {
			return Summary{Interrupted: true}, nil
		}
		return Summary{}, fmt.Errorf("demo: read INFO: %w", err)
	}

	sched := newSchedule(o.Duration)
	tr := &traffic{sched: sched, o: o, plain: plain, mit: mitClient, reps: repClient}
	tr.hist.Store(&histogram{})
	for k := range nStory {
		sum.Keys = append(sum.Keys, KeyResult{Key: storyKeys[k], Role: storyRole[k]})
	}

	// The workers' context is cancelled, not timed out, at the end: a
	// deadline would be put on every command's socket and make those in
	// flight at the end fail with a timeout.
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	tr.start = time.Now()
	for w := range o.Workers {
		z, err := workload.NewZipf(workload.ZipfOptions{S: 0.9, Keys: keys, Seed: uint64(w), RankOrder: true})
		if err != nil {
			stop()
			wg.Wait()
			return Summary{}, fmt.Errorf("demo: %w", err)
		}
		wg.Go(func() { tr.run(runCtx, z, uint64(w)+1, o.Rate/float64(o.Workers)) })
	}

	disp := newDisplay(o, &sum, sched)
	disp.begin(tr.start)
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	mitTimer := time.NewTimer(sched.mitigateAt)
	defer mitTimer.Stop()
	endTimer := time.NewTimer(o.Duration)
	defer endTimer.Stop()
	last := tr.start
	mitigated := false
loop:
	for {
		select {
		case ev := <-events.C:
			if mitigated || ev.Kind != heat.Hot {
				continue
			}
			at := ev.At.Sub(tr.start)
			k := slices.Index(storyKeys[:], ev.Key)
			if k < 0 {
				if !slices.Contains(sum.OtherHot, ev.Key) {
					sum.OtherHot = append(sum.OtherHot, ev.Key)
				}
				continue
			}
			kr := &sum.Keys[k]
			first := time.Duration(tr.firstSent[k].Load())
			if kr.Detected || first == 0 {
				continue
			}
			kr.Detected, kr.Onset, kr.DetectedAt = true, first, at
			kr.DetectedAfter = max(at-first, 0)
			kr.Rate, kr.Share = ev.Rate, ev.Share
			disp.detected(kr)
		case <-mitTimer.C:
			mitigated = true
			mitigate(tr, &sum, mw, splitter, guard, &routed)
			disp.mitigated()
		case now := <-tick.C:
			s, err := sampleOnce(ctx, meter, sum.Nodes, tr, last, now)
			last = now
			if err != nil {
				disp.warn(err)
				continue
			}
			sum.Samples = append(sum.Samples, s)
			disp.sample(s)
		case <-endTimer.C:
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	stop()
	wg.Wait()
	sum.Interrupted = ctx.Err() != nil
	for k := range nStory {
		if first := time.Duration(tr.firstSent[k].Load()); first > 0 && sum.Keys[k].Onset == 0 {
			sum.Keys[k].Onset = first
		}
	}
	sum.Commands, sum.Errors = tr.ops.Load(), tr.errs.Load()
	for k := range nStory {
		b, a := tr.keyLat[0][k].snapshot(), tr.keyLat[1][k].snapshot()
		sum.Keys[k].P99Before, sum.Keys[k].P99After = b.quantile(0.99), a.quantile(0.99)
	}
	b, a := tr.keyLat[0][nStory].snapshot(), tr.keyLat[1][nStory].snapshot()
	sum.BackgroundP99Before, sum.BackgroundP99After = b.quantile(0.99), a.quantile(0.99)
	if tr.firstErr != nil {
		sum.FirstError = tr.firstErr.Error()
	}
	if sum.Interrupted {
		disp.interrupted()
		return sum, nil
	}

	sum.Baseline = window(sum.Samples, "baseline", o.Interval, sched.onset[0]/4, sched.onset[0])
	sum.Before = window(sum.Samples, "before", o.Interval, sched.beforeFrom, sched.mitigateAt)
	sum.After = window(sum.Samples, "after", o.Interval, sched.afterFrom, sched.end)
	sum.Prices = PriceLoads{Aside: tr.asideLoads.Load(), Guarded: tr.guardedLoads.Load()}
	if d := sched.mitigateAt - sched.onset[kPrices]; d > 0 {
		sum.Prices.AsidePerTTL = float64(sum.Prices.Aside) / (float64(d) / float64(o.PricesTTL))
	}
	if sum.Keys[kPrices].Mitigation != "" {
		sum.Prices.GuardedPerTTL = float64(sum.Prices.Guarded) / (float64(sched.end-sched.mitigateAt) / float64(o.PricesTTL))
	}
	sum.CounterAcked, sum.CounterUnknown = tr.incrAcked.Load(), tr.incrUnknown.Load()
	total, err := counterTotal(ctx, plain, tr.counter)
	if err != nil {
		disp.warn(fmt.Errorf("read the order counter: %w", err))
	}
	sum.CounterTotal = total
	// Read the middleware's counters only now that no command is in
	// flight: the stampede guard's background work is stopped first.
	_ = guard.Close()
	sum.NearCacheHits = mw.Stats().Cache.Hits
	if router != nil {
		st := router.Stats()
		sum.ReplicaReads = st.ReplicaReads
	}
	var after float64 // commands sent after mitigation, from the samples
	for _, s := range sum.Samples {
		if s.From >= sched.mitigateAt {
			after += s.ClientOps * (s.At - s.From).Seconds()
		}
	}
	if after > 0 {
		sum.NearCacheShare = math.Min(1, float64(sum.NearCacheHits)/after)
	}

	if !o.NoReport {
		dir, files, err := writeReport(o, &sum, sched)
		if err != nil {
			return sum, fmt.Errorf("demo: report: %w", err)
		}
		sum.ReportDir, sum.Files = dir, files
	}
	printSummary(o.Out, &sum)
	return sum, nil
}

// setPool sizes the clients' pools for the workers; a cluster client has
// one pool per node.
func setPool(c redis.UniversalClient, workers int) {
	switch c := c.(type) {
	case *redis.ClusterClient:
		c.Options().PoolSize = workers + 4
	case *redis.Client:
		c.Options().PoolSize = workers + 4
	}
}

// seed writes the sale's keys and clears what an earlier run left.
func seed(ctx context.Context, c redis.UniversalClient, s *split.Splitter) error {
	ctr, err := s.Counter(CounterKey, split.CounterOptions{})
	if err != nil {
		return err
	}
	if err := ctr.Delete(ctx); err != nil {
		return err
	}
	for _, k := range []string{CounterKey, PricesKey} {
		if err := c.Del(ctx, k).Err(); err != nil {
			return err
		}
	}
	if err := c.Set(ctx, StockKey, "1000000", 0).Err(); err != nil {
		return err
	}
	if err := c.Set(ctx, ViralKey, `{"name":"the gadget everyone wants","price":99}`, 0).Err(); err != nil {
		return err
	}
	return c.Set(ctx, FlagKey, "on", 0).Err()
}

// mitigate switches on, for every story key that was detected, the
// mitigation that fits it, and moves the background traffic to the redhot
// client. It runs on Run's goroutine; the workers see each switch with
// the atomic flag stored after it.
func mitigate(tr *traffic, sum *Summary, mw *redhot.Middleware, s *split.Splitter, guard *stampede.Cache, routed *sync.Map) {
	for k := range nStory {
		kr := &sum.Keys[k]
		if !kr.Detected {
			continue
		}
		switch k {
		case kViral, kFlag:
			mw.Pin(kr.Key)
			kr.Mitigation = "near cache"
		case kCounter:
			c, err := s.Counter(CounterKey, split.CounterOptions{})
			if err != nil {
				continue
			}
			tr.counter = c
			kr.Mitigation = fmt.Sprintf("split counter, %d shards", len(c.Keys()))
		case kPrices:
			tr.guard = guard
			mw.Pin(kr.Key)
			kr.Mitigation = "stampede guard + near cache"
		case kStock:
			// Written on every order: a local copy would be invalidated
			// again and again, so its reads go to replicas where there
			// are some, and to the near cache otherwise.
			if tr.reps != nil {
				routed.Store(kr.Key, struct{}{})
				kr.Mitigation = "replica reads"
			} else {
				mw.Pin(kr.Key)
				kr.Mitigation = "near cache (no replicas)"
			}
		}
		tr.mitigated[k].Store(true)
	}
	tr.allMit.Store(true)
}

// sampleOnce reads every node's load since the previous sample and the
// clients' latencies since then.
func sampleOnce(ctx context.Context, m *inspect.LoadMeter, nodes []string, tr *traffic, from, now time.Time) (Sample, error) {
	h := tr.hist.Swap(&histogram{})
	ls, err := m.Sample(ctx)
	s := Sample{At: now.Sub(tr.start), From: from.Sub(tr.start), lat: h.snapshot()}
	dt := now.Sub(from).Seconds()
	s.ClientOps = float64(s.lat.total()) / dt
	s.P50, s.P99 = s.lat.quantile(0.50), s.lat.quantile(0.99)
	if err != nil {
		return s, err
	}
	s.Nodes = make([]float64, len(nodes))
	for _, n := range ls.Nodes {
		if i := slices.Index(nodes, n.Node); i >= 0 && n.Role == inspect.Primary {
			s.Nodes[i] = n.OpsPerSec
			s.ServerOps += n.OpsPerSec
		}
	}
	return s, nil
}

// window sums the samples that lie within [from, to] (give or take a
// quarter of an interval).
func window(samples []Sample, name string, interval, from, to time.Duration) Window {
	w := Window{Name: name, From: from, To: to}
	slack := interval / 4
	var lat counts
	var secs float64
	for _, s := range samples {
		if s.From < from-slack || s.At > to+slack || s.Nodes == nil {
			continue
		}
		dt := (s.At - s.From).Seconds()
		secs += dt
		w.ClientOpsPerSec += s.ClientOps * dt
		if w.NodeOpsPerSec == nil {
			w.NodeOpsPerSec = make([]float64, len(s.Nodes))
		}
		for i, v := range s.Nodes {
			w.NodeOpsPerSec[i] += v * dt
		}
		lat.add(&s.lat)
	}
	if secs == 0 {
		return w
	}
	w.ClientOpsPerSec /= secs
	peak := 0.0
	for i := range w.NodeOpsPerSec {
		w.NodeOpsPerSec[i] /= secs
		w.ServerOpsPerSec += w.NodeOpsPerSec[i]
		peak = max(peak, w.NodeOpsPerSec[i])
	}
	if mean := w.ServerOpsPerSec / float64(len(w.NodeOpsPerSec)); mean > 0 {
		w.MaxOverMean = peak / mean
	}
	w.P50, w.P99 = lat.quantile(0.50), lat.quantile(0.99)
	return w
}

// counterTotal reads the order counter: the plain key plus the split
// shards.
func counterTotal(ctx context.Context, c redis.UniversalClient, split *split.Counter) (int64, error) {
	n, err := c.Get(ctx, CounterKey).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, err
	}
	if split != nil {
		t, err := split.Total(ctx)
		if err != nil {
			return n, err
		}
		n += t
	}
	return n, nil
}
