package replica

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// node is one replica as the last refresh found it. A refresh makes new
// nodes; only failed changes afterwards.
type node struct {
	addr    string
	primary string
	client  *redis.Client // reads go here
	health  *redis.Client // PINGs go here, with Options.Timeout as their timeouts
	usable  bool          // online, within MaxLag and answering PING at the refresh
	reason  string        // why not usable
	lag     int64         // bytes behind the primary; -1 if unknown
	rtt     time.Duration

	failed atomic.Bool // a read on it failed since the refresh
}

// state is one refresh's view. It is immutable but for node.failed.
type state struct {
	nodes []*node // every replica, for Replicas

	usable []*node // standalone: the usable replicas

	// cluster: which group serves each slot, and each group's usable
	// replicas (one group per primary).
	slotGroup *[numSlots]int16 // -1: no replica
	groups    [][]*node
}

const numSlots = 16384

// replicationInfo is INFO replication of a primary, the part the Router
// needs.
type replicationInfo struct {
	offset   int64 // master_repl_offset
	replicas []listedReplica
}

// listedReplica is one "slaveN:ip=...,port=...,state=...,offset=...,lag=..."
// line.
type listedReplica struct {
	addr   string
	port   string
	state  string
	offset int64
}

// parseReplication parses INFO replication of a primary.
func parseReplication(text string) (replicationInfo, error) {
	var ri replicationInfo
	role := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case name == "role":
			role = val
		case name == "master_repl_offset":
			ri.offset, _ = strconv.ParseInt(val, 10, 64)
		case strings.HasPrefix(name, "slave") && strings.Contains(val, "port="):
			var r listedReplica
			var ip string
			for _, f := range strings.Split(val, ",") {
				k, v, _ := strings.Cut(f, "=")
				switch k {
				case "ip":
					ip = v
				case "port":
					r.port = v
				case "state":
					r.state = v
				case "offset":
					r.offset, _ = strconv.ParseInt(v, 10, 64)
				}
			}
			r.addr = net.JoinHostPort(ip, r.port)
			ri.replicas = append(ri.replicas, r)
		}
	}
	if role != "master" {
		return ri, fmt.Errorf("role:%s, not a primary", role)
	}
	return ri, nil
}

