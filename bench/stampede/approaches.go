package stampede

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/stampede"
)

// cacheAside is the plain pattern: GET; on a miss, load and SET with the
// TTL. Every caller that misses loads.
type cacheAside struct {
	clients []*redis.Client
	ttl     time.Duration
	missed  atomic.Uint64
}

func newCacheAside(cfg Config, clients []*redis.Client) (approach, error) {
	return &cacheAside{clients: clients, ttl: cfg.TTL}, nil
}

func (a *cacheAside) get(ctx context.Context, i int, key string, load func(context.Context) ([]byte, error)) ([]byte, error) {
	c := a.clients[i]
	v, err := c.Get(ctx, key).Bytes()
	if !errors.Is(err, redis.Nil) {
		return v, err
	}
	a.missed.Add(1)
	if v, err = load(ctx); err != nil {
		return nil, err
	}
	return v, c.Set(ctx, key, v, a.ttl).Err()
}

func (a *cacheAside) misses() uint64      { return a.missed.Load() }
func (a *cacheAside) staleServed() uint64 { return 0 }
func (a *cacheAside) early() uint64       { return 0 }
func (a *cacheAside) close() error        { return nil }

// lockPoll is ProbabilisticCache.get_hot_key_safe of the seed article,
// faithfully: GET; on a miss, SET key:lock 1 NX EX lock_timeout; the
// winner loads, SETEX the value and deletes the lock unconditionally (in a
// finally block, whoever holds it by then); the others sleep 100 ms and GET
// again, up to lock_timeout×10 times, then load anyway.
type lockPoll struct {
	clients     []*redis.Client
	ttl         time.Duration
	lockTimeout int // seconds, the article's default
	missed      atomic.Uint64
}

func newLockPoll(cfg Config, clients []*redis.Client) (approach, error) {
	return &lockPoll{clients: clients, ttl: cfg.TTL, lockTimeout: 10}, nil
}

func (a *lockPoll) get(ctx context.Context, i int, key string, load func(context.Context) ([]byte, error)) ([]byte, error) {
	c := a.clients[i]
	v, err := c.Get(ctx, key).Bytes()
	if !errors.Is(err, redis.Nil) {
		return v, err
	}
	a.missed.Add(1)
	lock := key + ":lock"
	got, err := c.SetNX(ctx, lock, "1", time.Duration(a.lockTimeout)*time.Second).Result()
	if err != nil {
		return nil, err
	}
	if got {
		defer c.Del(context.WithoutCancel(ctx), lock) // finally: delete, whoever holds it
		if v, err = load(ctx); err != nil {
			return nil, err
		}
		return v, c.Set(ctx, key, v, a.ttl).Err()
	}
	for range a.lockTimeout * 10 {
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		v, err := c.Get(ctx, key).Bytes()
		if !errors.Is(err, redis.Nil) {
			return v, err
		}
	}
	return load(ctx) // timeout: compute anyway
}

func (a *lockPoll) misses() uint64      { return a.missed.Load() }
func (a *lockPoll) staleServed() uint64 { return 0 }
func (a *lockPoll) early() uint64       { return 0 }
func (a *lockPoll) close() error        { return nil }

// redhot is one stampede.Cache per client, as in one per process.
type redhot struct {
	caches []*stampede.Cache
	ttl    time.Duration
}

func newRedhot(cfg Config, clients []*redis.Client) (approach, error) {
	a := &redhot{ttl: cfg.TTL}
	for _, c := range clients {
		cache, err := stampede.New(stampede.Options{Client: c, Beta: cfg.Beta})
		if err != nil {
			a.close()
			return nil, err
		}
		a.caches = append(a.caches, cache)
	}
	return a, nil
}

func (a *redhot) get(ctx context.Context, i int, key string, load func(context.Context) ([]byte, error)) ([]byte, error) {
	return a.caches[i].Fetch(ctx, key, a.ttl, load)
}

func (a *redhot) misses() uint64 {
	var n uint64
	for _, c := range a.caches {
		n += c.Stats().Misses
	}
	return n
}

func (a *redhot) staleServed() uint64 {
	var n uint64
	for _, c := range a.caches {
		n += c.Stats().StaleServed
	}
	return n
}

func (a *redhot) early() uint64 {
	var n uint64
	for _, c := range a.caches {
		n += c.Stats().EarlyRecomputations
	}
	return n
}

func (a *redhot) close() error {
	var errs []error
	for _, c := range a.caches {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
