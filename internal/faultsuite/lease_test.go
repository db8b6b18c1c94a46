package faultsuite

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redhot/redhot/stampede"
)

// leaseLayer checks stampede's cross-process lease. Four Caches (three
// through the fault, one around it, as four processes would be) fetch one
// key with a TTL much shorter than the run, so it expires over and over
// and the Caches compete for its lease. The loader records when it starts
// and ends on the process's monotonic clock.
//
// The invariant: no two loader runs overlap. With OnUnavailable:
// ReturnError the loader only runs under the lease, and it takes far less
// than LeaseTTL, so a lease cannot expire under a live loader: an overlap
// means two holders at once.
type leaseLayer struct{}

func (leaseLayer) name() string { return "lease" }

const (
	leaseTTL   = time.Second
	loaderTime = 3 * time.Millisecond
	valueTTL   = 20 * time.Millisecond
)

// interval is one loader run.
type interval struct {
	start, end time.Time
	cache      int
}

type leaseRun struct {
	caches []*stampede.Cache
	ops    atomic.Int64
	errs   atomic.Int64
	mu     sync.Mutex // guards runs
	runs   []interval
	stop   chan struct{}
	wg     sync.WaitGroup
}

func (leaseLayer) start(t *testing.T, e *env) (run, error) {
	r := &leaseRun{stop: make(chan struct{})}
	for i := range 4 {
		c := e.via()
		if i == 3 {
			c = e.direct()
		}
		cache, err := stampede.New(stampede.Options{
			Client: c, LeaseTTL: leaseTTL, PollInterval: 20 * time.Millisecond,
		})
		if err != nil {
			for _, c := range r.caches {
				_ = c.Close()
			}
			return nil, err
		}
		r.caches = append(r.caches, cache)
	}
	for i, cache := range r.caches {
		for range 2 {
			r.wg.Go(func() { r.fetch(i, cache) })
		}
	}
	return r, nil
}

func (r *leaseRun) fetch(i int, cache *stampede.Cache) {
	load := func(ctx context.Context) ([]byte, error) {
		iv := interval{start: time.Now(), cache: i}
		time.Sleep(loaderTime)
		iv.end = time.Now()
		r.mu.Lock()
		r.runs = append(r.runs, iv)
		r.mu.Unlock()
		return []byte("v"), nil
	}
	for {
		select {
		case <-r.stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := cache.Fetch(ctx, keyLease, valueTTL, load)
		cancel()
		r.ops.Add(1)
		if err != nil {
			r.errs.Add(1)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		time.Sleep(time.Millisecond)
	}
}

func (r *leaseRun) during(context.Context, *fault) {}
func (r *leaseRun) healed(context.Context)         {}

func (r *leaseRun) finish(context.Context) result {
	close(r.stop)
	r.wg.Wait()
	var lost, acquired uint64
	for _, c := range r.caches {
		st := c.Stats()
		lost += st.LeasesLost
		acquired += st.LeaseAcquisitions
		_ = c.Close()
	}
	r.mu.Lock()
	runs := slices.Clone(r.runs)
	r.mu.Unlock()
	res := result{ops: r.ops.Load()}
	res.violations = overlaps(runs)
	res.notes = fmt.Sprintf("%d loader runs, %d leases taken, %d lost, %d Fetch errors", len(runs), acquired, lost, r.errs.Load())
	if len(runs) < 2 {
		res.violations = append(res.violations, fmt.Sprintf("only %d loader runs: the run proves nothing", len(runs)))
	}
	return res
}

// overlaps returns a violation for every loader run that started before
// an earlier one ended.
func overlaps(runs []interval) []string {
	slices.SortFunc(runs, func(a, b interval) int { return a.start.Compare(b.start) })
	var out []string
	latest := 0 // the run with the latest end among those before i
	for i := 1; i < len(runs); i++ {
		if runs[i].start.Before(runs[latest].end) {
			out = append(out, fmt.Sprintf("two lease holders: cache %d's loader started %v before cache %d's ended",
				runs[i].cache, runs[latest].end.Sub(runs[i].start), runs[latest].cache))
		}
		if runs[i].end.After(runs[latest].end) {
			latest = i
		}
	}
	return out
}