// find returns the listed replica at addr: the same host and port, or else
// the only one on that port (a client may name the host differently, say
// "localhost" for "127.0.0.1").
func (ri replicationInfo) find(addr string) (listedReplica, bool) {
	for _, r := range ri.replicas {
		if r.addr == addr {
			return r, true
		}
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return listedReplica{}, false
	}
	var found []listedReplica
	for _, r := range ri.replicas {
		if r.port == port {
			found = append(found, r)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return listedReplica{}, false
}

// judge fills in whether n is usable, from its primary's INFO (ok is false
// if it could not be read) and the PING error.
func (n *node) judge(ri replicationInfo, ok bool, pingErr error, maxLag int64) {
	n.lag = -1
	switch {
	case pingErr != nil:
		n.reason = "down: " + pingErr.Error()
		return
	case !ok:
		n.reason = "primary's offsets unknown"
		return
	}
	lr, listed := ri.find(n.addr)
	switch {
	case !listed:
		n.reason = "not listed by its primary"
		return
	case lr.state != "online":
		n.reason = "state=" + lr.state
		return
	}
	n.lag = max(0, ri.offset-lr.offset)
	if n.lag > maxLag {
		n.reason = fmt.Sprintf("lagging %d bytes (more than %d)", n.lag, maxLag)
		return
	}
	n.usable = true
}

// Refresh rereads the replicas now: the primaries' INFO replication, a
// PING to each replica and, in a cluster, CLUSTER SLOTS. The refresh loop
// calls it every Options.RefreshInterval. On error the last view is kept.
func (r *Router) Refresh(ctx context.Context) error {
	if r.closed.Load() {
		return ErrClosed
	}
	r.refreshMu.Lock()
	defer r.refreshMu.Unlock()
	var st *state
	var err error
	if r.cluster != nil {
		st, err = r.refreshCluster(ctx)
	} else {
		st, err = r.refreshStandalone(ctx)
	}
	if err != nil {
		return err
	}
	r.state.Store(st)
	r.closeUnused(st)
	r.writes.prune(r.opts.Now().UnixNano())
	return nil
}

// refreshStandalone builds the view of a primary's replicas.
func (r *Router) refreshStandalone(ctx context.Context) (*state, error) {
	text, err := r.primary.Info(ctx, "replication").Result()
	if err != nil {
		return nil, fmt.Errorf("replica: INFO replication on the primary: %w", err)
	}
	ri, err := parseReplication(text)
	if err != nil {
		return nil, fmt.Errorf("replica: INFO replication on the primary: %w", err)
	}
	primary := r.primary.Options().Addr
	st := &state{}
	if len(r.opts.Replicas) > 0 {
		for _, c := range r.opts.Replicas {
			addr := c.Options().Addr
			st.nodes = append(st.nodes, &node{addr: addr, primary: primary, client: c, health: r.healthClient(addr, c.Options())})
		}
	} else {
		for _, lr := range ri.replicas {
			st.nodes = append(st.nodes, r.newNode(lr.addr, primary))
		}
	}
	r.check(ctx, st.nodes, map[string]replicationInfo{primary: ri})
	for _, n := range st.nodes {
		if n.usable {
			st.usable = append(st.usable, n)
		}
	}
	return st, nil
}

// refreshCluster builds the view of every primary's replicas from CLUSTER
// SLOTS.
func (r *Router) refreshCluster(ctx context.Context) (*state, error) {
	//lint:ignore SA1019 CLUSTER SLOTS lists each range's replicas, which is what routing needs.
	slots, err := r.cluster.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("replica: CLUSTER SLOTS: %w", err)
	}
	infos := make(map[string]replicationInfo)
	var mu sync.Mutex
	_ = r.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		text, err := c.Info(ctx, "replication").Result()
		if err != nil {
			return nil
		}
		ri, err := parseReplication(text)
		if err != nil {
			return nil
		}
		mu.Lock()
		infos[c.Options().Addr] = ri
		mu.Unlock()
		return nil
	})
	st := &state{slotGroup: new([numSlots]int16)}
	for i := range st.slotGroup {
		st.slotGroup[i] = -1
	}
	groupOf := make(map[string]int) // primary address -> group
	for _, sr := range slots {
		if len(sr.Nodes) == 0 || sr.Start < 0 || sr.End >= numSlots {
			continue
		}
		primary := sr.Nodes[0].Addr
		g, ok := groupOf[primary]
		if !ok {
			g = len(st.groups)
			groupOf[primary] = g
			st.groups = append(st.groups, nil)
			for _, rn := range sr.Nodes[1:] {
				st.nodes = append(st.nodes, r.newNode(rn.Addr, primary))
			}
		}
		for s := sr.Start; s <= sr.End; s++ {
			st.slotGroup[s] = int16(g)
		}
	}
	r.check(ctx, st.nodes, infos)
	for _, n := range st.nodes {
		if n.usable {
			g := groupOf[n.primary]
			st.groups[g] = append(st.groups[g], n)
		}
	}
	return st, nil
}

// check pings every node concurrently and judges it against its primary's
// offsets.
func (r *Router) check(ctx context.Context, nodes []*node, infos map[string]replicationInfo) {
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
			defer cancel()
			start := time.Now()
			err := n.health.Ping(pctx).Err()
			n.rtt = time.Since(start)
			ri, ok := infos[n.primary]
			n.judge(ri, ok, err, r.opts.MaxLag)
		})
	}
	wg.Wait()
}

// newNode returns a node for the replica at addr, of primary, with the
// Router's own clients.
func (r *Router) newNode(addr, primary string) *node {
	c := r.dial(addr)
	return &node{addr: addr, primary: primary, client: c, health: r.healthClient(addr, c.Options())}
}

// dial returns the Router's own client for the replica at addr, making it
// on first use. It does not retry (MaxRetries -1): a read that fails goes
// to the primary instead.
func (r *Router) dial(addr string) *redis.Client {
	r.dialedMu.Lock()
	defer r.dialedMu.Unlock()
	if c, ok := r.dialed[addr]; ok {
		return c
	}
	c := redis.NewClient(r.replicaOptions(addr, -1, 0))
	r.dialed[addr] = c
	return c
}

