package split

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configure a Splitter. The zero value works: no replica
// acknowledgement, the slot map reread every 5 seconds.
type Options struct {
	// RefreshInterval is how often a Splitter on a cluster rereads the slot
	// map (CLUSTER SLOTS) and times each primary (PING), for Placement
	// reports and ReadNearest. Key names never depend on it. Refresh
	// rereads at once.
	// default: 5 seconds
	RefreshInterval time.Duration

	// WaitReplicas makes every write wait, with WAIT on the connection that
	// carried it, until this many replicas of the node have it. A write
	// they do not acknowledge within WaitTimeout fails with an error
	// wrapping ErrNotReplicated. With it, an acknowledged write survives
	// the crash of its primary and the failover that follows (if a replica
	// that has it is promoted); without it Redis replicates asynchronously
	// and a crash can lose the last writes it acknowledged.
	// default: 0 (do not wait)
	WaitReplicas int

	// WaitTimeout bounds each WAIT.
	// default: 1 second
	WaitTimeout time.Duration

	// Now is the clock replicated values take their versions from.
	// default: time.Now
	Now func() time.Time

	// Rand returns a uniform random integer in [0, n): which shard an
	// increment goes to, which copy a read goes to. It is called from any
	// goroutine.
	// default: math/rand/v2.IntN
	Rand func(n int) int
}

func (o Options) withDefaults() (Options, error) {
	bad := func(field string, v any) error {
		return fmt.Errorf("%w: Options.%s = %v", ErrInvalidOptions, field, v)
	}
	switch {
	case o.RefreshInterval < 0:
		return o, bad("RefreshInterval", o.RefreshInterval)
	case o.WaitReplicas < 0:
		return o, bad("WaitReplicas", o.WaitReplicas)
	case o.WaitTimeout < 0:
		return o, bad("WaitTimeout", o.WaitTimeout)
	}
	if o.RefreshInterval == 0 {
		o.RefreshInterval = 5 * time.Second
	}
	if o.WaitTimeout == 0 {
		o.WaitTimeout = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.IntN
	}
	return o, nil
}

// Splitter makes split objects (Counter, Value, Set, Hash, Sharded) on one
// go-redis client and keeps the cluster's slot map for their placement
// reports and nearest reads. Create it with New and stop it with Close;
// it is safe for concurrent use.
type Splitter struct {
	client  redis.UniversalClient
	cluster *redis.ClusterClient // nil for a standalone server
	opts    Options

	view atomic.Pointer[slotView] // nil until the first refresh (cluster only)

	refreshMu sync.Mutex    // serialises refreshes
	soon      chan struct{} // RefreshSoon's request, buffered 1

	closed atomic.Bool
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a Splitter for c, a *redis.Client (a standalone server, or a
// Sentinel failover client) or a *redis.ClusterClient. On a cluster it
// reads the slot map in the background at once and every
// Options.RefreshInterval; New itself does no I/O.
func New(c redis.UniversalClient, opts Options) (*Splitter, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Splitter{client: c, opts: opts, soon: make(chan struct{}, 1)}
	switch cc := c.(type) {
	case *redis.ClusterClient:
		s.cluster = cc
	case *redis.Client:
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedClient, c)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if s.cluster != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.refreshLoop()
		}()
	}
	return s, nil
}

// Close stops the background refresh and waits for it. It does not close
// the client. Later calls return nil.
func (s *Splitter) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancel()
	s.wg.Wait()
	return nil
}

// Cluster reports whether the Splitter works on a Redis Cluster (and so
// gives shard keys hash tags).
func (s *Splitter) Cluster() bool { return s.cluster != nil }

// refreshLoop refreshes the slot map until Close: every RefreshInterval,
// and soon after RefreshSoon.
func (s *Splitter) refreshLoop() {
	t := time.NewTicker(s.opts.RefreshInterval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.RefreshInterval)
		_ = s.Refresh(ctx) // a failed refresh keeps the last map
		cancel()
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		case <-s.soon:
			// At most one early refresh per minRefreshGap.
			if err := sleepCtx(s.ctx, minRefreshGap); err != nil {
				return
			}
		}
	}
}

