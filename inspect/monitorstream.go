package inspect

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redhot/redhot/command"
	"github.com/redhot/redhot/heat"
)

// MonitorStreamOptions configure StartMonitor.
type MonitorStreamOptions struct {
	// Duration bounds the sample: MONITOR stops this long after
	// StartMonitor returns. MONITOR is costly, so a live view samples for
	// a while and then stops, keeping its last figures.
	// default: 1 minute
	Duration time.Duration

	// MaxCommands stops sampling after this many commands, over all nodes.
	// default: 0 (no limit)
	MaxCommands int64

	// Window is the time constant of the rates (see heat.Options.Window):
	// short for a view that follows the traffic closely.
	// default: 1 second
	Window time.Duration

	// Rules decide which keys are hot, per node (see heat.Rules).
	// default: heat's defaults (50 accesses/s and 1% of the node's traffic)
	Rules heat.Rules

	// MaxOutputBuffer stops sampling a node when the server holds more
	// than this many bytes of MONITOR output for redhot (see
	// MonitorOptions.MaxOutputBuffer).
	// default: 64 MiB
	MaxOutputBuffer int64

	// Commands is the command table used to find keys.
	// default: the server's (command.Load), else command.Builtin
	Commands *command.Table
}

// MonitorStream samples live traffic with MONITOR, like Monitor, but can
// be read while it runs: Top and Totals give the hottest keys and the
// traffic so far, with rates over the last Window on the servers'
// timestamps. It implements the source interfaces of the alert, metrics
// and dashboard packages. Start it with StartMonitor; Close it when done.
// All methods are safe for concurrent use.
type MonitorStream struct {
	t       *Target
	r       *run
	opts    MonitorStreamOptions
	nodes   []*streamNode
	started time.Time
	count   atomic.Int64 // commands over all nodes

	cancel context.CancelFunc
	done   chan struct{} // closed when every node has stopped sampling
	wg     sync.WaitGroup

	// mu guards endedAt.
	mu      sync.Mutex
	endedAt time.Time
}

// streamNode samples one node. Its monitorNode is used only by the node's
// goroutine, except tr and clock, which are safe for concurrent use.
type streamNode struct {
	m     monitorNode
	tr    *heat.Tracker
	clock *streamClock

	sampled  atomic.Int64
	lastWall atomic.Int64 // local Unix ns when the last line was read
	lastLine atomic.Int64 // that line's timestamp, Unix ns
}

// streamClock is a tracker clock that only moves forward: to each
// MONITOR line's timestamp, and, while a node is idle, with the local
// clock, so that rates decay when the traffic stops.
type streamClock struct{ ns atomic.Int64 }

