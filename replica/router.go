package replica

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/command"
	"github.com/redhot/redhot/internal/glob"
	"github.com/redhot/redhot/split"
)

// ErrClosed is returned by Refresh after Close.
var ErrClosed = errors.New("replica: router closed")

// Router sends reads of hot keys to replicas and everything else to the
// primary. Create it with New and stop it with Close; it is safe for
// concurrent use. Use it through Route (from a go-redis hook, as the
// redhot middleware does), through the hook Hook returns, or through Get,
// MGet and Process directly.
type Router struct {
	client  redis.UniversalClient
	primary *redis.Client        // standalone; nil in a cluster
	cluster *redis.ClusterClient // nil standalone
	opts    Options
	writes  *writeLog // nil without ReadYourWrites

	state atomic.Pointer[state] // nil until the first refresh
	// rr is RoundRobin's turn: one shared write per routed read, which
	// then costs a network round trip anyway.
	rr atomic.Uint64

	replicaReads, primaryReads, fallbacks atomic.Uint64

	refreshMu sync.Mutex    // serialises refreshes
	soon      chan struct{} // a failed read's request for a refresh, buffered 1

	dialedMu sync.Mutex               // guards dialed and health
	dialed   map[string]*redis.Client // replica clients the Router made for reads, by address
	health   map[string]*redis.Client // replica clients for health checks, by address

	closed atomic.Bool
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a Router for c: a *redis.Client talking to a primary (plain,
// or a Sentinel failover client) or a *redis.ClusterClient. It reads the
// replicas in the background at once and every Options.RefreshInterval;
// until the first refresh every read goes to the primary. New does no I/O.
func New(c redis.UniversalClient, opts Options) (*Router, error) {
	r := &Router{client: c, soon: make(chan struct{}, 1), dialed: make(map[string]*redis.Client), health: make(map[string]*redis.Client)}
	switch cc := c.(type) {
	case *redis.ClusterClient:
		r.cluster = cc
	case *redis.Client:
		r.primary = cc
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedClient, c)
	}
	opts, err := opts.withDefaults(r.cluster != nil)
	if err != nil {
		return nil, err
	}
	r.opts = opts
	if opts.ReadYourWrites > 0 {
		r.writes = newWriteLog(opts.ReadYourWrites, opts.MaxTrackedWrites, opts.Now)
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.refreshLoop()
	}()
	return r, nil
}

// Close stops the refresh loop, waits for it and closes the replica
// clients the Router made (not those passed in Options.Replicas, nor c).
// Reads already under way on those clients fail over to the primary.
func (r *Router) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	r.cancel()
	r.wg.Wait()
	r.dialedMu.Lock()
	defer r.dialedMu.Unlock()
	var errs []error
	for _, m := range []map[string]*redis.Client{r.dialed, r.health} {
		for addr, c := range m {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("replica: close %s: %w", addr, err))
			}
		}
		clear(m)
	}
	return errors.Join(errs...)
}

// refreshLoop refreshes the view until Close: every RefreshInterval, and
// soon (at most every minRefreshGap) after a read failed on a replica.
func (r *Router) refreshLoop() {
	t := time.NewTicker(r.opts.RefreshInterval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(r.ctx, max(r.opts.RefreshInterval, 2*r.opts.Timeout))
		_ = r.Refresh(ctx) // a failed refresh keeps the last view
		cancel()
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		case <-r.soon:
			timer := time.NewTimer(minRefreshGap)
			select {
			case <-r.ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			}
		}
	}
}

// minRefreshGap spaces the refreshes that failed reads ask for.
const minRefreshGap = 100 * time.Millisecond

// failed marks n failed and asks for a refresh soon.
func (r *Router) failed(n *node) {
	n.failed.Store(true)
	r.fallbacks.Add(1)
	select {
	case r.soon <- struct{}{}:
	default:
	}
}

// routed reports whether reads of key may go to a replica: it is hot or
// matches a pattern, and was not written recently.
func (r *Router) routed(key string) bool {
	hot := r.opts.Hot != nil && r.opts.Hot(key)
	if !hot {
		for _, p := range r.opts.Patterns {
			if glob.Match(p, key) {
				hot = true
				break
			}
		}
	}
	return hot && !r.writes.recent(key)
}