// minRefreshGap spaces the refreshes RefreshSoon asks for.
const minRefreshGap = 100 * time.Millisecond

// RefreshSoon asks for the slot map to be reread in the background within
// about 100 milliseconds, without waiting for it: call it when a MOVED
// reply shows that slots moved (the redhot middleware sees them). Calls
// while one is pending are merged. It does nothing on a standalone server.
func (s *Splitter) RefreshSoon() {
	select {
	case s.soon <- struct{}{}:
	default:
	}
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Refresh rereads the slot map and the primaries' round-trip times now. On
// a standalone server it does nothing. On error the last map is kept.
func (s *Splitter) Refresh(ctx context.Context) error {
	if s.cluster == nil {
		return nil
	}
	if s.closed.Load() {
		return ErrClosed
	}
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	//lint:ignore SA1019 CLUSTER SLOTS is what go-redis routes by; its view is the one to report.
	slots, err := s.cluster.ClusterSlots(ctx).Result()
	if err != nil {
		return fmt.Errorf("split: CLUSTER SLOTS: %w", err)
	}
	v := newSlotView(slots)
	// Time each primary, for ReadNearest. A primary that does not answer
	// keeps an unknown (maximal) time.
	rtt := make([]time.Duration, len(v.primaries))
	var mu sync.Mutex
	_ = s.cluster.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		i := slices.Index(v.primaries, n.Options().Addr)
		if i < 0 {
			return nil
		}
		start := time.Now()
		if n.Ping(ctx).Err() != nil {
			return nil
		}
		d := time.Since(start)
		mu.Lock()
		rtt[i] = d
		mu.Unlock()
		return nil
	})
	for i, d := range rtt {
		if d == 0 {
			rtt[i] = time.Hour
		}
	}
	v.rtt = rtt
	s.view.Store(v)
	return nil
}

// slotView is one reading of a cluster's slot map. It is immutable.
type slotView struct {
	owner     [NumSlots]int16 // index into primaries; -1 if no owner
	primaries []string        // addresses of the primaries that own slots, in slot order
	rtt       []time.Duration // round-trip time of each primary
}

func newSlotView(slots []redis.ClusterSlot) *slotView {
	v := &slotView{}
	for i := range v.owner {
		v.owner[i] = -1
	}
	slices.SortFunc(slots, func(a, b redis.ClusterSlot) int { return a.Start - b.Start })
	for _, r := range slots {
		if len(r.Nodes) == 0 || r.Start < 0 || r.End >= NumSlots {
			continue
		}
		addr := r.Nodes[0].Addr
		i := slices.Index(v.primaries, addr)
		if i < 0 {
			i = len(v.primaries)
			v.primaries = append(v.primaries, addr)
		}
		for s := r.Start; s <= r.End; s++ {
			v.owner[s] = int16(i)
		}
	}
	return v
}

// nearest returns the indexes of the shards, among slots, on the primary
// with the lowest round-trip time; nil if unknown.
func (v *slotView) nearest(slots []int) []int {
	if v == nil || len(v.rtt) == 0 {
		return nil
	}
	best := time.Duration(1<<63 - 1)
	var out []int
	for i, sl := range slots {
		o := v.owner[sl]
		if o < 0 {
			continue
		}
		switch d := v.rtt[o]; {
		case d < best:
			best, out = d, append(out[:0], i)
		case d == best:
			out = append(out, i)
		}
	}
	return out
}

// Placement says where the shards (or copies) of one object live.
type Placement struct {
	// Keys are the shard keys, in shard order.
	Keys []string
	// Slots are their cluster slots; nil on a standalone server.
	Slots []int
	// Nodes are the addresses of the primaries that owned those slots when
	// the slot map was last read ("" for a slot without an owner); nil on a
	// standalone server or before the map was first read.
	Nodes []string
	// Primaries is the number of primaries owning slots in that map.
	Primaries int
	// Distinct is the number of distinct primaries among Nodes.
	Distinct int
	// Warning is empty when the shards sit on min(shards, Primaries)
	// distinct primaries, and otherwise says why they do not: the cluster
	// has fewer primaries than the object has shards, or its slots are
	// spread so unevenly (after slot moves) that the evenly spaced shard
	// slots bunch up, or the map has not been read yet.
	Warning string
}

