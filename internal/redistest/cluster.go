package redistest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// NumSlots is the number of hash slots of a Redis Cluster.
const NumSlots = 16384

// ClusterOptions configure a Redis Cluster. The zero value starts three
// primaries without replicas.
type ClusterOptions struct {
	// Primaries is the number of primaries; the 16384 slots are split
	// evenly among them in order.
	// default: 3
	Primaries int

	// ReplicasPerPrimary is the number of replicas of each primary.
	// default: 0
	ReplicasPerPrimary int

	// NodeTimeout is cluster-node-timeout: how long a node may be
	// unreachable before it is considered failing and, if it is a primary
	// with replicas, failed over. Replicas may always fail over
	// (cluster-replica-validity-factor 0) and never migrate to other
	// primaries (cluster-allow-replica-migration no).
	// default: 2 seconds
	NodeTimeout time.Duration

	// PartialCoverage sets cluster-require-full-coverage no: nodes keep
	// serving their slots while some slots have no live owner. WaitHealthy
	// then accepts primaries that are down.
	// default: false (Redis's own default, full coverage required)
	PartialCoverage bool

	// Server configures every node. Its Config lines come after the
	// cluster settings above and may override them. With TLS, all nodes
	// share one CA and the cluster bus and replication use TLS too.
	// default: the zero ServerOptions
	Server ServerOptions

	// ReadyTimeout bounds how long StartCluster waits for the cluster to
	// form, on top of the caller's context.
	// default: 30 seconds
	ReadyTimeout time.Duration
}

// withDefaults returns a copy of o with zero fields replaced by defaults and
// checks the rest.
func (o ClusterOptions) withDefaults() (ClusterOptions, error) {
	switch {
	case o.Primaries < 0 || o.Primaries > NumSlots:
		return o, fmt.Errorf("redistest: ClusterOptions.Primaries must be in [0, %d], got %d", NumSlots, o.Primaries)
	case o.ReplicasPerPrimary < 0:
		return o, fmt.Errorf("redistest: ClusterOptions.ReplicasPerPrimary is negative (%d)", o.ReplicasPerPrimary)
	case o.NodeTimeout < 0:
		return o, fmt.Errorf("redistest: ClusterOptions.NodeTimeout is negative (%v)", o.NodeTimeout)
	case o.ReadyTimeout < 0:
		return o, fmt.Errorf("redistest: ClusterOptions.ReadyTimeout is negative (%v)", o.ReadyTimeout)
	}
	if o.Primaries == 0 {
		o.Primaries = 3
	}
	if o.NodeTimeout == 0 {
		o.NodeTimeout = 2 * time.Second
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 30 * time.Second
	}
	return o, nil
}

// Cluster is a Redis Cluster of redis-server processes on 127.0.0.1.
//
// Its topology (which node owns which slots, which replicas follow which
// primary) is recorded when the cluster has formed and again whenever
// WaitHealthy, Failover or MoveSlot succeed. Primaries, Replicas, ReplicasOf
// and NodeForSlot report that record: after killing a node, call WaitHealthy
// to see the cluster's reaction.
type Cluster struct {
	opts  ClusterOptions
	nodes []*Server          // in start order: primaries, then replicas; fixed
	byID  map[string]*Server // fixed
	dir   string             // shared certificates; "" without TLS

	// mu guards slots, clients and clientsClosed.
	mu            sync.Mutex
	slots         []slotRange // the last agreed view, sorted by start
	clients       []*redis.ClusterClient
	clientsClosed bool // set by Close; later clients are closed at once

	closeOnce sync.Once
	closeErr  error
}

// slotRange is one entry of a node's CLUSTER SLOTS view.
type slotRange struct {
	start, end int
	primary    string   // node ID
	replicas   []string // node IDs, sorted
}

// String formats r for error messages.
func (r slotRange) String() string {
	return fmt.Sprintf("%d-%d:%.8s%v", r.start, r.end, r.primary, shortIDs(r.replicas))
}

// shortIDs abbreviates node IDs for error messages.
func shortIDs(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id[:min(8, len(id))]
	}
	return out
}

