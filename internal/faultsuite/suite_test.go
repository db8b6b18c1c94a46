package faultsuite

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/redhot/redhot/internal/redistest"
)

var (
	flagDuration = flag.Duration("faults.duration", time.Second,
		"how long each fault's workload runs; the fault is injected and healed in cycles within it (at least once)")
	flagHold = flag.Duration("faults.hold", 400*time.Millisecond,
		"how long each injection of a sustained fault lasts; keep it above -faults.staleness")
	flagStaleness = flag.Duration("faults.staleness", 200*time.Millisecond,
		"the near cache's MaxStaleness under test")
	flagDetect = flag.Duration("faults.detect", 3*time.Second,
		"how soon after a fault heals the detector must flag a new hot key")
	flagCLITimeout = flag.Duration("faults.clitimeout", 8*time.Second,
		"how long a redhot CLI run may take (it is given --timeout 500ms) before it counts as hung")
	flagReport = flag.String("faults.report", "",
		"write the results as docs/reliability.md's markdown table to this file")
	flagRun = flag.String("faults.only", "",
		"run only the faults whose names contain this string")
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// env is what the layers of one fault's run reach Redis through.
type env struct {
	// via returns a new client whose traffic goes through the fault: the
	// proxy for a standalone server, the cluster client for a cluster.
	via func() redis.UniversalClient
	// direct returns a new client whose traffic avoids the proxy (the same
	// as via for a cluster).
	direct func() redis.UniversalClient
	// cliURL is what the CLI is pointed at.
	cliURL string
	// cluster is true for the cluster faults.
	cluster bool
	// keys are the keys the layers use, so cluster faults can move them.
	keys []string
}

// outcome is what the CLI is expected to do while a fault is on.
type outcome int

const (
	expectOK    outcome = iota // exit 0
	expectError                // a non-zero exit with a one-line error and a hint
	expectClean                // either, as long as it is clean
)

// fault is one kind of fault and how the suite injects and heals it.
type fault struct {
	name string
	how  string // for the report
	// event faults (restart, failover, slot migration) happen once per
	// cycle and are over when inject returns; the others hold until heal.
	event bool
	// cluster faults run against a cluster; the others against a
	// standalone server behind a proxy.
	cluster bool
	cli     outcome
	inject  func(ctx context.Context, f *faulty) error
	heal    func(ctx context.Context, f *faulty) error
}

// faulty is the system a fault is injected into.
type faulty struct {
	srv     *redistest.Server
	proxy   *redistest.Proxy
	cluster *redistest.Cluster
	keys    []string
	moved   int // slot migrations so far, to pick the next target
}

// layer is one layer under test. start begins its workload; the returned
// run is told about the fault's cycles and finally stopped and checked.
type layer interface {
	name() string
	start(t *testing.T, e *env) (run, error)
}

// run is one layer's workload during one fault.
type run interface {
	// during is called once a fault has been injected, or alongside the
	// injection of an event fault. It may block: a sustained fault is
	// held for -faults.hold and until every during has returned.
	during(ctx context.Context, f *fault)
	// healed is called after each heal; it may block (the detector waits
	// for a new hot key) up to its own bound.
	healed(ctx context.Context)
	// finish stops the workload, checks the invariant and returns the
	// result.
	finish(ctx context.Context) result
}

// result is one cell of the report: a layer under a fault.
type result struct {
	ops        int64
	violations []string
	notes      string // what else is worth a line in the report
}

// violations collects invariant violations from any goroutine.
type violations struct {
	mu   sync.Mutex // guards list and n
	list []string   // the first few, for the report and the test log
	n    int
}

func (v *violations) add(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.n++
	if len(v.list) < 10 {
		v.list = append(v.list, fmt.Sprintf(format, args...))
	}
}

func (v *violations) get() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := append([]string(nil), v.list...)
	if v.n > len(v.list) {
		out = append(out, fmt.Sprintf("... and %d more", v.n-len(v.list)))
	}
	return out
}

func (v *violations) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.n
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// cell is one run's result with its coordinates.
type cell struct {
	fault  *fault
	layer  string
	result result
}

func TestFaults(t *testing.T) {
	redistest.SkipIfShort(t)
	if *flagHold <= *flagStaleness {
		t.Fatalf("-faults.hold %v must exceed -faults.staleness %v, or a pause proves nothing", *flagHold, *flagStaleness)
	}
	bin := buildCLI(t)
	layers := []layer{
		nearCacheLayer{bound: *flagStaleness},
		counterLayer{},
		leaseLayer{},
		detectorLayer{bound: *flagDetect},
		cliLayer{bin: bin, limit: *flagCLITimeout},
	}
	var cells []cell
	var cellsMu sync.Mutex
	for _, f := range allFaults(*flagHold) {
		if *flagRun != "" && !strings.Contains(f.name, *flagRun) {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			got := runFault(t, f, layers)
			cellsMu.Lock()
			defer cellsMu.Unlock()
			for _, l := range layers {
				r, ok := got[l.name()]
				if !ok {
					continue
				}
				cells = append(cells, cell{fault: f, layer: l.name(), result: r})
				t.Logf("%s: %d ops, %d violations; %s", l.name(), r.ops, len(r.violations), r.notes)
				for _, v := range r.violations {
					t.Errorf("%s under %s: %s", l.name(), f.name, v)
				}
				if r.ops == 0 {
					t.Errorf("%s under %s: no operation ran: the run proves nothing", l.name(), f.name)
				}
			}
		})
	}
	if *flagReport != "" && len(cells) > 0 {
		names := make([]string, len(layers))
		for i, l := range layers {
			names[i] = l.name()
		}
		if err := writeReport(*flagReport, cells, names, reportMeta{command: commandLine(), duration: *flagDuration, hold: *flagHold, staleness: *flagStaleness, detect: *flagDetect}); err != nil {
			t.Errorf("write report: %v", err)
		}
	}
}

