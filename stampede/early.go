package stampede

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"math"
	"time"
)

// RefreshLead returns how long before its expiry an entry whose last
// computation took delta is recomputed in the background, for Options.Beta
// beta and the entry's draw in [0, 1): delta·(1 + beta·(0.5 + draw)). The
// recomputation is then expected to finish beta·delta (half to one and a
// half times that) before the value expires.
//
// It is 0 (no early recomputation) for a value that took no measurable
// time to compute or for a beta that is not positive. A draw outside
// [0, 1) is clamped into it.
func RefreshLead(delta time.Duration, beta, draw float64) time.Duration {
	if delta <= 0 || !(beta > 0) || math.IsInf(beta, 0) {
		return 0
	}
	draw = min(max(draw, 0), 1)
	lead := float64(delta) * (1 + beta*(0.5+draw))
	if lead >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(lead)
}

// drawOf returns the draw in [0, 1) that places the recomputation point of
// the entry e of key (see RefreshLead). It is a hash of the key and of the
// entry's expiry and delta as stored, so every process that reads the same
// entry computes the same draw, and the next entry of the key gets a new
// one.
func drawOf(key string, e entry) float64 {
	// FNV-1a over the key and the stored expiry and delta, then
	// MurmurHash3's finalizer so that every output bit depends on every
	// input bit.
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= prime64
	}
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(e.expiry.UnixMilli()))
	us := e.delta.Microseconds()
	switch {
	case us < 0:
		us = 0
	case us > math.MaxUint32:
		us = math.MaxUint32
	}
	binary.BigEndian.PutUint32(b[8:], uint32(us))
	for _, c := range b {
		h ^= uint64(c)
		h *= prime64
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return float64(h>>11) / (1 << 53)
}

// early reports whether a read of key at now that found the fresh entry e
// should start its background recomputation: whether e's recomputation
// point (RefreshLead before its expiry, but never more than ttl/2) has
// passed. ttl is the one the reader passed to Fetch.
func early(key string, e entry, now time.Time, beta float64, ttl time.Duration) bool {
	remaining := e.expiry.Sub(now)
	// The cheap test first: most reads are far from every possible point.
	if remaining > min(RefreshLead(e.delta, beta, 1), ttl/2) {
		return false
	}
	return remaining <= min(RefreshLead(e.delta, beta, drawOf(key, e)), ttl/2)
}

// recompute starts a background recomputation of key, whose stored entry
// is seen, unless one is already running in this process. decided is when
// the read that asked for it found the entry.
func (c *Cache) recompute(ctx context.Context, key string, ttl time.Duration, load Loader, seen entry, decided time.Time) {
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
		c.recomputeEarly(rctx, key, ttl, load, seen, decided)
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
func (c *Cache) recomputeEarly(ctx context.Context, key string, ttl time.Duration, load Loader, seen entry, decided time.Time) {
	n := namesFor(key)
	token := rand.Text()
	sent := c.opts.Clock.Now()
	a, err := c.acquire(ctx, n, token)
	rtt := c.opts.Clock.Now().Sub(sent)
	if err != nil {
		if ctx.Err() == nil {
			c.stats.redisErrors.Add(1)
		}
		return
	}
	if !a.got {
		// Another process is recomputing. Every read of this process past
		// the recomputation point asks again; keep this process's slot for
		// a while so that they do not ask for the lease on every hit.
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
	_, _ = c.hold(ctx, n, token, ttl, load, decided, rtt)
}