// StartCluster starts a Redis Cluster and returns once every node reports
// cluster_state:ok, every node's CLUSTER SLOTS shows the planned slot split
// with all replicas, and every replica is in sync. The caller must Close it.
//
// It does not use redis-cli --cluster create: it assigns slots with CLUSTER
// ADDSLOTSRANGE and distinct config epochs, introduces every node to every
// other with CLUSTER MEET, then attaches replicas with CLUSTER REPLICATE.
func StartCluster(ctx context.Context, opts ClusterOptions) (*Cluster, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	spec, err := newNodeSpec(opts.Server)
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts, byID: make(map[string]*Server)}
	if spec.opts.TLS != TLSOff {
		if c.dir, spec.certs, err = sharedCerts(); err != nil {
			return nil, err
		}
	}
	fullCoverage := "yes"
	if opts.PartialCoverage {
		fullCoverage = "no"
	}
	spec.cluster = []string{
		"cluster-node-timeout " + strconv.FormatInt(opts.NodeTimeout.Milliseconds(), 10),
		"cluster-replica-validity-factor 0",
		"cluster-allow-replica-migration no",
		"cluster-require-full-coverage " + fullCoverage,
	}
	fail := func(err error) (*Cluster, error) {
		_ = c.Close()
		return nil, err
	}

	n := opts.Primaries * (1 + opts.ReplicasPerPrimary)
	c.nodes, err = startNodes(ctx, n, func(int) nodeSpec { return spec })
	if err != nil {
		return fail(err)
	}
	for _, s := range c.nodes {
		c.byID[s.id] = s
	}
	ctx, cancel := context.WithTimeout(ctx, opts.ReadyTimeout)
	defer cancel()
	plan, err := c.form(ctx)
	if err != nil {
		return fail(fmt.Errorf("redistest: form cluster: %w", err))
	}
	if err := c.waitHealthy(ctx, plan); err != nil {
		return fail(err)
	}
	return c, nil
}

// form assigns slots, introduces the nodes to each other and attaches the
// replicas. It returns the planned slot ranges.
func (c *Cluster) form(ctx context.Context) ([]slotRange, error) {
	p := c.opts.Primaries
	primaries, replicas := c.nodes[:p], c.nodes[p:]
	plan := make([]slotRange, p)
	for i, s := range primaries {
		r := slotRange{start: i * NumSlots / p, end: (i+1)*NumSlots/p - 1, primary: s.id}
		for j := range c.opts.ReplicasPerPrimary {
			r.replicas = append(r.replicas, replicas[i*c.opts.ReplicasPerPrimary+j].id)
		}
		slices.Sort(r.replicas)
		plan[i] = r
		// Distinct epochs spare the nodes a round of epoch collision
		// resolution; SET-CONFIG-EPOCH only works before MEET.
		if err := s.admin.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			return nil, fmt.Errorf("CLUSTER SET-CONFIG-EPOCH on %s: %w", s, err)
		}
		if err := s.admin.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", r.start, r.end).Err(); err != nil {
			return nil, fmt.Errorf("CLUSTER ADDSLOTSRANGE %d %d on %s: %w", r.start, r.end, s, err)
		}
	}
	// Each pair meets once: the full mesh forms without waiting for gossip.
	for i, a := range c.nodes {
		for _, b := range c.nodes[i+1:] {
			if err := a.admin.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", b.port, b.busPort).Err(); err != nil {
				return nil, fmt.Errorf("CLUSTER MEET %s on %s: %w", b, a, err)
			}
		}
	}
	if len(replicas) == 0 {
		return plan, nil
	}
	// A replica can only follow a primary it knows.
	err := poll(ctx, 20*time.Millisecond, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return c.checkAcquainted(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("wait for nodes to know each other: %w", err)
	}
	for i, s := range replicas {
		primary := primaries[i/c.opts.ReplicasPerPrimary]
		if err := s.admin.Do(ctx, "CLUSTER", "REPLICATE", primary.id).Err(); err != nil {
			return nil, fmt.Errorf("CLUSTER REPLICATE %s on %s: %w", primary.id, s, err)
		}
	}
	// CLUSTER SLOTS leaves out replicas whose replication offset is still
	// 0, and on an idle primary the offset only moves with the PING it
	// sends replicas every repl-ping-replica-period (10 s). Once the
	// replicas are attached, a FLUSHALL of the still-empty primary (always
	// propagated, even when there is nothing to flush) moves it at once.
	for i, p := range primaries {
		reps := replicas[i*c.opts.ReplicasPerPrimary : (i+1)*c.opts.ReplicasPerPrimary]
		err := poll(ctx, 20*time.Millisecond, func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			return checkReplicas(ctx, p, reps)
		})
		if err != nil {
			return nil, fmt.Errorf("wait for replicas of %s to sync: %w", p, err)
		}
		if err := p.admin.FlushAll(ctx).Err(); err != nil {
			return nil, fmt.Errorf("FLUSHALL on %s: %w", p, err)
		}
	}
	return plan, nil
}

