package stampede

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Loader computes the value of a key when the cache has none, or an early
// replacement for a value about to expire. It returns ErrNotFound (or an
// error wrapping it) when the key has no value.
//
// A loader runs on a goroutine of the Cache, not the caller's: its context
// carries the values of the caller that started the load but not its
// deadline, and it is cancelled when every caller waiting for it has given
// up, or by Close. A background recomputation's context is cancelled only
// by Close. The loader may block; it must not modify the slice after
// returning it.
type Loader func(ctx context.Context) ([]byte, error)

// Cache fetches values through Redis so that each expiry of a key costs one
// loader call across every process sharing the Redis, and so that, for keys
// read often enough, callers never wait for the loader. Create one with New
// and stop it with Close. All methods are safe for concurrent use.
type Cache struct {
	opts   Options
	stats  counters
	flight *flight
	notify *notifier

	life context.Context // ends at Close, with cause ErrClosed
	stop context.CancelCauseFunc
	wg   sync.WaitGroup // fill goroutines and background recomputations

	// mu guards closed and refreshing, and orders wg.Add before Close's
	// wg.Wait.
	mu         sync.Mutex
	closed     bool
	refreshing map[string]struct{} // keys with a background recomputation running
}

// New returns a Cache configured by opts. It starts no goroutine until it
// needs one; Close stops them all.
func New(opts Options) (*Cache, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	life, cancel := context.WithCancelCause(context.Background())
	c := &Cache{
		opts:       o,
		notify:     newNotifier(o.Client, o.PollInterval),
		life:       life,
		stop:       cancel,
		refreshing: make(map[string]struct{}),
	}
	c.flight = newFlight(life, c.spawn)
	return c, nil
}

// Must is New that panics on invalid options, for programs whose options
// are constants.
func Must(opts Options) *Cache {
	c, err := New(opts)
	if err != nil {
		panic(err)
	}
	return c
}

// Close stops the cache: callers still waiting get ErrClosed, loaders in
// progress see their context cancelled, and Close waits for every goroutine
// of the cache to return (including loaders, which should therefore honour
// their context) and releases their leases. Later Fetches return
// ErrClosed. It does not close Options.Client. Close always returns nil.
func (c *Cache) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.stop(ErrClosed)
	c.wg.Wait()
	c.notify.close()
	return nil
}

// spawn runs fn on a goroutine counted by c.wg, unless c is closed.
func (c *Cache) spawn(fn func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn()
	}()
	return true
}

// Stats returns a snapshot of the cache's counters.
func (c *Cache) Stats() Stats { return c.stats.snapshot() }

// Delete removes the stored value of key, so that the next Fetch calls the
// loader. A lease in progress is left alone.
func (c *Cache) Delete(ctx context.Context, key string) error {
	if err := c.opts.Client.Del(ctx, key).Err(); err != nil {
		c.stats.redisErrors.Add(1)
		return fmt.Errorf("%w: DEL %q: %w", ErrUnavailable, key, err)
	}
	return nil
}

// Fetch returns the value of key, calling load when Redis has no fresh
// value and storing the result for ttl.
//
// A fresh value costs one GET. A value close to expiry may also start a
// background recomputation (see Options.Beta) while Fetch returns the
// current value at once. Without a fresh value, the concurrent callers
// of this process share one fill: it takes the key's lease, calls load once
// and stores the value, or, if another process holds the lease, waits for
// that process's value (see Options.WaitTimeout and OnLeaseTimeout).
//
// When load returns ErrNotFound, Fetch returns ErrNotFound (cached for
// Options.NegativeTTL when set); other loader errors are returned as they
// are and not cached unless Options.ErrorTTL is set; a panic in load
// becomes an error wrapping ErrLoaderPanic for every caller sharing the
// call. Fetch returns ctx's error as soon as ctx ends. When Redis fails,
// Options.OnUnavailable decides between an error wrapping ErrUnavailable
// and calling load directly.
//
// The returned slice belongs to the caller. Callers that join a fill
// started by another caller get its value even if they passed a different
// ttl or load.
func (c *Cache) Fetch(ctx context.Context, key string, ttl time.Duration, load Loader) ([]byte, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("%w: ttl = %v; want > 0", ErrInvalidArgument, ttl)
	}
	if load == nil {
		return nil, fmt.Errorf("%w: load is nil", ErrInvalidArgument)
	}
	if c.life.Err() != nil {
		return nil, ErrClosed
	}
	raw, err := c.opts.Client.Get(ctx, key).Result()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		c.stats.redisErrors.Add(1)
		return c.unavailable(ctx, key, load, "GET", err)
	default:
		e, err := decode(raw)
		if err != nil {
			c.stats.formatErrors.Add(1)
			break
		}
		now := c.opts.Clock.Now()
		if !e.fresh(now) {
			break
		}
		c.stats.hits.Add(1)
		if e.kind == kindNotFound {
			c.stats.negativeHits.Add(1)
		}
		if early(key, e, now, c.opts.Beta, ttl) {
			c.recompute(ctx, key, ttl, load, e, now)
		}
		return owned(e.result())
	}
	c.stats.misses.Add(1)
	return c.share(ctx, key, func(ctx context.Context) (string, error) {
		return c.fill(ctx, key, ttl, load)
	})
}

// share runs fn through the flight for key.
func (c *Cache) share(ctx context.Context, key string, fn func(context.Context) (string, error)) ([]byte, error) {
	v, err, shared := c.flight.do(ctx, key, fn)
	if shared {
		c.stats.coalesced.Add(1)
	}
	if err != nil && ctx.Err() == nil && errors.Is(err, context.Canceled) && c.life.Err() != nil {
		err = ErrClosed // the loader saw its context cancelled by Close
	}
	return owned(v, err)
}

// owned converts a shared result into the caller's own slice.
func owned(v string, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return []byte(v), nil
}

// unavailable handles a failed Redis command op before any fill started.
func (c *Cache) unavailable(ctx context.Context, key string, load Loader, op string, err error) ([]byte, error) {
	if c.opts.OnUnavailable != CallLoader {
		return nil, fmt.Errorf("%w: %s %q: %w", ErrUnavailable, op, key, err)
	}
	return c.share(ctx, key, func(ctx context.Context) (string, error) {
		return c.loadDirect(ctx, load)
	})
}

// loadDirect calls load without Redis (OnUnavailable: CallLoader).
func (c *Cache) loadDirect(ctx context.Context, load Loader) (string, error) {
	v, err := c.callLoader(ctx, load)
	return string(v), err
}

// callLoader calls load, counting it and turning a panic into an error.
func (c *Cache) callLoader(ctx context.Context, load Loader) (v []byte, err error) {
	c.stats.loaderCalls.Add(1)
	defer func() {
		if r := recover(); r != nil {
			c.stats.loaderPanics.Add(1)
			v, err = nil, fmt.Errorf("%w: %v\n%s", ErrLoaderPanic, r, debug.Stack())
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			c.stats.loaderErrors.Add(1)
		}
	}()
	return load(ctx)
}
