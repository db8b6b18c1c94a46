package redhot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/command"
	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/nearcache"
	"github.com/redhot/redhot/replica"
	"github.com/redhot/redhot/split"
)

// Middleware watches every command a go-redis client sends, finds the hot
// keys, and serves reads of hot (and pinned) keys from a near cache that
// Redis keeps fresh. Create one with New and stop it with Close. All
// methods are safe for concurrent use.
type Middleware struct {
	client   redis.UniversalClient
	cluster  *redis.ClusterClient // nil unless client is one
	tracker  *heat.Tracker
	cache    *nearcache.Cache // nil when the near cache is off
	proto    int              // RESP version of the client's replies
	patterns []string
	log      *slog.Logger

	table atomic.Pointer[command.Table]

	pins     sync.Map // pinned key (string) -> struct{}
	pinCount atomic.Int64

	cooled *heat.Subscription // hot/cooled events for dropCooled; nil without a cache

	router *replica.Router // nil without Options.Replicas

	// fleet is the member whose hot set wants and routes follow; nil
	// before JoinFleet and after the member closes. IsHot on it is
	// lock-free and allocates nothing.
	fleet atomic.Pointer[fleet.Member]
	// fleetMu guards member, the member JoinFleet made, which Close
	// closes, and serialises JoinFleet.
	fleetMu sync.Mutex
	member  *fleet.Member
	// fleetStream is the key of member's stream, never routed to replicas.
	fleetStream atomic.Pointer[string]

	// splitMu guards splitter, made by the first of Counter, Value, Set,
	// Hash or Splitter.
	splitMu   sync.Mutex
	splitter  *split.Splitter
	splitOpts split.Options

	closed           atomic.Bool
	commands, access counter

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // background work started by New
}

// New attaches a Middleware to c, a *redis.Client (plain or a Sentinel
// failover client) or a *redis.ClusterClient, through c.AddHook, and
// starts detecting hot keys. It does no I/O itself: the near cache opens
// its connections, and the server's command table is read, in the
// background.
//
// go-redis cannot remove a hook; after Close the hook passes every command
// through untouched.
func New(c redis.UniversalClient, opts Options) (*Middleware, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: nil client", ErrUnsupportedClient)
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	topo, proto, topoErr := newTopology(c)
	if errors.Is(topoErr, ErrUnsupportedClient) {
		return nil, topoErr
	}
	tr, err := heat.New(opts.Tracker)
	if err != nil {
		return nil, fmt.Errorf("redhot: Options.Tracker: %w", err)
	}
	m := &Middleware{
		client:    c,
		tracker:   tr,
		proto:     proto,
		patterns:  append([]string(nil), opts.Patterns...),
		log:       opts.Logger,
		commands:  newCounter(),
		access:    newCounter(),
		splitOpts: opts.Split,
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.cluster, _ = c.(*redis.ClusterClient)

	if opts.Replicas != nil {
		if m.router, err = m.newRouter(c, *opts.Replicas, opts.Commands); err != nil {
			tr.Close()
			return nil, err
		}
	}

	switch {
	case opts.DisableCache:
	case topoErr != nil:
		m.log.Warn("redhot: near cache off", "err", topoErr)
	default:
		m.cache, err = nearcache.New(nearcache.Options{
			Topology:     topo.node,
			Cluster:      m.cluster != nil,
			MaxEntries:   opts.MaxEntries,
			MaxBytes:     opts.MaxBytes,
			TTL:          opts.TTL,
			MaxStaleness: opts.MaxStaleness,
			AllowTTLOnly: opts.AllowTTLOnly,
			TTLOnly:      opts.TTLOnly,
			Logger:       m.log,
			OnHit: func(key string, w float64) {
				tr.ObserveWeighted(key, heat.Read, w)
			},
			// A hot, pinned or pattern key that changes is read again
			// at once, so that its next reads hit.
			Refresh: m.wants,
			OnMoved: func() {
				if m.cluster != nil {
					m.cluster.ReloadState(m.ctx)
				}
			},
		})
		if err != nil {
			tr.Close()
			if m.router != nil {
				_ = m.router.Close()
			}
			return nil, fmt.Errorf("redhot: %w", err)
		}
		if m.cluster == nil {
			_ = m.cache.Connect(topo.single)
		} else {
			m.wg.Add(1)
			go func() {
				defer m.wg.Done()
				m.connectPrimaries(topo)
			}()
		}
	}

	if m.cache != nil {
		// A key that cools leaves the cache, making room for the keys
		// that are hot now.
		m.cooled = tr.Subscribe(1024)
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.dropCooled()
		}()
	}

	table := opts.Commands
	if table == nil {
		table = command.Builtin()
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.loadCommands()
		}()
	}
	m.table.Store(table)

	c.AddHook(hook{m: m})
	if m.cluster != nil {
		// The cluster client's hook sees a command once, before routing;
		// its node clients' hooks see each attempt, and so the MOVED and
		// ASK replies, and the commands of Watch transactions, which run
		// on a node client.
		m.cluster.OnNewNode(func(n *redis.Client) { n.AddHook(nodeHook{m: m, addr: n.Options().Addr}) })
	}
	return m, nil
}

