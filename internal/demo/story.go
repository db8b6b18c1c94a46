package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/workload"
	"github.com/redhot/redhot/split"
	"github.com/redhot/redhot/stampede"
)

// The keys of the flash-sale story. In the embedded cluster all four
// happen to hash to slots of the first primary, as unrelated keys often
// do; nothing in the demo depends on it, the load figures show it.
const (
	// ViralKey is the product that goes viral: read by 15% of all
	// commands once the sale starts.
	ViralKey = "product:viral"
	// CounterKey is the sale's order counter: incremented by 8% of all
	// commands.
	CounterKey = "sale:orders"
	// FlagKey is the feature flag every request reads: 10% of all
	// commands.
	FlagKey = "flag:checkout"
	// PricesKey is the sale's price list, expensive to compute and kept
	// with a short TTL: 3% of all commands.
	PricesKey = "sale:prices"
	// StockKey is the viral product's stock level: 5% of all commands,
	// a third of them writes (every order takes one off).
	StockKey = "product:viral:stock"
)

// The story keys by index.
const (
	kViral = iota
	kCounter
	kFlag
	kPrices
	kStock
	nStory
)

var storyKeys = [nStory]string{ViralKey, CounterKey, FlagKey, PricesKey, StockKey}

// storyShare is the share of all commands each story key takes once its
// traffic has started; the rest is the background Zipf traffic.
var storyShare = [nStory]float64{0.15, 0.08, 0.10, 0.03, 0.05}

// storyRole says what each key is, for the tables.
var storyRole = [nStory]string{"viral product", "order counter", "feature flag", "price list", "stock level"}

// schedule is the story's timeline, as offsets from the start.
type schedule struct {
	onset      [nStory]time.Duration // when each story key's traffic starts
	beforeFrom time.Duration         // the "before" window: every hot key running, no mitigation
	mitigateAt time.Duration         // mitigation on; the before window ends
	afterFrom  time.Duration         // the "after" window, to the end
	end        time.Duration
}

// newSchedule spreads the phases over d: 15% steady traffic, the sale's
// keys starting one after the other, the before window from 25% to 50%,
// mitigation at 50%, and the after window from 60% to the end.
func newSchedule(d time.Duration) schedule {
	f := func(x float64) time.Duration { return time.Duration(x * float64(d)) }
	return schedule{
		onset:      [nStory]time.Duration{f(0.15), f(0.17), f(0.19), f(0.21), f(0.22)},
		beforeFrom: f(0.25),
		mitigateAt: f(0.50),
		afterFrom:  f(0.60),
		end:        d,
	}
}

// phase names the part of the story at offset t.
func (s schedule) phase(t time.Duration) string {
	switch {
	case t < s.onset[0]:
		return "steady Zipf traffic"
	case t < s.mitigateAt:
		return "flash sale, no mitigation"
	default:
		return "flash sale, mitigated"
	}
}

// traffic is the load the workers generate, and how it is served: through
// the plain client until a key's mitigation is switched on, then through
// the mitigation the demo chose for it.
type traffic struct {
	start time.Time
	sched schedule
	o     Options

	plain redis.UniversalClient // observed by redhot, nothing cached
	mit   redis.UniversalClient // redhot with its near cache
	reps  redis.UniversalClient // reads of hot keys from replicas; nil without replicas

	// Set by Run before the matching flag below is stored, read by the
	// workers after loading it.
	counter *split.Counter
	guard   *stampede.Cache

	mitigated [nStory]atomic.Bool // the key's mitigation is on
	allMit    atomic.Bool         // background traffic uses the redhot client

	hist atomic.Pointer[histogram] // latencies of the current sampling tick
	// keyLat are latencies in the before (0) and after (1) windows by
	// story key, the background traffic last.
	keyLat [2][nStory + 1]histogram

	ops, errs    atomic.Int64
	errMu        sync.Mutex // guards firstErr
	firstErr     error
	firstSent    [nStory]atomic.Int64 // nanoseconds from start of the key's first command, 0 before
	incrAcked    atomic.Int64         // increments of the counter the server acknowledged
	incrUnknown  atomic.Int64         // increments whose outcome is unknown
	asideLoads   atomic.Int64         // price list computations, cache-aside
	guardedLoads atomic.Int64         // price list computations, behind the stampede guard
}