// healthClient returns the Router's client for health checks of the
// replica at addr: base's settings with Options.Timeout as every timeout,
// one connection and no retries, because go-redis bounds a command by its
// client's timeouts, not by the context's deadline.
func (r *Router) healthClient(addr string, base *redis.Options) *redis.Client {
	r.dialedMu.Lock()
	defer r.dialedMu.Unlock()
	if c, ok := r.health[addr]; ok {
		return c
	}
	o := r.replicaOptions(addr, -1, r.opts.Timeout)
	if base != nil && r.opts.ClientOptions == nil && len(r.opts.Replicas) > 0 {
		cp := *base
		cp.Addr, cp.MaxRetries = addr, -1
		cp.DialTimeout, cp.ReadTimeout, cp.WriteTimeout = r.opts.Timeout, r.opts.Timeout, r.opts.Timeout
		o = &cp
	}
	o.PoolSize, o.MinIdleConns, o.MaxIdleConns = 1, 0, 1
	c := redis.NewClient(o)
	r.health[addr] = c
	return c
}

// replicaOptions returns the options of a client of the replica at addr,
// with maxRetries and, if not 0, timeout as every timeout.
func (r *Router) replicaOptions(addr string, maxRetries int, timeout time.Duration) *redis.Options {
	var o *redis.Options
	switch {
	case r.opts.ClientOptions != nil:
		o = r.opts.ClientOptions(addr)
	case r.cluster != nil:
		co := r.cluster.Options()
		o = &redis.Options{
			Addr:                       addr,
			Dialer:                     co.Dialer,
			OnConnect:                  co.OnConnect,
			Protocol:                   co.Protocol,
			Username:                   co.Username,
			Password:                   co.Password,
			CredentialsProvider:        co.CredentialsProvider,
			CredentialsProviderContext: co.CredentialsProviderContext,
			MinRetryBackoff:            co.MinRetryBackoff,
			MaxRetryBackoff:            co.MaxRetryBackoff,
			DialTimeout:                co.DialTimeout,
			ReadTimeout:                co.ReadTimeout,
			WriteTimeout:               co.WriteTimeout,
			ContextTimeoutEnabled:      co.ContextTimeoutEnabled,
			PoolSize:                   co.PoolSize,
			PoolTimeout:                co.PoolTimeout,
			MinIdleConns:               co.MinIdleConns,
			MaxIdleConns:               co.MaxIdleConns,
			ConnMaxIdleTime:            co.ConnMaxIdleTime,
			ConnMaxLifetime:            co.ConnMaxLifetime,
			TLSConfig:                  co.TLSConfig,
			DisableIdentity:            co.DisableIdentity,
			IdentitySuffix:             co.IdentitySuffix,
		}
	default:
		po := *r.primary.Options()
		if po.Addr == "FailoverClient" {
			po.Dialer = nil // Sentinel's dialer always reaches the primary
		}
		po.Addr = addr
		o = &po
	}
	o.MaxRetries = maxRetries
	if timeout > 0 {
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeout, timeout, timeout
	}
	if r.cluster != nil {
		onConnect := o.OnConnect
		o.OnConnect = func(ctx context.Context, cn *redis.Conn) error {
			if onConnect != nil {
				if err := onConnect(ctx, cn); err != nil {
					return err
				}
			}
			return cn.ReadOnly(ctx).Err()
		}
	}
	return o
}

// closeUnused closes the Router's clients of replicas st does not list.
func (r *Router) closeUnused(st *state) {
	r.dialedMu.Lock()
	defer r.dialedMu.Unlock()
	listed := func(addr string) bool {
		return slices.ContainsFunc(st.nodes, func(n *node) bool { return n.addr == addr })
	}
	for _, m := range []map[string]*redis.Client{r.dialed, r.health} {
		for addr, c := range m {
			if !listed(addr) {
				_ = c.Close()
				delete(m, addr)
			}
		}
	}
}

// replicaFailed reports whether err, from a read on a replica, says the
// replica cannot serve it (down, loading, cut off from its primary, no
// longer serving the slot), so the read should go to the primary.
func replicaFailed(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) {
		return false
	}
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true // network, pool, closed client
	}
	msg := rerr.Error()
	for _, p := range []string{"LOADING", "MASTERDOWN", "MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "READONLY", "NOAUTH", "NOPERM"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