// Err returns nil if the shards sit on min(shards, primaries) distinct
// primaries and the cluster has at least as many primaries as shards, and
// otherwise an error wrapping ErrSpread with the Warning. It is nil on a
// standalone server. Callers that insist on one shard per primary check it
// after Splitter.Refresh.
func (p Placement) Err() error {
	if p.Slots == nil || (p.Warning == "" && len(p.Keys) <= p.Primaries) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrSpread, p.Warning)
}

// placement computes the placement of keys, given their slots, on the
// current map.
func (s *Splitter) placement(keys []string, slots []int) Placement {
	p := Placement{Keys: slices.Clone(keys)}
	if s.cluster == nil {
		return p
	}
	p.Slots = slices.Clone(slots)
	v := s.view.Load()
	if v == nil {
		p.Warning = "slot map not read yet"
		return p
	}
	p.Primaries = len(v.primaries)
	p.Nodes = make([]string, len(slots))
	perNode := make(map[string]int)
	for i, sl := range slots {
		if o := v.owner[sl]; o >= 0 {
			p.Nodes[i] = v.primaries[o]
			perNode[p.Nodes[i]]++
		}
	}
	p.Distinct = len(perNode)
	want := min(len(keys), p.Primaries)
	switch {
	case len(keys) > p.Primaries:
		most := 0
		for _, c := range perNode {
			most = max(most, c)
		}
		p.Warning = fmt.Sprintf("%d shards on %d primaries: up to %d shards share a primary", len(keys), p.Primaries, most)
		if p.Distinct < want {
			p.Warning += fmt.Sprintf(", and only %d primaries hold shards (uneven slot map)", p.Distinct)
		}
	case p.Distinct < want:
		p.Warning = fmt.Sprintf("%d shards on %d distinct primaries of %d: the slot map is uneven (slots moved?)", len(keys), p.Distinct, p.Primaries)
	}
	return p
}

// checkKey validates an object's key and shard count.
func (s *Splitter) checkKey(key string, n int, field string) error {
	if s.closed.Load() {
		return ErrClosed
	}
	switch {
	case key == "":
		return fmt.Errorf("%w: key is empty", ErrInvalidOptions)
	case n < 0 || n > MaxShards:
		return fmt.Errorf("%w: %s = %d (want 1 to %d, or 0 for the default %d)", ErrInvalidOptions, field, n, MaxShards, DefaultShards)
	}
	if s.cluster == nil {
		return nil
	}
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			return fmt.Errorf("%w: %q", ErrHashTag, key)
		}
	}
	return nil
}

// DefaultShards is the shard (or copy) count when an object's options
// leave it zero: 12 spreads evenly over clusters of 1, 2, 3, 4, 6 and 12
// primaries.
const DefaultShards = 12

// layout is the fixed part of an object: its key, shard keys and slots.
type layout struct {
	s     *Splitter
	key   string
	keys  []string
	slots []int // nil on a standalone server
}

func (s *Splitter) newLayout(key string, n int) layout {
	if n == 0 {
		n = DefaultShards
	}
	l := layout{s: s, key: key, keys: shardKeys(key, n, s.cluster != nil)}
	if s.cluster != nil {
		l.slots = make([]int, n)
		for i := range l.slots {
			l.slots[i] = ShardSlot(key, i, n)
		}
	}
	return l
}

// Key returns the object's key, as given to the constructor.
func (l *layout) Key() string { return l.key }

// Keys returns the names of the object's shard (or copy) keys, in order.
func (l *layout) Keys() []string { return slices.Clone(l.keys) }

// Placement reports where the object's shards live on the slot map last
// read.
func (l *layout) Placement() Placement { return l.s.placement(l.keys, l.slots) }
