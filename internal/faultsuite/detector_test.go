package faultsuite

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot"
	"github.com/redhot/redhot/heat"
)

// detectorLayer checks that the middleware's hot-key detector keeps
// working: readers GET keys through the middleware, a third of them one
// hot key and the rest spread over 500 cold keys. Before the first fault
// and after each heal the hot key changes to a new one, which the
// detector must flag within bound. The rules are the defaults but for
// MinRate, 5 per second.
type detectorLayer struct{ bound time.Duration }

func (detectorLayer) name() string { return "detector" }

type detectorRun struct {
	bound   time.Duration
	rdb     redis.UniversalClient
	mw      *redhot.Middleware
	hot     atomic.Pointer[string]
	rounds  int
	slowest time.Duration
	ops     atomic.Int64
	bad     violations
	stop    chan struct{}
	wg      sync.WaitGroup
}

func (l detectorLayer) start(t *testing.T, e *env) (run, error) {
	r := &detectorRun{bound: l.bound, rdb: e.via(), stop: make(chan struct{})}
	// MinRate is lowered from its default of 50 so that what is checked is
	// the detector surviving faults, not how many GETs a loaded machine
	// manages per second (a third of them go to the hot key).
	mw, err := redhot.New(r.rdb, redhot.Options{
		Tracker: heat.Options{Rules: heat.Rules{MinRate: 5}},
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, err
	}
	r.mw = mw
	first := "fs:hot:0"
	r.hot.Store(&first)
	for i := range 2 {
		r.wg.Go(func() { r.traffic(uint64(i)) })
	}
	return r, nil
}

func (r *detectorRun) traffic(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	for {
		select {
		case <-r.stop:
			return
		default:
		}
		key := *r.hot.Load()
		if rng.IntN(3) != 0 {
			key = "fs:cold:" + strconv.Itoa(rng.IntN(500))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := r.rdb.Get(ctx, key).Err()
		cancel()
		r.ops.Add(1)
		if err != nil && err != redis.Nil {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func (r *detectorRun) during(context.Context, *fault) {}

// healed moves the traffic to a new hot key and waits for the detector
// to flag it.
func (r *detectorRun) healed(ctx context.Context) {
	r.rounds++
	key := "fs:hot:" + strconv.Itoa(r.rounds)
	r.hot.Store(&key)
	start := time.Now()
	for !r.mw.Tracker().IsHot(key) {
		if time.Since(start) > r.bound {
			r.bad.add("hot key %s not detected within %v of the fault healing", key, r.bound)
			return
		}
		sleepCtx(ctx, 5*time.Millisecond)
		if ctx.Err() != nil {
			return
		}
	}
	r.slowest = max(r.slowest, time.Since(start))
}

func (r *detectorRun) finish(context.Context) result {
	close(r.stop)
	r.wg.Wait()
	_ = r.mw.Close()
	return result{
		ops:        r.ops.Load(),
		violations: r.bad.get(),
		notes:      fmt.Sprintf("%d new hot keys, slowest found after %v", r.rounds, r.slowest.Round(time.Millisecond)),
	}
}
