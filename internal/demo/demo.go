// Package demo runs redhot's quick-start demonstration: Zipf traffic
// through a go-redis client with the redhot middleware against a real
// redis-server, a product key that suddenly goes viral, and a live table of
// what the middleware's heat tracker sees.
//
// cmd/redhot wires it to `redhot demo` (and `make demo`); tests call Run
// directly.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
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
	// URL is the Redis server to use, as redis://host:port. The demo only
	// reads and writes keys under "product:".
	// default: "" (start a throwaway redis-server in a temporary directory)
	URL string

	// Duration is how long traffic runs.
	// default: 20 seconds
	Duration time.Duration

	// ViralAt is when the viral key appears, counted from the start.
	// default: a quarter of Duration
	ViralAt time.Duration

	// ViralShare is the share of all commands that go to the viral key
	// once it appears.
	// default: 0.10
	ViralShare float64

	// Keys is the number of product keys in the background Zipf traffic.
	// default: 100,000
	Keys int

	// Workers is the number of goroutines sending pipelines.
	// default: 8
	Workers int

	// Refresh is how often the table is redrawn.
	// default: 500 ms
	Refresh time.Duration

	// Out receives the live table and the summary. Required.
	Out io.Writer

	// TTY redraws the table in place with ANSI escapes; otherwise each
	// refresh is printed below the last, less often.
	// default: false
	TTY bool
}

// ViralKey is the key that goes viral during the demo.
const ViralKey = "product:viral"

// Summary is what the demo measured.
type Summary struct {
	// Commands is the number of commands sent.
	Commands int64
	// Detected reports whether the viral key was flagged hot.
	Detected bool
	// DetectedAfter is the time from the viral key's first access to its
	// hot event.
	DetectedAfter time.Duration
	// Events are the hot and cooled events, in order.
	Events []heat.Event
}

func (o Options) withDefaults() (Options, error) {
	if o.Out == nil {
		return o, errors.New("demo: Options.Out is required")
	}
	if o.Duration == 0 {
		o.Duration = 20 * time.Second
	}
	if o.Duration < 0 {
		return o, fmt.Errorf("demo: Options.Duration = %v; want a positive duration", o.Duration)
	}
	if o.ViralAt == 0 {
		o.ViralAt = o.Duration / 4
	}
	if o.ViralAt < 0 || o.ViralAt >= o.Duration {
		return o, fmt.Errorf("demo: Options.ViralAt = %v; want in [0, Duration)", o.ViralAt)
	}
	if o.ViralShare == 0 {
		o.ViralShare = 0.10
	}
	if !(o.ViralShare > 0 && o.ViralShare <= 1) {
		return o, fmt.Errorf("demo: Options.ViralShare = %v; want in (0, 1]", o.ViralShare)
	}
	if o.Keys == 0 {
		o.Keys = 100_000
	}
	if o.Keys < 10 || o.Keys > 10_000_000 {
		return o, fmt.Errorf("demo: Options.Keys = %d; want 10 to 10,000,000", o.Keys)
	}
	if o.Workers == 0 {
		o.Workers = 8
	}
	if o.Workers < 1 || o.Workers > 256 {
		return o, fmt.Errorf("demo: Options.Workers = %d; want 1 to 256", o.Workers)
	}
	if o.Refresh == 0 {
		o.Refresh = 500 * time.Millisecond
	}
	if o.Refresh < 10*time.Millisecond {
		return o, fmt.Errorf("demo: Options.Refresh = %v; want at least 10ms", o.Refresh)
	}
	return o, nil
}

// Run runs the demo until Duration has passed or ctx is done, printing to
// opts.Out, and returns what it measured. Cancelling ctx ends the demo
// early with the summary so far and no error.
func Run(ctx context.Context, opts Options) (Summary, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	var ropts *redis.Options
	if o.URL == "" {
		fmt.Fprintln(o.Out, "starting a throwaway redis-server ...")
		srv, err := redistest.Start(ctx, redistest.ServerOptions{})
		if err != nil {
			return Summary{}, fmt.Errorf("demo: start redis-server: %w", err)
		}
		defer srv.Close()
		ropts = &redis.Options{Addr: srv.Addr()}
	} else {
		ropts, err = redis.ParseURL(o.URL)
		if err != nil {
			return Summary{}, fmt.Errorf("demo: --url %q: %w", o.URL, err)
		}
	}
	ropts.PoolSize = o.Workers + 2

	rdb := redis.NewClient(ropts)
	defer rdb.Close()
	// The library's middleware observes every command's keys; the demo
	// reads what its tracker sees.
	mw, err := redhot.New(rdb, redhot.Options{})
	if err != nil {
		return Summary{}, err
	}
	defer mw.Close()
	tr := mw.Tracker()
	sub := tr.Subscribe(256)
	if err := rdb.Ping(ctx).Err(); err != nil {
		return Summary{}, fmt.Errorf("demo: connect to %s: %w", ropts.Addr, err)
	}

	keys, err := workload.NewKeyspace(workload.KeyspaceOptions{Prefix: "product:", N: o.Keys})
	if err != nil {
		return Summary{}, err
	}

	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	viralStart := start.Add(o.ViralAt)
	var sent atomic.Int64
	var werr error
	var werrOnce sync.Once
	var wg sync.WaitGroup
	for w := 0; w < o.Workers; w++ {
		// Every worker draws the same popularity ranking (product:0 is the
		// most popular) with its own random sequence.
		z, err := workload.NewZipf(workload.ZipfOptions{S: 0.8, Keys: keys, Seed: uint64(w), RankOrder: true})
		if err != nil {
			cancel()
			return Summary{}, err
		}
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			if err := drive(runCtx, rdb, z, seed, viralStart, o.ViralShare, &sent); err != nil {
				werrOnce.Do(func() { werr = err; cancel() })
			}
		}(uint64(w) + 1)
	}

	var sum Summary
	var viralFirst time.Time
	tick := time.NewTicker(o.Refresh)
	defer tick.Stop()
	lastPrint := time.Time{}
	render := func(now time.Time, final bool) {
		if !o.TTY && !final && now.Sub(lastPrint) < 2*time.Second {
			return
		}
		lastPrint = now
		var b strings.Builder
		if o.TTY {
			b.WriteString("\x1b[H\x1b[2J")
		}
		drawTable(&b, tr, now.Sub(start), o, sum.Events)
		io.WriteString(o.Out, b.String())
	}