// checkAcquainted returns nil once every node lists every other node in
// CLUSTER NODES as a full member (not in handshake).
func (c *Cluster) checkAcquainted(ctx context.Context) error {
	for _, s := range c.nodes {
		text, err := s.admin.ClusterNodes(ctx).Result()
		if err != nil {
			return fmt.Errorf("CLUSTER NODES on %s: %w", s, err)
		}
		known := 0
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || strings.Contains(f[2], "handshake") || strings.Contains(f[2], "noaddr") {
				continue
			}
			if c.byID[f[0]] != nil {
				known++
			}
		}
		if known != len(c.nodes) {
			return fmt.Errorf("%s knows %d of %d nodes", s, known, len(c.nodes))
		}
	}
	return nil
}

// WaitHealthy waits until the running nodes agree, then records the
// topology they agree on. Agreement means every running (not killed, not
// paused) node reports cluster_state:ok and the same CLUSTER SLOTS; every
// node that view lists is running (a primary may be down with
// PartialCoverage); and every running replica is in sync and listed under
// its primary. Pass a context with a deadline.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	return c.waitHealthy(ctx, nil)
}

// waitHealthy is WaitHealthy that also requires the agreed view to equal
// want, unless want is nil.
func (c *Cluster) waitHealthy(ctx context.Context, want []slotRange) error {
	var agreed []slotRange
	err := poll(ctx, 50*time.Millisecond, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		view, err := c.checkHealthy(ctx)
		if err != nil {
			return err
		}
		if want != nil && !slices.EqualFunc(view, want, equalRanges) {
			return fmt.Errorf("nodes agree on %v; want %v", view, want)
		}
		agreed = view
		return nil
	})
	if err != nil {
		return fmt.Errorf("redistest: wait for cluster to be healthy: %w", err)
	}
	c.mu.Lock()
	c.slots = agreed
	c.mu.Unlock()
	return nil
}

// checkHealthy returns the view every running node agrees on, or why they
// do not agree yet.
func (c *Cluster) checkHealthy(ctx context.Context) ([]slotRange, error) {
	var view []slotRange
	var viewer *Server
	var live []*Server
	for _, s := range c.nodes {
		if !s.live() {
			continue
		}
		live = append(live, s)
		text, err := s.admin.ClusterInfo(ctx).Result()
		if err != nil {
			return nil, fmt.Errorf("CLUSTER INFO on %s: %w", s, err)
		}
		if st := parseInfo(text)["cluster_state"]; st != "ok" {
			return nil, fmt.Errorf("%s: cluster_state:%s", s, st)
		}
		v, err := slotsView(ctx, s)
		if err != nil {
			return nil, err
		}
		if viewer == nil {
			view, viewer = v, s
		} else if !slices.EqualFunc(v, view, equalRanges) {
			return nil, fmt.Errorf("%s sees slots %v but %s sees %v", s, v, viewer, view)
		}
	}
	if viewer == nil {
		return nil, errors.New("no node is running")
	}

	listed := make(map[string]bool) // replica IDs in the view
	for _, r := range view {
		p := c.byID[r.primary]
		switch {
		case p == nil:
			return nil, fmt.Errorf("slots %d-%d owned by unknown node %s", r.start, r.end, r.primary)
		case !p.live() && !c.opts.PartialCoverage:
			return nil, fmt.Errorf("slots %d-%d owned by %s, which is down", r.start, r.end, p)
		}
		for _, id := range r.replicas {
			rep := c.byID[id]
			if rep == nil || !rep.live() {
				return nil, fmt.Errorf("slots %d-%d list replica %.8s, which is down or unknown", r.start, r.end, id)
			}
			listed[id] = true
		}
	}
	owners := make(map[*Server]bool)
	for _, r := range view {
		owners[c.byID[r.primary]] = true
	}
	online := make(map[*Server]map[int]bool) // primary -> ports of online replicas
	for _, s := range live {
		info, err := s.info(ctx, "replication")
		if err != nil {
			return nil, err
		}
		if info["role"] == "master" {
			online[s] = onlineReplicaPorts(info)
			continue
		}
		if st := info["master_link_status"]; st != "up" {
			return nil, fmt.Errorf("replica %s: master_link_status:%s", s, st)
		}
		port, _ := strconv.Atoi(info["master_port"])
		primary := c.nodeByPort(port)
		if primary == nil || !owners[primary] {
			// Following a primary without slots: not in CLUSTER SLOTS.
			continue
		}
		if !listed[s.id] {
			return nil, fmt.Errorf("replica %s of %s is not in CLUSTER SLOTS yet", s, primary)
		}
	}
	for _, r := range view {
		p := c.byID[r.primary]
		ports, ok := online[p]
		if !ok {
			continue // down (PartialCoverage) or not a master any more
		}
		for _, id := range r.replicas {
			if rep := c.byID[id]; !ports[rep.port] {
				return nil, fmt.Errorf("primary %s does not list replica %s online", p, rep)
			}
		}
	}
	return view, nil
}

