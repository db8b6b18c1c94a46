package stampede

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// The lease is a string key (see keys.go) set with SET NX PX to a random
// token. Only a caller that presents the token can extend or delete it, so a
// holder whose lease expired and was taken by another process can neither
// prolong nor end the new holder's lease. The scripts run with EVALSHA and
// fall back to EVAL when the server does not know them yet.

// acquireScript takes the lease if it is free and returns the stored value
// in the same round trip, so that a caller that lost a race to a holder
// who has just finished sees that holder's value instead of loading again.
//
// KEYS[1] value, KEYS[2] lease; ARGV[1] token, ARGV[2] lease TTL (ms).
// Returns {1, value or nil} when taken, {0, value or nil, lease PTTL (ms)}
// when another caller holds the lease.
var acquireScript = redis.NewScript(`
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[1])}
end
return {0, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[2])}
`)

// extendScript is compare-and-pexpire: it extends the lease only for its
// holder.
//
// KEYS[1] lease; ARGV[1] token, ARGV[2] lease TTL (ms). Returns 1 when
// extended, 0 when the lease is gone or someone else's.
var extendScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseScript is compare-and-delete, with the store folded in: unless
// another caller holds the lease now, it stores the entry (if any),
// deletes the lease (if still there, it is ours) and publishes a fill
// notification, in that order, so a woken waiter finds the value. A holder
// that lost its lease to another caller stores nothing: the new holder's
// value is as fresh and it will publish its own notification.
//
// KEYS[1] value, KEYS[2] lease; ARGV[1] token, ARGV[2] encoded entry or ""
// for none, ARGV[3] value TTL (ms), ARGV[4] channel. Returns 1, or 0 when
// another caller holds the lease.
var releaseScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then
  return 0
end
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
if holder then
  redis.call('DEL', KEYS[2])
end
redis.call('PUBLISH', ARGV[4], KEYS[1])
return 1
`)

// acquired is the answer of acquireScript.
type acquired struct {
	got      bool          // the caller holds the lease now
	raw      string        // the stored value, if hasValue
	hasValue bool          // the value key exists
	pttl     time.Duration // time left on another holder's lease; negative if unknown
}

// acquire tries to take the lease of n with token.
func (c *Cache) acquire(ctx context.Context, n names, token string) (acquired, error) {
	res, err := acquireScript.Run(ctx, c.opts.Client, []string{n.value, n.lease},
		token, c.opts.LeaseTTL.Milliseconds()).Slice()
	if err != nil {
		return acquired{}, err
	}
	var a acquired
	if len(res) < 2 {
		return a, fmt.Errorf("stampede: lease script returned %d elements", len(res))
	}
	got, _ := res[0].(int64)
	a.got = got == 1
	a.raw, a.hasValue = res[1].(string)
	a.pttl = -1
	if len(res) > 2 {
		if ms, ok := res[2].(int64); ok && ms >= 0 {
			a.pttl = time.Duration(ms) * time.Millisecond
		}
	}
	return a, nil
}

// extend prolongs the lease of n if token still holds it; ok is false
// when it does not.
func (c *Cache) extend(ctx context.Context, n names, token string) (ok bool, err error) {
	v, err := extendScript.Run(ctx, c.opts.Client, []string{n.lease},
		token, c.opts.LeaseTTL.Milliseconds()).Int64()
	return v == 1, err
}

// release stores encoded (unless it is empty) for ttl, gives the lease of
// n up and notifies waiters, unless another caller holds the lease; ok is
// false in that case. It runs even when ctx has ended, since a lease left
// behind would block every other process for up to LeaseTTL.
func (c *Cache) release(ctx context.Context, n names, token, encoded string, ttl time.Duration) (ok bool, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.LeaseTTL)
	defer cancel()
	ms := int64(0)
	if encoded != "" {
		ms = max(1, (ttl + time.Millisecond - 1).Milliseconds())
	}
	v, err := releaseScript.Run(ctx, c.opts.Client, []string{n.value, n.lease},
		token, encoded, ms, n.channel).Int64()
	return v == 1, err
}

// keepLease extends the lease of n every LeaseTTL/3 until the returned
// function is called; that function waits for the extending goroutine and
// reports whether the lease was found lost.
func (c *Cache) keepLease(ctx context.Context, n names, token string) (stop func() (lost bool)) {
	quit := make(chan struct{})
	done := make(chan struct{})
	var lost atomic.Bool
	go func() {
		defer close(done)
		t := time.NewTicker(c.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ok, err := c.extend(ctx, n, token)
			if err != nil {
				c.stats.redisErrors.Add(1)
				continue // the lease may still be ours; try again next tick
			}
			if !ok {
				lost.Store(true)
				return
			}
		}
	}()
	return func() bool {
		close(quit)
		<-done
		return lost.Load()
	}
}
