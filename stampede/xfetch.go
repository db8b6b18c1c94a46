package stampede

import (
	"context"
	"crypto/rand"
	"math"
	"time"
)

// EarlyProbability returns the probability that one read recomputes a
// value early under XFetch (Vattani, Chierichetti and Lowenstein, "Optimal
// Probabilistic Cache Stampede Prevention", VLDB 2015): the read recomputes
// when delta·beta·(-ln r) ≥ remaining for r uniform in (0, 1], which
// happens with probability exp(-remaining/(delta·beta)).
//
// remaining is the time left before the value expires and delta how long
// the value took to compute. The probability is 1 once the value has
// expired, and 0 for a value that took no measurable time to compute or
// for a beta that is not positive (early recomputation disabled).
func EarlyProbability(remaining, delta time.Duration, beta float64) float64 {
	switch {
	case remaining <= 0:
		return 1
	case delta <= 0 || !(beta > 0):
		return 0
	}
	return math.Exp(-float64(remaining) / (float64(delta) * beta))
}

// early reports whether a read at now recomputes e early, drawing r
// uniform in [0, 1).
func early(e entry, now time.Time, beta, r float64) bool {
	return r < EarlyProbability(e.expiry.Sub(now), e.delta, beta)
}

// recompute starts a background recomputation of key, whose stored entry
// is seen, unless one is already running in this process.
func (c *Cache) recompute(ctx context.Context, key string, ttl time.Duration, load Loader, seen entry) {
	c.mu.Lock()
	if _, running := c.refreshing[key]; running || c.closed {
		c.mu.Unlock()
		return
	}
	c.refreshing[key] = struct{}{}
	c.mu.Unlock()
	rctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stop := context.AfterFunc(c.life, func() { cancel(ErrClosed) })
	started := c.spawn(func() {
		defer func() {
			stop()
			cancel(nil)
			c.mu.Lock()
			delete(c.refreshing, key)
			c.mu.Unlock()
		}()
		c.recomputeEarly(rctx, key, ttl, load, seen)
	})
	if !started {
		stop()
		cancel(nil)
		c.mu.Lock()
		delete(c.refreshing, key)
		c.mu.Unlock()
	}
}

// recomputeEarly runs on a background goroutine: it takes the lease and
// recomputes key, unless another process holds the lease (it is
// recomputing: this process then stays out for up to PollInterval) or the
// entry changed since it was seen (it has just been recomputed).
func (c *Cache) recomputeEarly(ctx context.Context, key string, ttl time.Duration, load Loader, seen entry) {
	n := namesFor(key)
	token := rand.Text()
	a, err := c.acquire(ctx, n, token)
	if err != nil {
		if ctx.Err() == nil {
			c.stats.redisErrors.Add(1)
		}
		return
	}
	if !a.got {
		// Another process is recomputing. Keep this process's slot for a
		// while, so that its reads, which keep drawing early, do not ask
		// for the lease again on every hit.
		wait := c.opts.PollInterval
		if a.pttl >= 0 && a.pttl < wait {
			wait = a.pttl
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return
	}
	if a.hasValue {
		if e, err := decode(a.raw); err == nil && !e.expiry.Equal(seen.expiry) {
			if _, err := c.release(ctx, n, token, "", 0); err != nil {
				c.stats.redisErrors.Add(1)
			}
			return
		}
	}
	c.stats.leaseAcquired.Add(1)
	c.stats.early.Add(1)
	_, _ = c.hold(ctx, n, token, ttl, load)
}