// pick returns a usable replica among nodes, or nil.
func (r *Router) pick(nodes []*node) *node {
	if len(nodes) == 0 {
		return nil
	}
	if r.opts.Balance == LowestLatency {
		var best *node
		for _, n := range nodes {
			if !n.failed.Load() && (best == nil || n.rtt < best.rtt) {
				best = n
			}
		}
		return best
	}
	start := int(r.rr.Add(1) % uint64(len(nodes)))
	for i := range nodes {
		if n := nodes[(start+i)%len(nodes)]; !n.failed.Load() {
			return n
		}
	}
	return nil
}

// groupOf returns the replica group that holds key: 0 standalone, the
// group of key's slot in a cluster, -1 for none.
func (st *state) groupOf(key string) int {
	if st == nil {
		return -1
	}
	if st.slotGroup == nil {
		return 0
	}
	return int(st.slotGroup[split.Slot(key)])
}

// replicasFor returns the usable replicas that hold key's slot.
func (st *state) replicasFor(key string) []*node {
	switch g := st.groupOf(key); {
	case g < 0:
		return nil
	case st.slotGroup == nil:
		return st.usable
	default:
		return st.groups[g]
	}
}

// targetFor returns the replica to read keys from, or nil for the
// primary: every key must be routed and, in a cluster, in one slot.
func (r *Router) targetFor(keys ...string) *node {
	st := r.state.Load()
	if st == nil || len(keys) == 0 {
		return nil
	}
	if st.slotGroup != nil {
		slot := split.Slot(keys[0])
		for _, k := range keys[1:] {
			if split.Slot(k) != slot {
				return nil
			}
		}
	}
	for _, k := range keys {
		if !r.routed(k) {
			return nil
		}
	}
	return r.pick(st.replicasFor(keys[0]))
}

// ReplicaFor returns the client to read key from if it should be read
// from a replica now (hot or matching a pattern, not written recently, a
// usable replica holds it), or nil to read it from the primary. A caller
// whose read on the replica fails should call Failed with the client and
// read from the primary.
func (r *Router) ReplicaFor(key string) *redis.Client {
	if r.closed.Load() {
		return nil
	}
	if n := r.targetFor(key); n != nil {
		return n.client
	}
	return nil
}

// Failed marks the replica behind c, a client from ReplicaFor, as failed:
// it gets no reads until a refresh finds it well.
func (r *Router) Failed(c *redis.Client) {
	st := r.state.Load()
	if st == nil {
		return
	}
	for _, n := range st.nodes {
		if n.client == c {
			r.failed(n)
			return
		}
	}
}

// Wrote records that key was just written, for Options.ReadYourWrites.
// Route and the hook record the writes they see; call it for writes made
// some other way.
func (r *Router) Wrote(key string) { r.writes.wrote(key) }

// Route runs cmd on a replica if it reads only keys that should be read
// from one, and otherwise through next (the primary, or the cluster's
// usual routing), which is also where a read goes when its replica fails
// it. Writes go through next and are recorded for ReadYourWrites. An MGET
// (a *redis.SliceCmd) is split: its routed keys are read from replicas,
// the rest through next, in parallel, and the values come back in the
// order of the keys. A go-redis hook calls it in place of next(ctx, cmd).
func (r *Router) Route(ctx context.Context, cmd redis.Cmder, next func(context.Context, redis.Cmder) error) error {
	if r.closed.Load() {
		return next(ctx, cmd)
	}
	args := cmd.Args()
	spec := r.opts.Commands.FindAny(args)
	var kb [8]command.Key
	keys := spec.KeysAny(args, kb[:0])
	if !spec.IsReadOnly() || len(keys) == 0 {
		r.noteWrites(args, spec, keys)
		return next(ctx, cmd)
	}
	if spec.Name == "mget" && len(keys) > 1 {
		if sc, ok := cmd.(*redis.SliceCmd); ok {
			return r.mget(ctx, sc, args, next)
		}
	}
	var sb [8]string
	names := sb[:0]
	for _, k := range keys {
		s, ok := keyString(args[k.Pos])
		if !ok {
			r.primaryReads.Add(1)
			return next(ctx, cmd)
		}
		names = append(names, s)
	}
	n := r.targetFor(names...)
	if n == nil {
		r.primaryReads.Add(1)
		return next(ctx, cmd)
	}
	err := n.client.Process(ctx, cmd)
	if !replicaFailed(err) || ctx.Err() != nil {
		r.replicaReads.Add(1)
		return err
	}
	r.failed(n)
	r.primaryReads.Add(1)
	cmd.SetErr(nil)
	return next(ctx, cmd)
}