// slotsView returns s's CLUSTER SLOTS, sorted and with adjacent ranges of
// the same nodes merged.
func slotsView(ctx context.Context, s *Server) ([]slotRange, error) {
	//lint:ignore SA1019 CLUSTER SLOTS is what cluster clients read; its view is the one to wait for.
	slots, err := s.admin.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("CLUSTER SLOTS on %s: %w", s, err)
	}
	view := make([]slotRange, 0, len(slots))
	for _, sl := range slots {
		if len(sl.Nodes) == 0 {
			continue
		}
		r := slotRange{start: sl.Start, end: sl.End, primary: sl.Nodes[0].ID}
		for _, n := range sl.Nodes[1:] {
			r.replicas = append(r.replicas, n.ID)
		}
		slices.Sort(r.replicas)
		view = append(view, r)
	}
	slices.SortFunc(view, func(a, b slotRange) int { return a.start - b.start })
	merged := view[:0]
	for _, r := range view {
		if n := len(merged); n > 0 && merged[n-1].end+1 == r.start &&
			merged[n-1].primary == r.primary && slices.Equal(merged[n-1].replicas, r.replicas) {
			merged[n-1].end = r.end
			continue
		}
		merged = append(merged, r)
	}
	return merged, nil
}

// equalRanges reports whether a and b are the same range with the same
// nodes.
func equalRanges(a, b slotRange) bool {
	return a.start == b.start && a.end == b.end && a.primary == b.primary && slices.Equal(a.replicas, b.replicas)
}

// nodeByPort returns the node listening on port, or nil.
func (c *Cluster) nodeByPort(port int) *Server {
	for _, s := range c.nodes {
		if s.port == port {
			return s
		}
	}
	return nil
}

// Nodes returns every node in start order (the initial primaries first),
// whatever its current role or state.
func (c *Cluster) Nodes() []*Server { return slices.Clone(c.nodes) }

// Primaries returns the primaries that owned slots at the last recorded
// topology, ordered by their lowest slot.
func (c *Cluster) Primaries() []*Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*Server
	for _, r := range c.slots {
		if p := c.byID[r.primary]; !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// Replicas returns the replicas listed at the last recorded topology, in
// node start order.
func (c *Cluster) Replicas() []*Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make(map[string]bool)
	for _, r := range c.slots {
		for _, id := range r.replicas {
			ids[id] = true
		}
	}
	var out []*Server
	for _, s := range c.nodes {
		if ids[s.id] {
			out = append(out, s)
		}
	}
	return out
}

// ReplicasOf returns the replicas of primary at the last recorded topology,
// in node start order.
func (c *Cluster) ReplicasOf(primary *Server) []*Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.slots {
		if r.primary != primary.id {
			continue
		}
		var out []*Server
		for _, s := range c.nodes {
			if slices.Contains(r.replicas, s.id) {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// NodeForSlot returns the primary that owned slot at the last recorded
// topology, or nil if no node did or slot is out of range.
func (c *Cluster) NodeForSlot(slot int) *Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range c.slots {
		if r.start <= slot && slot <= r.end {
			return c.byID[r.primary]
		}
	}
	return nil
}

// Addrs returns every node's address, for ClusterOptions.Addrs of a client.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		out[i] = s.Addr()
	}
	return out
}

// TLSConfig returns a client TLS configuration trusted by every node, or
// nil without TLS.
func (c *Cluster) TLSConfig() *tls.Config { return c.nodes[0].TLSConfig() }

// Client returns a new go-redis cluster client seeded with every node's
// address, with the password and TLS configuration filled in; configure
// functions may change any option before the client is created. Close closes
// it; after Close, Client returns a closed client.
func (c *Cluster) Client(configure ...func(*redis.ClusterOptions)) *redis.ClusterClient {
	o := &redis.ClusterOptions{
		Addrs:     c.Addrs(),
		Password:  c.opts.Server.Password,
		TLSConfig: c.TLSConfig(),
	}
	for _, f := range configure {
		f(o)
	}
	cc := redis.NewClusterClient(o)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.clientsClosed {
		_ = cc.Close()
		return cc
	}
	c.clients = append(c.clients, cc)
	return cc
}

// Close closes the clients from Client, then every node concurrently (see
// Server.Close), and removes the shared certificates. Later calls return the
// first call's result.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		clients := c.clients
		c.clients, c.clientsClosed = nil, true
		c.mu.Unlock()
		var errs []error
		for _, cc := range clients {
			if err := cc.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
				errs = append(errs, fmt.Errorf("redistest: close cluster client: %w", err))
			}
		}
		errs = append(errs, closeAll(c.nodes))
		if c.dir != "" {
			if err := os.RemoveAll(c.dir); err != nil {
				errs = append(errs, fmt.Errorf("redistest: %w", err))
			}
		}
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}
