package nearcache

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
)

// Errors of Fill. The caller sends the command to Redis its usual way.
var (
	// ErrNotConnected is returned by Fill while the node's connection is
	// being set up or re-established, or when it failed during the fill.
	ErrNotConnected = errors.New("nearcache: not connected to the node")
	// ErrOff is returned by Fill for a node that refused CLIENT TRACKING
	// when Options.AllowTTLOnly is not set.
	ErrOff = errors.New("nearcache: caching is off for the node (CLIENT TRACKING refused)")
	// ErrClosed is returned by Fill after Close.
	ErrClosed = errors.New("nearcache: cache closed")
)

// Cache is a near cache for Redis: replies to reads of chosen keys, kept
// in process memory and dropped when the server says the keys changed.
// It decides nothing about which keys deserve caching; its owner (the
// redhot middleware) fills the keys it judges hot and asks for hits.
//
// All methods are safe for concurrent use.
type Cache struct {
	opts   Options
	ix     *index
	policy *otter.Cache[string, *entry]
	clock  Clock
	coarse *coarseClock // nil with an injected clock
	margin int64        // subtracted from deadlines for the coarse clock's lag
	count  counters

	// Writes through the client that may change any key (BeginWriteAll).
	globalInflight atomic.Int64
	globalEpoch    atomic.Uint64

	ctx    context.Context // cancelled by Close; bounds dials and handshakes
	cancel context.CancelFunc
	stop   chan struct{}
	wg     sync.WaitGroup

	// mu guards nodes and closed.
	mu     sync.Mutex
	nodes  map[string]*node
	closed bool

	fills, fillErrors, discarded, invalidations, writeDrops, drops atomic.Uint64
	joined, refreshes, refreshLimited                              atomic.Uint64
	flushes                                                        [numFlushReasons]atomic.Uint64
}

// New returns a Cache configured by opts. It starts a goroutine that
// samples the clock (unless opts.Clock is set); nodes get their own
// goroutines when first used. Close stops them all.
func New(opts Options) (*Cache, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Cache{
		opts:  o,
		ix:    newIndex(),
		count: newCounters(),
		stop:  make(chan struct{}),
		nodes: make(map[string]*node),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if o.Clock != nil {
		c.clock = o.Clock
	} else {
		c.coarse = &coarseClock{}
		c.coarse.advance(nanotime())
		c.clock = c.coarse
		c.margin = int64(2 * coarseResolution)
		c.wg.Add(2)
		go func() {
			defer c.wg.Done()
			c.coarse.run(coarseResolution, c.stop)
		}()
		go func() {
			defer c.wg.Done()
			c.janitor()
		}()
	}
	// otter keeps the bound and picks the victims; it cannot bound
	// entries and bytes at once, so an entry weighs at least its share of
	// MaxBytes for MaxEntries entries, which bounds both.
	minWeight := uint32(min(o.MaxBytes/int64(o.MaxEntries), math.MaxUint32))
	c.policy, err = otter.New(&otter.Options[string, *entry]{
		MaximumWeight: uint64(o.MaxBytes),
		Weigher: func(_ string, e *entry) uint32 {
			return max(e.weight, minWeight)
		},
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, *entry]) time.Duration {
			return time.Duration(e.Value.expires() - c.clock.Now())
		}),
		OnAtomicDeletion: func(ev otter.DeletionEvent[string, *entry]) {
			if ev.Cause == otter.CauseOverflow || ev.Cause == otter.CauseExpiration {
				c.evicted(ev.Key, ev.Value)
			}
		},
		// Maintenance runs on the goroutine whose call made it due (one
		// sampled hit in a thousand or so, a fill, a drop) instead of a
		// new goroutine each time, otter's default: under a stream of
		// hits that was a goroutine, and an idle thread woken to run it,
		// every ~80 µs, and those wake-ups delayed the thread that
		// should be waiting in the network poller for invalidations by a
		// millisecond (measured with an execution trace). It is safe
		// because no callback above calls the cache, and the cache is
		// never called with a shard lock held.
		Executor: func(fn func()) { fn() },
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// coarseResolution is how often the default clock is sampled.
const coarseResolution = time.Millisecond

// Close drops every entry, closes every connection and stops and waits
// for every goroutine of the cache. Later calls do nothing.
func (c *Cache) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	nodes := make([]*node, 0, len(c.nodes))
	for _, n := range c.nodes {
		nodes = append(nodes, n)
	}
	c.mu.Unlock()
	close(c.stop)
	c.cancel()
	c.wg.Wait()
	for _, n := range nodes {
		n.token.Add(1)
	}
	for i := range c.ix.shards {
		sh := &c.ix.shards[i]
		sh.mu.Lock()
		sh.tab.Store(emptyTable)
		sh.mu.Unlock()
	}
	if c.policy != nil {
		c.policy.InvalidateAll()
		c.policy.StopAllGoroutines()
	}
	return nil
}