// dropCooled drops the entries of keys that cool, unless they are pinned
// or match a pattern, until the subscription closes. Events the
// subscription could not hold are lost; their entries age out with their
// TTL.
func (m *Middleware) dropCooled() {
	for ev := range m.cooled.C {
		if ev.Kind != heat.Cooled || ev.Truncated || m.pinnedOrPattern(ev.Key) || m.fleetHot(ev.Key) {
			continue
		}
		m.cache.Drop(ev.Key)
	}
}

// connectPrimaries opens the near cache's connections to a cluster's
// primaries, so that the first fills find them up. Nodes that become
// primaries later are connected on their first fill.
func (m *Middleware) connectPrimaries(topo *topology) {
	ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
	defer cancel()
	_ = m.cluster.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		cfg, err := topo.config(n.Options())
		if err == nil {
			_ = m.cache.Connect(cfg)
		}
		return nil
	})
}

// loadCommands replaces the built-in command table by the server's own,
// read with COMMAND. A refusal (ACL) leaves the built-in table.
func (m *Middleware) loadCommands() {
	ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
	defer cancel()
	for attempt := 0; ; attempt++ {
		t, err := command.Load(ctx, m.client)
		if err == nil {
			m.table.Store(t)
			return
		}
		if errors.Is(err, command.ErrNoPermission) || ctx.Err() != nil {
			m.log.Info("redhot: using the built-in command table", "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(attempt+1) * 100 * time.Millisecond):
		}
	}
}

// Close leaves the fleet (if JoinFleet joined it), stops the replica
// router, the Splitter, the tracker and the near cache, and waits for
// their goroutines. The hook stays attached to the client (go-redis cannot
// remove hooks) and passes every command through from now on. Later
// calls do nothing.
func (m *Middleware) Close() error {
	if !m.closed.CompareAndSwap(false, true) {
		return nil
	}
	m.fleetMu.Lock()
	member := m.member
	m.fleetMu.Unlock()
	if member != nil {
		// Before the rest: its last summary says this instance is leaving.
		_ = member.Close()
	}
	m.cancel()
	if m.cooled != nil {
		m.cooled.Close()
	}
	m.wg.Wait()
	var errs []error
	if m.router != nil {
		errs = append(errs, m.router.Close())
	}
	m.splitMu.Lock()
	if m.splitter != nil {
		errs = append(errs, m.splitter.Close())
	}
	m.splitMu.Unlock()
	if m.cache != nil {
		_ = m.cache.Close()
	}
	errs = append(errs, m.tracker.Close())
	return errors.Join(errs...)
}

// Top returns the k keys with the highest access rates now, highest
// first, as the tracker sees them.
func (m *Middleware) Top(k int) []heat.KeyStat { return m.tracker.Top(k) }

// Subscribe returns a subscription to hot and cooled events (see
// heat.Tracker.Subscribe).
func (m *Middleware) Subscribe(buffer int) *heat.Subscription { return m.tracker.Subscribe(buffer) }

// Tracker returns the detector, for its other queries (Estimate, Hot,
// Totals).
func (m *Middleware) Tracker() *heat.Tracker { return m.tracker }

// Pin makes key cached whether it is hot or not, until Unpin.
func (m *Middleware) Pin(key string) {
	if _, loaded := m.pins.LoadOrStore(key, struct{}{}); !loaded {
		m.pinCount.Add(1)
	}
}

// Unpin undoes Pin. The key stays cached while it is hot or matches a
// pattern; otherwise its entry ages out with its TTL.
func (m *Middleware) Unpin(key string) {
	if _, loaded := m.pins.LoadAndDelete(key); loaded {
		m.pinCount.Add(-1)
	}
}

// wants reports whether reads of key should be cached: it is pinned,
// matches a pattern, or is hot here or across the fleet.
func (m *Middleware) wants(key string) bool {
	return m.pinnedOrPattern(key) || m.tracker.IsHot(key) || m.fleetHot(key)
}

// fleetHot reports whether key is hot across the fleet JoinFleet joined.
func (m *Middleware) fleetHot(key string) bool {
	f := m.fleet.Load()
	return f != nil && f.IsHot(key)
}

// pinnedOrPattern reports whether key is cached whatever its heat.
func (m *Middleware) pinnedOrPattern(key string) bool {
	if m.pinCount.Load() > 0 {
		if _, ok := m.pins.Load(key); ok {
			return true
		}
	}
	for _, p := range m.patterns {
		if matchGlob(p, key) {
			return true
		}
	}
	return false
}

// Stats describe the middleware's work.
type Stats struct {
	// Commands is the number of commands observed, each command of a
	// pipeline or transaction counted.
	Commands uint64 `json:"commands"`
	// Keys is the number of key accesses observed (an MGET of three keys
	// is three).
	Keys uint64 `json:"keys"`
	// Pinned is the number of pinned keys.
	Pinned int `json:"pinned"`
	// Cache describes the near cache: hits, misses, fills,
	// invalidations, flushes by reason, its mode and staleness bound.
	// Zero when the near cache is off.
	Cache nearcache.Stats `json:"cache"`
	// Tracker describes the detector.
	Tracker heat.Stats `json:"tracker"`
	// Replicas counts the reads the replica router sent to replicas and
	// to the primary, and the replica reads that failed over to the
	// primary. Zero without Options.Replicas.
	Replicas ReplicaStats `json:"replicas"`
	// FleetHot is the number of keys hot across the fleet, which every
	// instance caches; zero before JoinFleet.
	FleetHot int `json:"fleet_hot"`
	// WriteHot lists the keys hot now mostly by writes (see WriteHot),
	// hottest first: candidates for a split.Counter or another split
	// object rather than the near cache, which writes defeat.
	WriteHot []string `json:"write_hot"`
}

// Stats returns the middleware's counters.
func (m *Middleware) Stats() Stats {
	st := Stats{
		Commands: m.commands.load(),
		Keys:     m.access.load(),
		Pinned:   int(m.pinCount.Load()),
		Tracker:  m.tracker.Stats(),
	}
	if m.router != nil {
		rs := m.router.Stats()
		st.Replicas = ReplicaStats{ReplicaReads: rs.ReplicaReads, PrimaryReads: rs.PrimaryReads, Fallbacks: rs.Fallbacks}
	}
	if f := m.fleet.Load(); f != nil {
		st.FleetHot = f.Stats().Hot
	}
	for _, k := range m.WriteHot() {
		st.WriteHot = append(st.WriteHot, k.Key)
	}
	if m.cache != nil {
		st.Cache = m.cache.Stats()
	} else {
		st.Cache.Mode = nearcache.ModeOff
	}
	return st
}

// Get is GET key for the hottest paths: a hit is served from the near
// cache without building a go-redis command, without allocating and
// without a lock. A miss goes through the client (and so the hook, which
// may fill the cache). It returns redis.Nil when the key does not exist.
func (m *Middleware) Get(ctx context.Context, key string) (string, error) {
	if m.cache != nil {
		if v, exists, ok := m.cache.GetString(key); ok {
			if !exists {
				return "", redis.Nil
			}
			return v, nil
		}
	}
	return m.client.Get(ctx, key).Result()
}
