// Package fleet measures how fast a key that turns hot across a fleet of
// service instances, while staying only warm on each, is known to every
// instance through redhot's fleet package. It backs `make bench-fleet`.
//
// A run starts a throwaway redis-server and Instances members in one
// process, each with its own heat.Tracker, its own go-redis client and its
// own fleet.Member, as separate service instances would have. A driver
// feeds every tracker the same background traffic (Zipf over 10,000 keys)
// at a steady rate. Each trial then adds a new key on every instance at
// KeyRate accesses per second: below the local rules (LocalRules) on each
// instance, above the fleet rules (FleetRules) in sum. The trial measures
// the time from the first access of the key to the fleet hot event on the
// last instance, which includes the tracker's own estimate of the young
// key's rate, the wait for the next publish, the stream round trip and
// the merge. Trials start at random moments, so publish phases are
// sampled evenly.
//
// The members join one after another, spread over one publish interval,
// so their publish ticks are spread as independent processes' would be.
// With the Full rules a key is hot fleet-wide once 5 of the 8 instances
// have published it (5 × 40 ≥ 200 ops/s), and every member reads the same
// summaries, so all of them flag it within a few milliseconds of each
// other.
//
// The traffic is fed to the trackers directly rather than through Redis
// commands: what is measured is the fleet path, which runs over real Redis
// (XADD, XREAD BLOCK) as in production.
package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/internal/workload"
)

// Config sizes a run.
type Config struct {
	// Instances is the number of fleet members.
	Instances int
	// Trials is the number of keys that turn hot, one after another.
	Trials int
	// Interval is each member's publish interval.
	Interval time.Duration
	// Background is each instance's background traffic, accesses per
	// second.
	Background float64
	// KeyRate is each instance's rate of a trial's key.
	KeyRate float64
	// LocalRules are each tracker's rules: the trial key must stay below
	// them.
	LocalRules heat.Rules
	// FleetRules are the fleet rules: the trial key must meet them.
	FleetRules fleet.Rules
	// Timeout bounds each trial.
	Timeout time.Duration
	// Seed seeds the background traffic and the trials' start times.
	Seed uint64
}

// Full is the configuration of `make bench-fleet`: 8 instances publishing
// every 250 ms, 100 trials. Each instance sees 4,000 ops/s, and the trial
// key at 40 ops/s (1% of its traffic, below the local rules of 200 ops/s
// and 5%); the fleet sees it at 320 ops/s, above the fleet rules of
// 200 ops/s and 0.5%.
var Full = Config{
	Instances:  8,
	Trials:     100,
	Interval:   250 * time.Millisecond,
	Background: 4000,
	KeyRate:    40,
	LocalRules: heat.Rules{MinRate: 200, MinShare: 0.05},
	FleetRules: fleet.Rules{MinRate: 200, MinShare: 0.005},
	Timeout:    5 * time.Second,
	Seed:       1,
}

// Quick is Full with 8 trials, for tests and a first look.
var Quick = func() Config { c := Full; c.Trials = 8; return c }()

// Result is the JSON object a run prints.
type Result struct {
	Instances         int     `json:"instances"`
	Trials            int     `json:"trials"`
	Detected          int     `json:"detected"`
	PublishIntervalMs float64 `json:"publish_interval_ms"`
	TTLMs             float64 `json:"ttl_ms"`
	// FleetDetect* are the times from a key's first access to its fleet
	// hot event on the last instance; FirstInstance* to the first one.
	FleetDetectMsP50   float64 `json:"fleet_detect_ms_p50"`
	FleetDetectMsP90   float64 `json:"fleet_detect_ms_p90"`
	FleetDetectMsP99   float64 `json:"fleet_detect_ms_p99"`
	FleetDetectMsMax   float64 `json:"fleet_detect_ms_max"`
	FirstInstanceMsP50 float64 `json:"first_instance_ms_p50"`
	// LocallyHot counts (trial, instance) pairs where the instance's own
	// tracker had flagged the trial key when the fleet flagged it: 0 when
	// the key was only warm locally.
	LocallyHot int `json:"locally_hot"`
	// Per-instance and fleet rates of a trial key and of all traffic.
	KeyRatePerInstance   float64 `json:"key_rate_per_instance"`
	KeyRateFleet         float64 `json:"key_rate_fleet"`
	TrafficPerInstance   float64 `json:"traffic_per_instance"`
	FleetRuleMinRate     float64 `json:"fleet_rule_min_rate"`
	FleetRuleMinShare    float64 `json:"fleet_rule_min_share"`
	LocalRuleMinRate     float64 `json:"local_rule_min_rate"`
	LocalRuleMinShare    float64 `json:"local_rule_min_share"`
	StreamMaxLen         int64   `json:"stream_maxlen"`
	StreamLen            int64   `json:"stream_len"`
	BytesPerSummary      float64 `json:"bytes_per_summary"`
	KeysPerSummary       int     `json:"keys_per_summary"`
	SummariesPublished   uint64  `json:"summaries_published"`
	PublishErrors        uint64  `json:"publish_errors"`
	ReadErrors           uint64  `json:"read_errors"`
	SkippedEntries       uint64  `json:"skipped_entries"`
	StreamBytesPerSecond float64 `json:"stream_bytes_read_per_second"`
	DurationSeconds      float64 `json:"duration_s"`
}