func (c *streamClock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// advance moves the clock to ns unless it is already later.
func (c *streamClock) advance(ns int64) {
	for {
		cur := c.ns.Load()
		if ns <= cur || c.ns.CompareAndSwap(cur, ns) {
			return
		}
	}
}

// idleAfter is how long a node goes without a MONITOR line before its
// clock follows the local clock.
const idleAfter = 250 * time.Millisecond

// evalEvery is how often the stream applies the hot rules and moves idle
// nodes' clocks.
const evalEvery = 100 * time.Millisecond

// StartMonitor starts MONITOR on every primary (and replica, with
// ConnOptions.Replicas) and returns once each node has started sampling
// or failed to. It fails when no node could start (MONITOR not permitted,
// unreachable); nodes that fail while others run are reported in
// Stats().Warnings. Sampling stops after opts.Duration or MaxCommands, when
// ctx is cancelled, or at Close, whichever comes first; Done is closed
// then. The cost note (what MONITOR costs the server) goes to
// ConnOptions.Log before sampling starts.
func StartMonitor(ctx context.Context, t *Target, opts MonitorStreamOptions) (*MonitorStream, error) {
	if opts.Duration == 0 {
		opts.Duration = time.Minute
	}
	if opts.Window == 0 {
		opts.Window = time.Second
	}
	if opts.MaxOutputBuffer == 0 {
		opts.MaxOutputBuffer = 64 << 20
	}
	if opts.Duration < 0 || opts.MaxCommands < 0 || opts.Window < 0 || opts.MaxOutputBuffer < 0 {
		return nil, newError(ErrBadOptions, "", "monitor stream options must not be negative")
	}
	r := t.begin("monitor")
	nodes := t.primaries()
	if t.opts.Replicas {
		for _, p := range slices.Clone(nodes) {
			nodes = append(nodes, t.replicasOf(p)...)
		}
	}
	if len(nodes) == 0 {
		return nil, newError(ErrAllNodesFailed, "", "no live primary to monitor")
	}
	r.use(nodes...)
	table := opts.Commands
	if table == nil {
		var err error
		if table, err = command.Load(ctx, nodes[0].client); err != nil {
			table = command.Builtin()
			r.note("finding keys with redhot's built-in Redis 7.0 command table: COMMAND failed (%s)", oneLine(err.Error()))
		}
	}
	limit := "no command limit"
	if opts.MaxCommands > 0 {
		limit = fmt.Sprintf("at most %d commands", opts.MaxCommands)
	}
	r.note("cost: MONITOR makes each server format every command it runs and send it to redhot; expect a busy server's throughput to drop, often by about half, while it runs (%v, %s, %s); redhot stops early if a server buffers more than %s for it",
		opts.Duration, limit, plural(len(nodes), "node", "nodes"), bytesHuman(float64(opts.MaxOutputBuffer)))

	s := &MonitorStream{t: t, r: r, opts: opts, done: make(chan struct{})}
	mopts := &MonitorOptions{Duration: opts.Window, MaxCommands: opts.MaxCommands, MaxOutputBuffer: opts.MaxOutputBuffer}
	now := time.Now()
	for _, n := range nodes {
		sn := &streamNode{clock: &streamClock{}}
		sn.clock.ns.Store(now.UnixNano())
		sn.lastWall.Store(now.UnixNano())
		sn.lastLine.Store(now.UnixNano())
		tr, err := heat.New(heat.Options{
			Window:      opts.Window,
			Rules:       opts.Rules,
			MaxKeyBytes: maxMonitorKeyBytes,
			Stripes:     1,
			Clock:       sn.clock,
		})
		if err != nil {
			s.closeTrackers()
			return nil, &Error{Kind: ErrBadOptions, Msg: "monitor stream rules", Err: err}
		}
		sn.tr = tr
		sn.m = monitorNode{
			t: t, r: r, n: n, table: table, opts: mopts, db: t.DB(),
			count: &s.count,
			tr:    tr,
			// observe sets this clock; the tracker reads sn.clock,
			// which run moves forward first.
			clock:    heat.NewFakeClock(now),
			details:  keyDetails{max: 64, m: map[string]*keyDetail{}},
			commands: map[string]int64{},
			names:    map[string]string{},
			skipped:  map[string]int64{},
		}
		s.nodes = append(s.nodes, sn)
	}

	runCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.Duration)
	s.cancel = cancel
	stopOnParent := context.AfterFunc(ctx, cancel)
	for _, sn := range s.nodes {
		sn.m.stopAll = cancel
	}
	ready := make(chan error, len(s.nodes))
	var running sync.WaitGroup
	for _, sn := range s.nodes {
		running.Add(1)
		s.wg.Go(func() {
			defer running.Done()
			err := sn.run(runCtx, ready)
			if err != nil && runCtx.Err() == nil {
				s.r.warn("%s; sampling stopped on this node", err)
			}
		})
	}
	s.wg.Go(func() {
		tk := time.NewTicker(evalEvery)
		defer tk.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-tk.C:
				s.tick(time.Now())
			}
		}
	})
	s.wg.Go(func() {
		running.Wait()
		cancel()
		stopOnParent()
		s.mu.Lock()
		s.endedAt = time.Now()
		s.mu.Unlock()
		close(s.done)
	})

	var failures []nodeFailure
	for range s.nodes {
		if err := <-ready; err != nil {
			failures = append(failures, nodeFailure{err: err})
		}
	}
	if len(failures) == len(s.nodes) {
		s.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		first := failures[0].err
		for _, f := range failures[1:] {
			if kindOf(f.err) != kindOf(first) {
				return nil, &Error{Kind: ErrAllNodesFailed, Msg: fmt.Sprintf("all %d nodes failed", len(failures)), Err: first}
			}
		}
		return nil, first
	}
	s.started = time.Now()
	return s, nil
}

// run samples one node until ctx is done. It sends on ready once MONITOR
// has started (nil) or failed to (the error).
func (sn *streamNode) run(ctx context.Context, ready chan<- error) (err error) {
	m := &sn.m
	started := false
	defer func() {
		if !started {
			if err == nil {
				err = ctx.Err()
			}
			ready <- err
		}
	}()
	var keys []command.Key
	return m.session(ctx, func() {
		started = true
		ready <- nil
	}, func(line *MonitorLine) {
		sn.clock.advance(line.Time.UnixNano())
		sn.lastLine.Store(line.Time.UnixNano())
		sn.lastWall.Store(time.Now().UnixNano())
		keys = m.observe(line, keys)
		sn.sampled.Add(1)
		if n := m.count.Add(1); m.opts.MaxCommands > 0 && n >= m.opts.MaxCommands {
			m.stopAll()
		}
	})
}