// realNow reads the real clock: the injected one, or the monotonic clock.
// Fills and heartbeats stamp their send time with it.
func (c *Cache) realNow() int64 {
	if c.coarse == nil {
		return c.clock.Now()
	}
	return nanotime()
}

// GetString returns the cached reply of GET key: the value and whether the
// key exists. ok is false on a miss. It allocates nothing and takes no
// lock; see Options.OnHit for what one hit in SampleEvery also does.
func (c *Cache) GetString(key string) (value string, exists, ok bool) {
	h := c.ix.hash(key)
	e := c.ix.get(h, key)
	if e == nil || e.get == nil || !c.live(e.get) {
		c.count.miss()
		return "", false, false
	}
	v := e.get
	if c.count.hit()%SampleEvery == 0 && !c.sampled(key, v, true) {
		c.count.unhit()
		return "", false, false
	}
	return v.val.Str, v.val.Kind != KindNull, true
}

// Lookup returns the cached reply of the read id (see VariantID) of key,
// or nil on a miss. The value is shared and must not be modified. Unlike
// GetString it reports nothing to Options.OnHit: its caller observes
// every access itself.
func (c *Cache) Lookup(key, id string) *Value {
	h := c.ix.hash(key)
	e := c.ix.get(h, key)
	var v *variant
	if e != nil {
		v = e.find(id)
	}
	if v == nil || !c.live(v) {
		c.count.miss()
		return nil
	}
	if c.count.hit()%SampleEvery == 0 && !c.sampled(key, v, false) {
		c.count.unhit()
		return nil
	}
	return &v.val
}

// live reports whether v may be served now. Hits read the sampled clock;
// within nearWindow of the entry's expiry or of its node's staleness
// deadline they read the real clock too, so a clock goroutine starved of
// CPU (for up to nearWindow) cannot stretch either bound. Far from both,
// the sample is enough, and a hit costs one atomic load of the clock.
func (c *Cache) live(v *variant) bool {
	end := v.until()
	now := c.clock.Now()
	if now >= end {
		return false
	}
	if c.coarse != nil && now+int64(nearWindow) >= end {
		return nanotime()+c.margin < end
	}
	return true
}

// nearWindow is how close to an entry's expiry or its node's deadline a
// hit stops trusting the sampled clock alone.
const nearWindow = 100 * time.Millisecond

// sampled is the slow part of one hit in SampleEvery: it checks v against
// the real clock, in case the sampled clock lags, reports the hit to the
// eviction policy and, if report, to OnHit.
func (c *Cache) sampled(key string, v *variant, report bool) bool {
	if c.coarse != nil {
		now := nanotime()
		c.coarse.advance(now)
		if !v.valid(now + c.margin) {
			return false
		}
	}
	c.policy.GetIfPresent(key)
	if report && c.opts.OnHit != nil {
		c.opts.OnHit(key, SampleEvery)
	}
	return true
}

// publish stores v, the reply of a fill stamped st, as a variant of key,
// unless a write through the client or (in redirect mode) an invalidation
// of the key came in between, or the node was flushed.
func (c *Cache) publish(key string, st stamp, v *variant) bool {
	sh := c.ix.shard(st.hash)
	sh.mu.Lock()
	if !c.clearToPublish(sh, st) || v.node.token.Load() != v.token {
		sh.mu.Unlock()
		c.discarded.Add(1)
		return false
	}
	var e *entry
	if old := sh.tab.Load().lookup(st.hash, key); old != nil {
		e = old.with(v)
	} else {
		e = newEntry(key, st.hash, v)
	}
	sh.put(e)
	sh.mu.Unlock()
	// The policy is told outside the shard lock: otter calls evicted
	// under its own locks, and evicted takes the shard lock.
	c.policy.Set(key, e)
	c.fills.Add(1)
	return true
}