// instance is one simulated service instance.
type instance struct {
	tr  *heat.Tracker
	m   *fleet.Member
	sub *fleet.Subscription

	bg     []uint32 // background key indices, cycled
	bgNext int
	bgDone int64 // background accesses so far
}

// Run runs cfg and writes one JSON object to w.
func Run(ctx context.Context, cfg Config, w io.Writer) error {
	srv, err := redistest.Start(ctx, redistest.ServerOptions{})
	if err != nil {
		return err
	}
	defer srv.Close()
	keys, err := workload.NewKeyspace(workload.KeyspaceOptions{Prefix: "bench:bg:", N: 10_000})
	if err != nil {
		return err
	}
	zipf, err := workload.NewZipf(workload.ZipfOptions{S: 1, Seed: cfg.Seed, Keys: keys})
	if err != nil {
		return err
	}
	fopts := fleet.Options{Stream: "bench:fleet", Interval: cfg.Interval, Rules: cfg.FleetRules}
	insts := make([]*instance, cfg.Instances)
	defer func() {
		for _, in := range insts {
			if in != nil {
				in.m.Close()
				in.tr.Close()
			}
		}
	}()
	for i := range insts {
		tr, err := heat.New(heat.Options{Rules: cfg.LocalRules})
		if err != nil {
			return err
		}
		in := &instance{tr: tr, bg: make([]uint32, 1<<16)}
		insts[i] = in
		zipf.Fill(in.bg)
		o := fopts
		o.Instance = fmt.Sprintf("bench-%d", i)
		if in.m, err = fleet.Join(ctx, srv.Client(), tr, o); err != nil {
			insts[i] = nil
			tr.Close()
			return err
		}
		in.sub = in.m.Subscribe(1024)
		// Spread the members' publish ticks over one interval, as
		// independent processes' would be.
		if err := sleep(ctx, cfg.Interval/time.Duration(cfg.Instances)); err != nil {
			return err
		}
	}

	// The driver: every millisecond, each instance gets the accesses due.
	d := &driver{insts: insts, zipf: zipf, cfg: cfg}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { d.run(stop) })
	defer func() { close(stop); wg.Wait() }()

	// Let the background settle (rates, fleet view) before the trials.
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(cfg.Seed, 2))
	var last, first []float64
	res := Result{Instances: cfg.Instances, Trials: cfg.Trials}
	for trial := range cfg.Trials {
		key := fmt.Sprintf("bench:trial:%d", trial)
		for _, in := range insts {
			drain(in.sub)
		}
		t0 := d.startKey(key)
		lat, locallyHot, err := waitHot(ctx, insts, key, t0, cfg.Timeout)
		d.stopKey()
		if err != nil {
			return err
		}
		res.LocallyHot += locallyHot
		if lat != nil {
			res.Detected++
			last = append(last, slices.Max(lat))
			first = append(first, slices.Min(lat))
		}
		// A pause of one to two publish intervals, so the next trial
		// starts at a random phase of the publishers.
		gap := cfg.Interval + time.Duration(rng.Int64N(int64(cfg.Interval)))
		if err := sleep(ctx, gap); err != nil {
			return err
		}
	}
	res.DurationSeconds = time.Since(start).Seconds()

	slices.Sort(last)
	slices.Sort(first)
	res.FleetDetectMsP50 = percentile(last, 0.50)
	res.FleetDetectMsP90 = percentile(last, 0.90)
	res.FleetDetectMsP99 = percentile(last, 0.99)
	res.FleetDetectMsMax = percentile(last, 1)
	res.FirstInstanceMsP50 = percentile(first, 0.50)
	o := insts[0].m.Options()
	res.PublishIntervalMs = ms(o.Interval)
	res.TTLMs = ms(o.TTL)
	res.StreamMaxLen = o.MaxLen
	res.KeysPerSummary = o.TopK
	res.KeyRatePerInstance = cfg.KeyRate
	res.KeyRateFleet = cfg.KeyRate * float64(cfg.Instances)
	res.TrafficPerInstance = cfg.Background + cfg.KeyRate
	res.FleetRuleMinRate, res.FleetRuleMinShare = o.Rules.MinRate, o.Rules.MinShare
	lo := insts[0].tr.Options().Rules
	res.LocalRuleMinRate, res.LocalRuleMinShare = lo.MinRate, lo.MinShare
	var bytes uint64
	for _, in := range insts {
		st := in.m.Stats()
		bytes += st.PublishedBytes
		res.SummariesPublished += st.Published
		res.PublishErrors += st.PublishErrors
		res.ReadErrors += st.ReadErrors
		res.SkippedEntries += st.Malformed + st.UnknownVersion
	}
	if res.SummariesPublished > 0 {
		res.BytesPerSummary = math.Round(float64(bytes) / float64(res.SummariesPublished))
	}
	// Every instance reads every summary.
	res.StreamBytesPerSecond = math.Round(res.BytesPerSummary * float64(cfg.Instances*cfg.Instances) / o.Interval.Seconds())
	if res.StreamLen, err = srv.Client().XLen(ctx, "bench:fleet").Result(); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	return enc.Encode(res)
}