func (t *traffic) fail(err error) {
	t.errs.Add(1)
	t.errMu.Lock()
	if t.firstErr == nil {
		t.firstErr = err
	}
	t.errMu.Unlock()
}

// run is one worker: it sends commands at rate per second, one at a time
// (reads that are pipelined are never served from a near cache), until
// ctx is done.
func (t *traffic) run(ctx context.Context, z *workload.Zipf, seed uint64, rate float64) {
	r := rand.New(rand.NewPCG(seed, 0x5a1e))
	gap := time.Duration(float64(time.Second) / rate)
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		next = next.Add(gap)
		if wait := time.Until(next); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if wait < -100*time.Millisecond {
			// Too far behind to catch up: drop the backlog rather than
			// send a burst.
			next = time.Now()
		}
		if ctx.Err() != nil {
			return
		}
		began := time.Now()
		at := began.Sub(t.start)
		class, err := t.op(ctx, r, z, at)
		took := time.Since(began)
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			t.fail(err)
			continue
		}
		t.ops.Add(1)
		t.hist.Load().record(took)
		switch {
		case at >= t.sched.beforeFrom && at < t.sched.mitigateAt:
			t.keyLat[0][class].record(took)
		case at >= t.sched.afterFrom:
			t.keyLat[1][class].record(took)
		}
	}
}

// op sends one command of the story at offset now, and returns which
// story key it was for (nStory for the background traffic).
func (t *traffic) op(ctx context.Context, r *rand.Rand, z *workload.Zipf, now time.Duration) (int, error) {
	u := r.Float64()
	for k := range nStory {
		if u >= storyShare[k] {
			u -= storyShare[k]
			continue
		}
		if now < t.sched.onset[k] {
			break // not started yet: background traffic instead
		}
		t.firstSent[k].CompareAndSwap(0, int64(max(now, 1)))
		return k, t.story(ctx, k)
	}
	c := t.plain
	if t.allMit.Load() {
		c = t.mit
	}
	key := z.Key(z.Sample(0))
	if r.IntN(10) == 0 {
		return nStory, c.Set(ctx, key, strconv.Itoa(r.IntN(1_000_000)), 0).Err()
	}
	return nStory, c.Get(ctx, key).Err()
}

// story sends one command for story key k, mitigated or not.
func (t *traffic) story(ctx context.Context, k int) error {
	on := t.mitigated[k].Load()
	c := t.plain
	if on {
		c = t.mit
	}
	switch k {
	case kCounter:
		if on {
			err := t.counter.Incr(ctx)
			switch {
			case err == nil:
				t.incrAcked.Add(1)
			case errors.Is(err, split.ErrUnknownOutcome):
				t.incrUnknown.Add(1)
			}
			return err
		}
		err := c.Incr(ctx, CounterKey).Err()
		if err == nil {
			t.incrAcked.Add(1)
		}
		return err
	case kPrices:
		if on {
			_, err := t.guard.Fetch(ctx, PricesKey, t.o.PricesTTL, func(ctx context.Context) ([]byte, error) {
				t.guardedLoads.Add(1)
				return t.computePrices(ctx)
			})
			return err
		}
		// Cache-aside, as most code does it: every reader that finds the
		// list expired computes it again.
		err := c.Get(ctx, PricesKey).Err()
		if !errors.Is(err, redis.Nil) {
			return err
		}
		t.asideLoads.Add(1)
		v, err := t.computePrices(ctx)
		if err != nil {
			return err
		}
		return c.Set(ctx, PricesKey, v, t.o.PricesTTL).Err()
	case kStock:
		if on && t.reps != nil {
			c = t.reps
		}
		if rand.IntN(3) == 0 {
			return c.DecrBy(ctx, StockKey, 1).Err()
		}
		return c.Get(ctx, StockKey).Err()
	default:
		return c.Get(ctx, storyKeys[k]).Err()
	}
}

// computePrices stands for the expensive query behind the price list: it
// takes PricesCost and uses no CPU meanwhile.
func (t *traffic) computePrices(ctx context.Context) ([]byte, error) {
	tm := time.NewTimer(t.o.PricesCost)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-tm.C:
	}
	return fmt.Appendf(nil, `{"computed":%d,"items":120}`, time.Now().UnixMilli()), nil
}