// invalidate drops key on the server's word and returns what a refresh
// should read again: the variants of the entry it dropped, if any. In
// redirect mode (bump) it also moves the key's guard, so that a fill in
// flight is not published. Misses no longer share the key's reads in
// flight: one whose reply came before the invalidation holds a value the
// server has just replaced. (Those reads are not read again: while one is
// in flight no entry of the key exists, so a key written continuously is
// refreshed at most once per read that lands.)
func (c *Cache) invalidate(key string, bump bool) *again {
	h := c.ix.hash(key)
	sh := c.ix.shard(h)
	sh.mu.Lock()
	if bump {
		sh.guard(h).epoch.Add(1)
	}
	delete(sh.flights, key)
	e := sh.remove(h, key, nil)
	var a *again
	if e != nil {
		c.invalidations.Add(1)
		if c.opts.Refresh != nil {
			a = againOf(key, h, e, nil)
		}
	}
	sh.mu.Unlock()
	if e != nil {
		c.dropPolicy(e)
	}
	return a
}

// Drop removes key's entry, if any: its owner no longer wants it cached
// (the key cooled). It never makes the cache less consistent.
func (c *Cache) Drop(key string) {
	h := c.ix.hash(key)
	sh := c.ix.shard(h)
	sh.mu.Lock()
	e := sh.remove(h, key, nil)
	sh.mu.Unlock()
	if e != nil {
		c.drops.Add(1)
		c.dropPolicy(e)
	}
}

// evicted is otter's deletion callback for entries it evicts or expires.
// It runs under otter's lock of the key, so it touches only the index.
func (c *Cache) evicted(key string, e *entry) {
	sh := c.ix.shard(e.hash)
	sh.mu.Lock()
	sh.remove(e.hash, key, e)
	sh.mu.Unlock()
}

// dropPolicy removes e from the eviction policy if it is still the entry
// the policy holds for its key.
func (c *Cache) dropPolicy(e *entry) {
	c.policy.ComputeIfPresent(e.key, func(old *entry) (*entry, otter.ComputeOp) {
		if old == e {
			return nil, otter.InvalidateOp
		}
		return old, otter.CancelOp
	})
}

// dropAll drops every entry, for reason.
func (c *Cache) dropAll(reason FlushReason) {
	c.flushes[reason].Add(1)
	n := 0
	for i := range c.ix.shards {
		sh := &c.ix.shards[i]
		sh.mu.Lock()
		n += sh.tab.Load().n
		sh.tab.Store(emptyTable)
		sh.mu.Unlock()
	}
	c.policy.InvalidateAll()
	if reason == FlushWrite {
		c.writeDrops.Add(uint64(n))
	}
}

// janitorInterval is how often expired entries are swept out of the index.
const janitorInterval = time.Second

// janitor sweeps expired entries until the cache closes. The eviction
// policy expires its own records; the sweep catches any entry the policy
// no longer holds, and frees memory between the policy's clean-ups.
func (c *Cache) janitor() {
	t := time.NewTicker(janitorInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.sweep()
		}
	}
}

// sweep drops the entries of which no variant can be served any more,
// because its node was flushed or it expired, to give their memory back.
func (c *Cache) sweep() {
	now := c.clock.Now()
	dead := func(e *entry) bool {
		for _, v := range e.vars {
			if v.node.token.Load() == v.token && now < v.expires {
				return false
			}
		}
		return true
	}
	for i := range c.ix.shards {
		sh := &c.ix.shards[i]
		sh.mu.Lock()
		gone := sh.removeIf(dead)
		sh.mu.Unlock()
		for _, e := range gone {
			c.dropPolicy(e)
		}
	}
}

// ttl returns the local lifetime of a new entry: TTL (or TTLOnly in that
// mode) shortened by the jitter.
func (c *Cache) ttl(mode Mode) int64 {
	d := c.opts.TTL
	if mode == ModeTTLOnly {
		d = min(d, c.opts.TTLOnly)
	}
	if c.opts.TTLJitter > 0 {
		d -= time.Duration(rand.Float64() * c.opts.TTLJitter * float64(d))
	}
	return int64(d)
}

// expires returns the latest expiry of e's variants.
func (e *entry) expires() int64 {
	var t int64
	for _, v := range e.vars {
		t = max(t, v.expires)
	}
	return t
}

// Len returns the number of cached keys.
func (c *Cache) Len() int { return c.ix.len() }