// waitHot waits until every instance has had a fleet hot event for key,
// or timeout, and returns each instance's detection time after t0 in
// milliseconds (nil if some instance missed it) and how many instances'
// own trackers found the key hot.
func waitHot(ctx context.Context, insts []*instance, key string, t0 time.Time, timeout time.Duration) ([]float64, int, error) {
	lat := make([]float64, len(insts))
	found := 0
	locallyHot := 0
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
	for found < len(insts) {
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-deadline.C:
			return nil, locallyHot, nil
		case <-poll.C:
		}
		for i, in := range insts {
			if lat[i] > 0 {
				continue
			}
			for {
				var ev fleet.Event
				select {
				case ev = <-in.sub.C:
				default:
				}
				if ev.Key == "" {
					break
				}
				if ev.Kind == heat.Hot && ev.Key == key {
					lat[i] = max(ms(ev.At.Sub(t0)), 1e-3)
					found++
					if in.tr.IsHot(key) {
						locallyHot++
					}
					break
				}
			}
		}
	}
	return lat, locallyHot, nil
}

func drain(sub *fleet.Subscription) {
	for {
		select {
		case <-sub.C:
		default:
			return
		}
	}
}

// driver feeds every instance its traffic.
type driver struct {
	insts []*instance
	zipf  *workload.Zipf
	cfg   Config

	// mu guards key, keyStart and keyDone.
	mu       sync.Mutex
	key      string
	keyStart time.Time
	keyDone  []int64
}

// startKey starts the trial key's traffic on every instance, with its
// first access now, and returns that moment.
func (d *driver) startKey(key string) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.key, d.keyStart = key, time.Now()
	d.keyDone = make([]int64, len(d.insts))
	return d.keyStart
}

func (d *driver) stopKey() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.key = ""
}

func (d *driver) run(stop <-chan struct{}) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		now := time.Now()
		due := int64(now.Sub(start).Seconds() * d.cfg.Background)
		for _, in := range d.insts {
			for ; in.bgDone < due; in.bgDone++ {
				in.tr.Observe(d.zipf.Key(in.bg[in.bgNext]), heat.Read)
				in.bgNext = (in.bgNext + 1) % len(in.bg)
			}
		}
		d.mu.Lock()
		if d.key != "" {
			// The first access at keyStart, then one every 1/KeyRate.
			due := 1 + int64(now.Sub(d.keyStart).Seconds()*d.cfg.KeyRate)
			for i, in := range d.insts {
				for ; d.keyDone[i] < due; d.keyDone[i]++ {
					in.tr.Observe(d.key, heat.Read)
				}
			}
		}
		d.mu.Unlock()
	}
}

// percentile returns the nearest-rank p-quantile of sorted xs, rounded to
// a tenth of a millisecond; 0 when xs is empty.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(xs)))) - 1
	return math.Round(xs[max(i, 0)]*10) / 10
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