// tick moves idle nodes' clocks with the local clock and applies the
// rules. It runs on the stream's ticker goroutine.
func (s *MonitorStream) tick(now time.Time) {
	for _, sn := range s.nodes {
		idle := now.UnixNano() - sn.lastWall.Load()
		if idle > int64(idleAfter) {
			sn.clock.advance(sn.lastLine.Load() + idle)
		}
		sn.tr.Evaluate()
	}
}

// Top returns the k keys with the highest rates over all nodes, highest
// first. A key seen on several nodes (a primary and its replicas) has its
// rates summed; Share is its part of all the traffic sampled.
func (s *MonitorStream) Top(k int) []heat.KeyStat {
	if k <= 0 {
		return nil
	}
	total := s.Totals().Rate
	byKey := map[string]*heat.KeyStat{}
	var order []*heat.KeyStat
	for _, sn := range s.nodes {
		nodeRate := sn.tr.Totals().Rate
		for _, ks := range sn.tr.Top(k) {
			id := ks.Key
			if ks.Truncated {
				id = "\x00" + id // a prefix is not the whole key
			}
			share := 0.0
			if total > 0 {
				share = ks.Share * nodeRate / total
			}
			a := byKey[id]
			if a == nil {
				a = &ks
				a.Share = share
				byKey[id] = a
				order = append(order, a)
				continue
			}
			a.Rate += ks.Rate
			a.Low += ks.Low
			a.High += ks.High
			a.ReadRate += ks.ReadRate
			a.WriteRate += ks.WriteRate
			a.Share += share
			if ks.Hot && (!a.Hot || ks.HotSince.Before(a.HotSince)) {
				a.Hot, a.HotSince = true, ks.HotSince
			}
		}
	}
	slices.SortStableFunc(order, func(a, b *heat.KeyStat) int {
		if c := cmp.Compare(b.Rate, a.Rate); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	out := make([]heat.KeyStat, 0, min(k, len(order)))
	for _, a := range order[:min(k, len(order))] {
		out = append(out, *a)
	}
	return out
}

// Totals returns the key accesses per second over all nodes.
func (s *MonitorStream) Totals() heat.Totals {
	var t heat.Totals
	for _, sn := range s.nodes {
		nt := sn.tr.Totals()
		t.Rate += nt.Rate
		t.ReadRate += nt.ReadRate
		t.WriteRate += nt.WriteRate
	}
	return t
}

// MonitorStreamStats describe a MonitorStream's sampling so far.
type MonitorStreamStats struct {
	// Sampled is the number of commands seen in the database.
	Sampled int64
	// Elapsed is how long it has sampled, Duration how long it will at
	// most.
	Elapsed, Duration time.Duration
	// Running is false once sampling has stopped on every node.
	Running bool
	// Nodes is the number of nodes sampled.
	Nodes int
	// Warnings say what went wrong without stopping the stream: a node
	// that failed or stopped early.
	Warnings []string
}

// Stats returns the stream's figures so far.
func (s *MonitorStream) Stats() MonitorStreamStats {
	st := MonitorStreamStats{Duration: s.opts.Duration, Nodes: len(s.nodes)}
	for _, sn := range s.nodes {
		st.Sampled += sn.sampled.Load()
	}
	s.mu.Lock()
	end := s.endedAt
	s.mu.Unlock()
	st.Running = end.IsZero()
	if end.IsZero() {
		end = time.Now()
	}
	st.Elapsed = max(end.Sub(s.started), 0)
	s.r.mu.Lock()
	st.Warnings = slices.Clone(s.r.h.Warnings)
	s.r.mu.Unlock()
	return st
}

// Done returns a channel closed when sampling has stopped on every node.
func (s *MonitorStream) Done() <-chan struct{} { return s.done }

// Close stops sampling, waits for the stream's goroutines and releases its
// trackers. Top and Totals keep answering with the last figures. It
// returns nil.
func (s *MonitorStream) Close() error {
	s.cancel()
	s.wg.Wait()
	s.closeTrackers()
	return nil
}

func (s *MonitorStream) closeTrackers() {
	for _, sn := range s.nodes {
		sn.tr.Close()
	}
}