// noteWrites records the keys a command writes, or that it may write any.
func (r *Router) noteWrites(args []any, spec *command.Spec, keys []command.Key) {
	if r.writes == nil {
		return
	}
	wrote := false
	for _, k := range keys {
		if k.Access == command.Write {
			if s, ok := keyString(args[k.Pos]); ok {
				r.writes.wrote(s)
				wrote = true
			}
		}
	}
	// A command that writes but names no key (FLUSHALL, EVAL without
	// keys) or that the table does not know may have changed any key.
	if !wrote && len(args) > 0 && (spec.IsWrite() || spec == nil && !r.readOnlyContainer(args)) {
		r.writes.wroteAll()
	}
}

// readOnlyContainer reports whether args is an unknown subcommand of a
// known container command none of whose known subcommands writes, such as
// CLIENT SETINFO (Redis 7.2), which go-redis sends on every new connection
// (as the middleware's hook.go decides).
func (r *Router) readOnlyContainer(args []any) bool {
	if len(args) < 2 {
		return false
	}
	name, ok := args[0].(string)
	if !ok {
		return false
	}
	c, ok := r.opts.Commands.Lookup(name)
	if !ok || len(c.Subcommands) == 0 {
		return false
	}
	for i := range c.Subcommands {
		if c.Subcommands[i].IsWrite() {
			return false
		}
	}
	return true
}

// NotePipeline records the writes of a pipeline, whose commands go to the
// primary as they are: pipelines are not split between nodes.
func (r *Router) NotePipeline(cmds []redis.Cmder) {
	if r.writes == nil {
		return
	}
	for _, cmd := range cmds {
		args := cmd.Args()
		spec := r.opts.Commands.FindAny(args)
		var kb [8]command.Key
		if !spec.IsReadOnly() {
			r.noteWrites(args, spec, spec.KeysAny(args, kb[:0]))
		}
	}
}

// mget runs an MGET split between replicas and next.
func (r *Router) mget(ctx context.Context, cmd *redis.SliceCmd, args []any, next func(context.Context, redis.Cmder) error) error {
	keys := make([]string, 0, len(args)-1)
	for _, a := range args[1:] {
		s, ok := keyString(a)
		if !ok {
			r.primaryReads.Add(1)
			return next(ctx, cmd)
		}
		keys = append(keys, s)
	}
	st := r.state.Load()
	type part struct {
		n   *node // nil: the primary
		idx []int
		cmd *redis.SliceCmd
	}
	type bucket struct {
		n    *node
		slot int
	}
	var parts []*part
	byBucket := make(map[bucket]*part)
	picked := make(map[int]*node) // one replica per group: fewer round trips
	var primary *part
	for i, k := range keys {
		var n *node
		if r.routed(k) {
			g := st.groupOf(k)
			n = picked[g]
			if n == nil && g >= 0 {
				n = r.pick(st.replicasFor(k))
				picked[g] = n
			}
		}
		if n == nil {
			if primary == nil {
				primary = &part{}
				parts = append(parts, primary)
			}
			primary.idx = append(primary.idx, i)
			continue
		}
		b := bucket{n: n}
		if st.slotGroup != nil {
			b.slot = split.Slot(k) // a node refuses an MGET across slots
		}
		p := byBucket[b]
		if p == nil {
			p = &part{n: n}
			byBucket[b] = p
			parts = append(parts, p)
		}
		p.idx = append(p.idx, i)
	}
	if primary != nil && len(parts) == 1 {
		r.primaryReads.Add(1)
		return next(ctx, cmd)
	}
	var wg sync.WaitGroup
	for _, p := range parts {
		a := make([]any, 1, len(p.idx)+1)
		a[0] = "mget"
		for _, i := range p.idx {
			a = append(a, keys[i])
		}
		p.cmd = redis.NewSliceCmd(ctx, a...)
		wg.Go(func() {
			if p.n != nil {
				err := p.n.client.Process(ctx, p.cmd)
				if !replicaFailed(err) || ctx.Err() != nil {
					r.replicaReads.Add(1)
					return
				}
				r.failed(p.n)
				p.cmd.SetErr(nil)
			}
			r.primaryReads.Add(1)
			_ = next(ctx, p.cmd)
		})
	}
	wg.Wait()
	vals := make([]any, len(keys))
	for _, p := range parts {
		v, err := p.cmd.Result()
		if err != nil {
			cmd.SetErr(err)
			return err
		}
		if len(v) != len(p.idx) {
			err := fmt.Errorf("replica: MGET of %d keys returned %d values", len(p.idx), len(v))
			cmd.SetErr(err)
			return err
		}
		for j, i := range p.idx {
			vals[i] = v[j]
		}
	}
	cmd.SetVal(vals)
	cmd.SetErr(nil)
	return nil
}

