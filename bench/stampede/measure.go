package stampede

import (
	"context"
	"slices"
	"sync"
	"time"
)

// span is a stretch of time since the start of a run.
type span struct{ start, end time.Duration }

// loaderTrack is the loader of a run: it takes cost, and records when it
// ran, from every client.
type loaderTrack struct {
	cost time.Duration

	// mu guards everything below.
	mu       sync.Mutex
	t0       time.Time
	running  int
	most     int
	starts   []time.Duration // start of each call
	refresh  []span          // maximal spans with a call running
	current  time.Duration   // start of the open refresh span
	measured bool            // false during warm-up
}

// load is the loader: it sleeps for cost (or until ctx ends) and returns
// a 1 KiB value.
func (l *loaderTrack) load(ctx context.Context) ([]byte, error) {
	l.mu.Lock()
	now := time.Since(l.t0)
	if l.running == 0 {
		l.current = now
	}
	l.running++
	l.most = max(l.most, l.running)
	if l.measured {
		l.starts = append(l.starts, now)
	}
	l.mu.Unlock()

	t := time.NewTimer(l.cost)
	var err error
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
		err = ctx.Err()
	}

	l.mu.Lock()
	l.running--
	if l.running == 0 && l.measured {
		l.refresh = append(l.refresh, span{l.current, time.Since(l.t0)})
	}
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return make([]byte, 1024), nil
}

// reset forgets the warm-up.
func (l *loaderTrack) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.most, l.starts, l.refresh = 0, nil, nil
}

// start begins the measured run at t0.
func (l *loaderTrack) start(t0 time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t0 = t0
	l.measured = true
	if l.running > 0 {
		l.current = 0
	}
}

// summarize computes the result of a run of length run.
func summarize(cfg Config, l *loaderTrack, calls [][]span, run time.Duration) Result {
	l.mu.Lock()
	starts := slices.Clone(l.starts)
	refresh := slices.Clone(l.refresh)
	most := l.most
	l.mu.Unlock()

	var loaderCalls int
	for _, s := range starts {
		if s < run {
			loaderCalls++
		}
	}
	var busy []span // spans with a loader call running
	var refreshTime time.Duration
	for _, r := range refresh {
		if r.start < run {
			busy = append(busy, r)
			refreshTime += r.end - r.start
		}
	}
	refreshes := episodes(busy, cfg.Loader/2)

	var all, during []time.Duration
	var slow, slowDuring int64
	for _, mine := range calls {
		for _, c := range mine {
			d := c.end - c.start
			all = append(all, d)
			in := overlaps(busy, c)
			if in {
				during = append(during, d)
			}
			if d >= cfg.Loader/2 {
				slow++
				if in {
					slowDuring++
				}
			}
		}
	}
	slices.Sort(all)
	slices.Sort(during)

	res := Result{
		P50Ms:                  ms(quantile(during, 0.50)),
		P99Ms:                  ms(quantile(during, 0.99)),
		P99AllMs:               ms(quantile(all, 0.99)),
		SlowCalls:              slow,
		SlowCallsDuringRefresh: slowDuring,
		LoaderCalls:            loaderCalls,
		Refreshes:              refreshes,
		LoaderCallsPerExpiry:   round(float64(loaderCalls) / float64(cfg.TTLPeriods)),
		MaxConcurrentLoaders:   most,
		TTLPeriods:             cfg.TTLPeriods,
		RefreshMs:              ms(refreshTime),
		Calls:                  int64(len(all)),
		CallsDuringRefresh:     int64(len(during)),
		Callers:                cfg.Callers,
		Clients:                cfg.Clients,
		LoaderMs:               ms(cfg.Loader),
		TTLMs:                  ms(cfg.TTL),
		Seconds:                round(run.Seconds()),
	}
	if len(during) > 0 {
		res.MaxMs = ms(during[len(during)-1])
	}
	if refreshes > 0 {
		res.LoaderCallsPerRefresh = round(float64(loaderCalls) / float64(refreshes))
	}
	return res
}

// episodes counts recomputations: runs of busy spans (sorted, disjoint)
// separated by less than gap count as one, since a loader call that starts
// right after another finished recomputes a value that is brand new, as
// lock-and-poll's callers do when they miss just before the value is
// stored and take the lock just after it is released.
func episodes(busy []span, gap time.Duration) int {
	n := 0
	for i, b := range busy {
		if i == 0 || b.start-busy[i-1].end >= gap {
			n++
		}
	}
	return n
}

// overlaps reports whether c overlaps one of the spans, sorted by start.
func overlaps(spans []span, c span) bool {
	// The first span that starts at or after c ends cannot overlap, nor
	// can any later one; of the earlier ones, only those ending after c
	// starts do. Spans do not overlap each other, so the last earlier one
	// ends last.
	i, _ := slices.BinarySearchFunc(spans, c.end, func(s span, t time.Duration) int {
		switch {
		case s.start < t:
			return -1
		case s.start > t:
			return 1
		}
		return 0
	})
	return i > 0 && spans[i-1].end > c.start
}

// quantile returns the q-quantile of sorted, or 0 when it is empty.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return sorted[i]
}

// ms converts d to milliseconds with three decimals.
func ms(d time.Duration) float64 { return round(float64(d) / 1e6) }

// round rounds x to three decimals.
func round(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