// commandLine returns the go test command that reproduces this run, with
// the suite's flags that were set (the report's path relative to the
// module's root, so no path of this machine lands in the report).
func commandLine() string {
	cmd := "go test"
	if raceEnabled {
		cmd += " -race"
	}
	cmd += " -run TestFaults ./internal/faultsuite -args"
	flag.Visit(func(f *flag.Flag) {
		if !strings.HasPrefix(f.Name, "faults.") {
			return
		}
		v := f.Value.String()
		if f.Name == "faults.report" {
			v = fromRoot(v)
		}
		cmd += " -" + f.Name + "=" + v
	})
	return cmd
}

// fromRoot returns path relative to the module's root (the test runs in
// internal/faultsuite), or its base name if it lies outside.
func fromRoot(path string) string {
	abs, err1 := filepath.Abs(path)
	root, err2 := filepath.Abs(filepath.Join("..", ".."))
	if err1 != nil || err2 != nil {
		return filepath.Base(path)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return filepath.Base(path)
	}
	return filepath.ToSlash(rel)
}

// runFault starts the system for f, starts every layer, runs f's cycles
// for -faults.duration and returns each layer's result by name.
func runFault(t *testing.T, f *fault, layers []layer) map[string]result {
	sys, e := startSystem(t, f)
	runs := map[string]run{}
	for _, l := range layers {
		r, err := l.start(t, e)
		if err != nil {
			t.Fatalf("start %s: %v", l.name(), err)
		}
		runs[l.name()] = r
	}
	ctx := t.Context()
	// Warm up: every layer reaches its steady state before the first fault.
	sleepCtx(ctx, *flagHold)
	healAll := func() {
		var wg sync.WaitGroup
		for _, r := range runs {
			wg.Go(func() { r.healed(ctx) })
		}
		wg.Wait()
	}
	healAll() // the detector's baseline: it must find a hot key before any fault
	end := time.Now().Add(*flagDuration)
	for cycle := 0; cycle == 0 || time.Now().Before(end); cycle++ {
		var wg sync.WaitGroup
		during := func() {
			for _, r := range runs {
				wg.Go(func() { r.during(ctx, f) })
			}
		}
		if f.event {
			during() // alongside the event
		}
		if err := f.inject(ctx, sys); err != nil {
			wg.Wait()
			t.Fatalf("inject %s: %v", f.name, err)
		}
		if !f.event {
			during()
			sleepCtx(ctx, *flagHold)
		}
		// A sustained fault lasts until every layer's look at it is over.
		wg.Wait()
		if f.heal != nil {
			if err := f.heal(ctx, sys); err != nil {
				t.Fatalf("heal %s: %v", f.name, err)
			}
		}
		healed := time.Now()
		healAll()
		// Recover for at least as long as the fault lasted.
		sleepCtx(ctx, *flagHold-time.Since(healed))
	}
	out := map[string]result{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, r := range runs {
		wg.Go(func() {
			res := r.finish(ctx)
			mu.Lock()
			out[name] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// startSystem starts the servers f needs and the env layers use.
func startSystem(t *testing.T, f *fault) (*faulty, *env) {
	keys := layerKeys()
	if f.cluster {
		c := redistest.NewCluster(t, redistest.ClusterOptions{
			Primaries: 3, ReplicasPerPrimary: 1,
			Server: redistest.ServerOptions{Config: []string{"maxmemory-policy allkeys-lfu"}},
		})
		client := func() redis.UniversalClient { return c.Client(clusterTimeouts) }
		return &faulty{cluster: c, keys: keys}, &env{
			via: client, direct: client, cluster: true, keys: keys,
			cliURL: "redis://" + c.Primaries()[0].Addr(),
		}
	}
	// An append-only file written before every reply (appendfsync no still
	// writes it before replying; the kernel keeps it when the process is
	// killed), so a killed and restarted server keeps what it acknowledged.
	srv := redistest.NewServer(t, redistest.ServerOptions{Config: []string{
		"appendonly yes", "appendfsync no", "maxmemory-policy allkeys-lfu",
	}})
	p := redistest.NewProxy(t, srv.Addr())
	return &faulty{srv: srv, proxy: p, keys: keys}, &env{
		via: func() redis.UniversalClient {
			return srv.Client(func(o *redis.Options) { o.Addr = p.Addr(); timeouts(o) })
		},
		direct: func() redis.UniversalClient { return srv.Client(timeouts) },
		cliURL: "redis://" + p.Addr(),
		keys:   keys,
	}
}

// timeouts gives a client short timeouts, so that a fault shows up as
// errors within the run instead of calls stuck for go-redis's defaults.
func timeouts(o *redis.Options) {
	o.DialTimeout = 300 * time.Millisecond
	o.ReadTimeout = 300 * time.Millisecond
	o.WriteTimeout = 300 * time.Millisecond
	o.PoolTimeout = 500 * time.Millisecond
}

func clusterTimeouts(o *redis.ClusterOptions) {
	o.DialTimeout = 300 * time.Millisecond
	o.ReadTimeout = 300 * time.Millisecond
	o.WriteTimeout = 300 * time.Millisecond
	o.PoolTimeout = 500 * time.Millisecond
}