// Process runs cmd as Route does, with the client passed to New as next.
// Use Process, Get and MGet, or the Hook on that client, not both: through
// the hook a command would be routed twice.
func (r *Router) Process(ctx context.Context, cmd redis.Cmder) error {
	return r.Route(ctx, cmd, r.client.Process)
}

// Get reads key: from a replica if it is routed, else the primary.
func (r *Router) Get(ctx context.Context, key string) *redis.StringCmd {
	cmd := redis.NewStringCmd(ctx, "get", key)
	_ = r.Process(ctx, cmd)
	return cmd
}

// MGet reads keys, the routed ones from replicas and the others from the
// primary, and returns the values in the order of keys.
func (r *Router) MGet(ctx context.Context, keys ...string) *redis.SliceCmd {
	a := make([]any, 1, len(keys)+1)
	a[0] = "mget"
	for _, k := range keys {
		a = append(a, k)
	}
	cmd := redis.NewSliceCmd(ctx, a...)
	_ = r.Process(ctx, cmd)
	return cmd
}

// Hook returns a go-redis hook that routes the commands of the client it
// is added to (the client passed to New) through the Router: add it with
// AddHook. Pipelines and transactions pass through to the primary, their
// writes recorded for ReadYourWrites.
func (r *Router) Hook() redis.Hook { return hook{r} }

type hook struct{ r *Router }

func (hook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		return h.r.Route(ctx, cmd, next)
	}
}

func (h hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.r.NotePipeline(cmds)
		return next(ctx, cmds)
	}
}

// Stats are the Router's counts since New.
type Stats struct {
	// ReplicaReads and PrimaryReads count read commands (or MGET parts)
	// served by a replica and by the primary.
	ReplicaReads, PrimaryReads uint64
	// Fallbacks counts reads that failed on a replica and went to the
	// primary.
	Fallbacks uint64
}

// Stats returns the Router's counts.
func (r *Router) Stats() Stats {
	return Stats{ReplicaReads: r.replicaReads.Load(), PrimaryReads: r.primaryReads.Load(), Fallbacks: r.fallbacks.Load()}
}

// Status is one replica as the last refresh found it.
type Status struct {
	Addr    string        // the replica's address
	Primary string        // its primary's address
	Usable  bool          // reads may go to it
	Reason  string        // why not, if not
	Lag     int64         // bytes behind the primary; -1 if unknown
	RTT     time.Duration // PING round trip at the refresh
}

// Replicas returns every replica the last refresh found, usable or not,
// ordered by primary and address.
func (r *Router) Replicas() []Status {
	st := r.state.Load()
	if st == nil {
		return nil
	}
	out := make([]Status, 0, len(st.nodes))
	for _, n := range st.nodes {
		s := Status{Addr: n.addr, Primary: n.primary, Usable: n.usable && !n.failed.Load(), Reason: n.reason, Lag: n.lag, RTT: n.rtt}
		if n.usable && n.failed.Load() {
			s.Reason = "failed a read since the last refresh"
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Status) int {
		if a.Primary != b.Primary {
			return compareStrings(a.Primary, b.Primary)
		}
		return compareStrings(a.Addr, b.Addr)
	})
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// keyString returns a key argument as a string.
func keyString(arg any) (string, bool) {
	switch k := arg.(type) {
	case string:
		return k, true
	case []byte:
		return string(k), true
	}
	return "", false
}
