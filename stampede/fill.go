package stampede

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"
)

// fill runs on the flight's goroutine for key: it takes the lease and
// loads, or waits for the holder's value, until it has an answer.
func (c *Cache) fill(ctx context.Context, key string, ttl time.Duration, load Loader) (string, error) {
	n := namesFor(key)
	token := rand.Text()
	var (
		stale    *entry      // an expired value Redis still keeps
		w        *watch      // fill notifications, once waiting
		deadline *time.Timer // WaitTimeout, once waiting
	)
	defer func() {
		w.close()
		if deadline != nil {
			deadline.Stop()
		}
	}()
	for {
		sent := c.opts.Clock.Now()
		a, err := c.acquire(ctx, n, token)
		rtt := c.opts.Clock.Now().Sub(sent)
		if err != nil {
			return c.fillFailed(ctx, key, load, err)
		}
		if a.hasValue {
			e, err := decode(a.raw)
			switch {
			case err != nil:
				c.stats.formatErrors.Add(1)
			case e.fresh(c.opts.Clock.Now()):
				// Filled since our GET: by the holder we waited for, or by
				// a holder that finished between our GET and our lease.
				if a.got {
					if _, err := c.release(ctx, n, token, "", 0); err != nil {
						c.stats.redisErrors.Add(1)
					}
				}
				return e.result()
			default:
				stale = &e
			}
		}
		if a.got {
			c.stats.leaseAcquired.Add(1)
			return c.hold(ctx, n, token, ttl, load, sent, rtt)
		}

		// Another caller holds the lease. Subscribe to its notification
		// first, then look again (the loop), so that a value stored
		// between our look and the subscription is not missed.
		if w == nil {
			c.stats.leaseWaits.Add(1)
			deadline = time.NewTimer(c.opts.WaitTimeout)
			w = c.notify.watch(n.channel)
			if err := c.sleep(ctx, w.ready, deadline.C, c.opts.PollInterval); err != nil {
				return c.waitFailed(ctx, key, stale, err)
			}
			continue
		}
		// Wake on the notification, at the latest when the holder's lease
		// runs out (it may have died), and poll at least every
		// PollInterval in case the notification was lost.
		wait := c.opts.PollInterval
		if a.pttl >= 0 && a.pttl+time.Millisecond < wait {
			wait = a.pttl + time.Millisecond
		}
		if err := c.sleep(ctx, w.C, deadline.C, wait); err != nil {
			return c.waitFailed(ctx, key, stale, err)
		}
	}
}

// errWaitTimeout tells waitFailed that WaitTimeout passed.
var errWaitTimeout = errors.New("wait timeout")

// sleep waits for wake, for d, for deadline (errWaitTimeout) or for ctx
// (its cause).
func (c *Cache) sleep(ctx context.Context, wake <-chan struct{}, deadline <-chan time.Time, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
	case <-deadline:
		return errWaitTimeout
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return nil
}

// waitFailed ends a wait for another holder that was cut short by err.
func (c *Cache) waitFailed(ctx context.Context, key string, stale *entry, err error) (string, error) {
	if err != errWaitTimeout {
		return "", err
	}
	c.stats.leaseTimeouts.Add(1)
	if c.opts.OnLeaseTimeout == ServeStale && stale != nil {
		c.stats.staleServed.Add(1)
		return stale.result()
	}
	return "", fmt.Errorf("%w: key %q, waited %v", ErrLeaseTimeout, key, c.opts.WaitTimeout)
}

// fillFailed handles a failed Redis command during a fill.
func (c *Cache) fillFailed(ctx context.Context, key string, load Loader, err error) (string, error) {
	if ctx.Err() != nil {
		return "", context.Cause(ctx)
	}
	c.stats.redisErrors.Add(1)
	if c.opts.OnUnavailable == CallLoader {
		return c.loadDirect(ctx, load)
	}
	return "", fmt.Errorf("%w: take lease of %q: %w", ErrUnavailable, key, err)
}

// hold runs load as the lease holder of n: it keeps the lease while load
// runs, then stores what should be stored, releases the lease and wakes
// the waiters. The value is returned even if it could not be stored.
//
// The entry's delta is what replacing the value cost, not just the loader:
// from begun (when the recomputation was decided: the read that asked for
// it, or the fill's lease request) to the value being ready, plus rtt (how
// long taking the lease took) for the release still to come. Early
// recomputation leads by a multiple of delta, so when Redis round trips or
// the scheduler slow down, the next recomputation starts earlier with them.
func (c *Cache) hold(ctx context.Context, n names, token string, ttl time.Duration, load Loader, begun time.Time, rtt time.Duration) (string, error) {
	stop := c.keepLease(ctx, n, token)
	v, lerr := c.callLoader(ctx, load)
	now := c.opts.Clock.Now()
	lost := stop()
	e, keep, store := c.entryFor(ctx, v, lerr, ttl)
	var encoded string
	if store {
		e.expiry = now.Add(keep)
		e.delta = max(now.Sub(begun)+rtt, 0)
		encoded = e.encode()
	}
	ok, err := c.release(ctx, n, token, encoded, keep+c.opts.StaleTTL)
	if err != nil {
		c.stats.redisErrors.Add(1)
	}
	if lost || (err == nil && !ok) {
		c.stats.leasesLost.Add(1)
	}
	if lerr != nil {
		return "", lerr // the holder's callers get the loader's own error
	}
	return e.payload, nil
}

// entryFor decides what a load's outcome stores: the entry, its TTL
// (jittered), and whether to store it at all.
func (c *Cache) entryFor(ctx context.Context, v []byte, lerr error, ttl time.Duration) (e entry, keep time.Duration, store bool) {
	switch {
	case lerr == nil:
		e = entry{kind: kindValue, payload: string(v)}
	case errors.Is(lerr, ErrNotFound):
		e, ttl = entry{kind: kindNotFound}, c.opts.NegativeTTL
	case errors.Is(lerr, ErrLoaderPanic) || ctx.Err() != nil ||
		errors.Is(lerr, context.Canceled) || errors.Is(lerr, context.DeadlineExceeded):
		return entry{}, 0, false
	default:
		e, ttl = entry{kind: kindError, payload: lerr.Error()}, c.opts.ErrorTTL
	}
	if ttl <= 0 {
		return e, 0, false
	}
	if c.opts.Jitter > 0 {
		ttl -= time.Duration(float64(ttl) * c.opts.Jitter * c.opts.Rand())
	}
	return e, max(ttl, time.Millisecond), true
}