loop:
	for {
		select {
		case ev := <-sub.C:
			sum.Events = append(sum.Events, ev)
			if ev.Kind == heat.Hot && ev.Key == ViralKey && !sum.Detected {
				sum.Detected = true
				if viralFirst.IsZero() {
					viralFirst = viralStart
				}
				sum.DetectedAfter = ev.At.Sub(viralFirst)
			}
		case now := <-tick.C:
			render(now, false)
		case <-runCtx.Done():
			break loop
		}
	}
	wg.Wait()
	sub.Close()
	sum.Commands = sent.Load()
	render(time.Now(), true)
	if werr != nil && ctx.Err() == nil {
		return sum, fmt.Errorf("demo: traffic: %w", werr)
	}
	fmt.Fprintf(o.Out, "\n%d commands in %.1fs.\n", sum.Commands, time.Since(start).Seconds())
	if sum.Detected {
		fmt.Fprintf(o.Out, "%s went viral at +%.1fs and was flagged hot %dms later.\n",
			ViralKey, o.ViralAt.Seconds(), sum.DetectedAfter.Milliseconds())
	} else if time.Since(start) > o.ViralAt {
		fmt.Fprintf(o.Out, "%s was not flagged hot.\n", ViralKey)
	}
	return sum, nil
}

// drive sends pipelines of 16 commands, 90% GET and 10% SET, until ctx is
// done. Keys come from z, except that after viralStart a share of the
// commands read the viral key.
func drive(ctx context.Context, rdb *redis.Client, z *workload.Zipf, seed uint64, viralStart time.Time, viralShare float64, sent *atomic.Int64) error {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	for ctx.Err() == nil {
		viral := !time.Now().Before(viralStart)
		pipe := rdb.Pipeline()
		for i := 0; i < 16; i++ {
			key := z.Key(z.Sample(0))
			if viral && r.Float64() < viralShare {
				key = ViralKey
			}
			if r.IntN(10) == 0 && key != ViralKey {
				pipe.Set(ctx, key, strconv.Itoa(r.IntN(1000)), 0)
			} else {
				pipe.Get(ctx, key)
			}
		}
		_, err := pipe.Exec(ctx)
		if err != nil && !errors.Is(err, redis.Nil) {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		sent.Add(16)
	}
	return nil
}

// drawTable writes the live view: the hottest keys, the total rate and
// the latest events.
func drawTable(b *strings.Builder, tr *heat.Tracker, elapsed time.Duration, o Options, events []heat.Event) {
	tot := tr.Totals()
	phase := "steady Zipf traffic"
	if elapsed >= o.ViralAt {
		phase = fmt.Sprintf("%s takes %.0f%% of traffic", ViralKey, 100*o.ViralShare)
	}
	fmt.Fprintf(b, "redhot demo  +%4.1fs / %.0fs   %s\n", elapsed.Seconds(), o.Duration.Seconds(), phase)
	fmt.Fprintf(b, "client traffic seen by the tracker: %.0f ops/s (%.0f reads, %.0f writes)\n\n", tot.Rate, tot.ReadRate, tot.WriteRate)
	fmt.Fprintf(b, "  %-4s %-22s %10s %7s %8s  %s\n", "#", "key", "ops/s", "share", "writes", "")
	for i, k := range tr.Top(10) {
		mark := ""
		if k.Hot {
			mark = "HOT"
		}
		wshare := 0.0
		if k.Rate > 0 {
			wshare = k.WriteRate / k.Rate
		}
		fmt.Fprintf(b, "  %-4d %-22s %10.0f %6.1f%% %7.0f%%  %s\n", i+1, clip(k.Key, 22), k.Rate, 100*k.Share, 100*wshare, mark)
	}
	if len(events) > 0 {
		b.WriteString("\nevents:\n")
		for _, ev := range events[max(0, len(events)-5):] {
			fmt.Fprintf(b, "  %s  %-7s %s (%.0f ops/s, %.1f%%)\n", ev.At.Format("15:04:05.000"), ev.Kind, ev.Key, ev.Rate, 100*ev.Share)
		}
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
