package redhot

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/internal/keyslot"
	"github.com/redhot/redhot/nearcache"
)

var (
	linearizabilityDuration = flag.Duration("linearizability.duration", 3*time.Second,
		"how long the linearizability tests run their workload (faults every ~400ms); try 1m")
	linearizabilityCheckTime = flag.Duration("linearizability.checktime", 20*time.Second,
		"how long porcupine may take on one segment of the history before the exact zone check decides")
)

// The checks of the linearizability tests: every operation is recorded with
// its call and return times, and the history is checked with porcupine
// against a register per key, with the guarantees of the near cache built
// into the read windows:
//
//   - a read through a plain client must be linearizable: its window is
//     [call, return];
//   - a read through redhot may be up to the staleness bound old: its
//     window starts bound before its call;
//   - but never before the last write through the same client to the same
//     key that returned before the read was called (read-your-writes):
//     the window starts no earlier than the moment that write's reply
//     reached the client, recorded by a hook inside redhot's (replyClock).
//     Not the moment the worker saw the write return: redhot ends the
//     write (EndWrite) in between, and from then on its reads see the
//     write or a later value; a write by another client that lands
//     after that, but before the worker notes the return, may still be
//     unseen within the staleness bound, like any remote write.
//
// A history that passes has no read older than the bound and no read that
// missed the reader's own write. A write whose outcome is unknown (it
// failed while a fault was going on) may take effect at any time after its
// call, and a server restart, which loses every key, is a write of the
// empty value during the restart.
//
// Every few faults a barrier stops the workers, reads each key through a
// plain client with nothing else in flight, and waits for the staleness
// bound before they go on. No operation spans a barrier and no read's
// window reaches back across one, so the history is checked one segment
// at a time, each starting from the state read at the barrier before it:
// equivalent to checking it whole, and the checker's work grows with the
// run's length instead of exploding with it. A write of unknown outcome
// is taken to have happened before the next barrier or not at all (see
// settle): its connection is gone by then. Were it to happen later, the
// check would report a violation, not miss one.

// regOp is the input of an operation on the register of one key.
type regOp struct {
	key   string
	write bool
	value int64 // written; 0 stands for "absent"
}

var registerModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(regOp).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return int64(0) },
	Step: func(state, input, output any) (bool, any) {
		in := input.(regOp)
		if in.write {
			return true, in.value
		}
		return output.(int64) == state.(int64), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(regOp)
		if in.write {
			return fmt.Sprintf("set(%s, %d)", in.key, in.value)
		}
		return fmt.Sprintf("get(%s) -> %d", in.key, output)
	},
}

// recorder collects a history, cut into segments by barriers.
type recorder struct {
	start time.Time
	bound int64 // staleness bound, ns

	// gate is held for reading by every operation of a worker and for
	// writing by a barrier, so that no operation spans a barrier.
	gate sync.RWMutex

	mu   sync.Mutex              // guards segs
	segs [][]porcupine.Operation // the last one is being recorded
}

func newRecorder(bound time.Duration) *recorder {
	return &recorder{start: time.Now(), bound: int64(bound), segs: make([][]porcupine.Operation, 1)}
}

func (r *recorder) now() int64 { return int64(time.Since(r.start)) }

func (r *recorder) add(op porcupine.Operation) {
	r.mu.Lock()
	last := len(r.segs) - 1
	r.segs[last] = append(r.segs[last], op)
	r.mu.Unlock()
}

// Client IDs of the operations that are not a worker's.
const (
	restartID = 100 // the loss of every key in a restart
	barrierID = 200 // a barrier's reads
	initID    = 201 // the state a segment starts from
)

// barrier ends the current segment: with every worker stopped, it reads
// each key through plain, starts a segment from the state read and waits
// for the staleness bound before the workers go on.
func (r *recorder) barrier(tb testing.TB, plain redis.UniversalClient, keys []string) {
	tb.Helper()
	r.gate.Lock()
	defer r.gate.Unlock()
	ctx := context.Background()
	state := make(map[string]int64, len(keys))
	for _, k := range keys {
		var v int64
		var err error
		call := r.now()
		for try := 0; try < 50; try++ {
			var s string
			if s, err = plain.Get(ctx, k).Result(); errors.Is(err, redis.Nil) {
				err = nil
			} else if err == nil {
				fmt.Sscan(s, &v)
			}
			if err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			tb.Fatalf("barrier: GET %s: %v", k, err)
		}
		r.add(porcupine.Operation{ClientId: barrierID, Input: regOp{key: k}, Call: call, Output: v, Return: r.now()})
		state[k] = v
	}
	at := r.now()
	r.mu.Lock()
	next := make([]porcupine.Operation, 0, len(r.segs[len(r.segs)-1]))
	for _, k := range keys {
		next = append(next, porcupine.Operation{ClientId: initID, Input: regOp{key: k, write: true, value: state[k]}, Call: at, Output: int64(0), Return: at})
	}
	r.segs = append(r.segs, next)
	r.mu.Unlock()
	// Reads after the barrier may go back the bound, but not to before
	// the state it read.
	time.Sleep(time.Duration(r.bound) + time.Millisecond)
}

// settle returns seg with its writes of unknown outcome (failed, so
// Return is math.MaxInt64) ended at the segment's barrier: each happened
// before it or never. Those whose value no read of seg returned are left
// out, since whether they happened changes nothing.
func settle(seg []porcupine.Operation) []porcupine.Operation {
	end := int64(math.MaxInt64)
	seen := map[regOp]bool{}
	for _, op := range seg {
		in := op.Input.(regOp)
		if op.ClientId == barrierID {
			end = min(end, op.Call)
		}
		if !in.write {
			seen[regOp{key: in.key, value: op.Output.(int64)}] = true
		}
	}
	out := make([]porcupine.Operation, 0, len(seg))
	for _, op := range seg {
		if in := op.Input.(regOp); in.write && op.Return == math.MaxInt64 {
			if !seen[regOp{key: in.key, value: in.value}] {
				continue
			}
			op.Return = end
		}
		out = append(out, op)
	}
	return out
}

// client is one process of the test: a go-redis client, with or without
// redhot, and the write watermarks of its keys.
type client struct {
	name string
	rdb  redis.UniversalClient
	mw   *Middleware // nil for a plain client

	// lastWrite[key] is the latest time the reply of a successful write
	// through this client reached it (see replyClock), for
	// read-your-writes.
	lastWrite map[string]*atomic.Int64
}

// replyClock is a go-redis hook added after redhot's, and so run inside
// it: it records, in the *int64 the context carries under replyAt{}, when
// a command's reply came back from the server, before redhot's hook
// finishes the command.
type replyClock struct{ rec *recorder }

type replyAt struct{}

func (replyClock) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h replyClock) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if p, ok := ctx.Value(replyAt{}).(*int64); ok {
			*p = h.rec.now()
		}
		return err
	}
}

func (replyClock) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// worker runs operations through c until stop, one at a time, as
// porcupine client id.
func (c *client) worker(id int, rec *recorder, keys []string, next *atomic.Int64, stop <-chan struct{}, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, uint64(id)))
	for {
		select {
		case <-stop:
			return
		default:
		}
		rec.gate.RLock()
		c.step(rec, rng, keys, id, next)
		rec.gate.RUnlock()
		time.Sleep(time.Duration(rng.IntN(200)) * time.Microsecond)
	}
}

// step runs one operation and records it.
func (c *client) step(rec *recorder, rng *rand.Rand, keys []string, id int, next *atomic.Int64) {
	ctx := context.Background()
	{
		key := keys[rng.IntN(len(keys))]
		if rng.IntN(10) < 3 {
			v := next.Add(1)
			var replied int64
			call := rec.now()
			err := c.rdb.Set(context.WithValue(ctx, replyAt{}, &replied), key, v, 0).Err()
			ret := rec.now()
			if err != nil {
				ret = math.MaxInt64 // it may have happened, at any time
			} else if c.mw != nil {
				for old := c.lastWrite[key].Load(); replied > old && !c.lastWrite[key].CompareAndSwap(old, replied); old = c.lastWrite[key].Load() {
				}
			}
			rec.add(porcupine.Operation{ClientId: id, Input: regOp{key: key, write: true, value: v}, Call: call, Output: int64(0), Return: ret})
		} else {
			call := rec.now()
			floor := int64(0)
			if c.mw != nil {
				// Intervals are closed: a window that starts when the
				// write returned would let the read go before it.
				floor = c.lastWrite[key].Load() + 1
			}
			var s string
			var err error
			if c.mw != nil && rng.IntN(2) == 0 {
				s, err = c.mw.Get(ctx, key)
			} else {
				s, err = c.rdb.Get(ctx, key).Result()
			}
			ret := rec.now()
			var v int64
			switch {
			case errors.Is(err, redis.Nil):
			case err != nil:
				return // a failed read tells nothing
			default:
				fmt.Sscan(s, &v)
			}
			if c.mw != nil {
				call = max(call-rec.bound, floor)
			}
			rec.add(porcupine.Operation{ClientId: id, Input: regOp{key: key}, Call: call, Output: v, Return: ret})
		}
	}
}

// runLinearizability runs redhot clients and plain clients of newClient
// against the same keys for the test's duration while inject injects a
// fault now and then, and checks the history.
func runLinearizability(t *testing.T, newClient func() redis.UniversalClient, keys []string, bound time.Duration, inject func(rec *recorder, i int)) {
	var clients []*client
	for i := range 3 {
		c := &client{name: fmt.Sprintf("redhot-%d", i), rdb: newClient(), lastWrite: map[string]*atomic.Int64{}}
		for _, k := range keys {
			c.lastWrite[k] = new(atomic.Int64)
		}
		if i < 2 {
			c.mw = attach(t, c.rdb, Options{MaxStaleness: bound})
			for _, k := range keys {
				c.mw.Pin(k)
			}
		} else {
			c.name = "plain"
		}
		clients = append(clients, c)
	}
	for _, c := range clients {
		if c.mw != nil {
			for _, k := range keys {
				c.rdb.Get(context.Background(), k) // connects a cluster's nodes
			}
			waitMode(t, c.mw, nearcache.ModeTracking)
		}
	}
	rec := newRecorder(bound)
	// Every key starts absent: a write of the empty value before any
	// read's window, as a barrier starts the later segments.
	for _, k := range keys {
		rec.add(porcupine.Operation{ClientId: initID, Input: regOp{key: k, write: true}, Output: int64(0), Call: -rec.bound - 1, Return: -rec.bound - 1})
	}
	for _, c := range clients {
		if c.mw != nil {
			c.rdb.AddHook(replyClock{rec})
		}
	}
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	id := 0
	for _, c := range clients {
		for range 3 {
			wid := id
			wg.Go(func() { c.worker(wid, rec, keys, &next, stop, 1) })
			id++
		}
	}
	plain := clients[len(clients)-1].rdb
	deadline := time.Now().Add(*linearizabilityDuration)
	for i := 0; time.Now().Before(deadline); i++ {
		time.Sleep(400 * time.Millisecond)
		inject(rec, i)
		if i%3 == 2 {
			rec.barrier(t, plain, keys)
		}
	}
	time.Sleep(2 * bound)
	close(stop)
	wg.Wait()
	rec.barrier(t, plain, keys)

	var hits uint64
	for _, c := range clients {
		if c.mw != nil {
			st := c.mw.Stats().Cache
			hits += st.Hits
			t.Logf("%s: hits %d, misses %d (joined %d), fills %d (refreshes %d), discarded %d, invalidations %d, flushes %v",
				c.name, st.Hits, st.Misses, st.Joined, st.Fills, st.Refreshes, st.Discarded, st.Invalidations, st.Flushes)
		}
	}
	if hits == 0 {
		t.Fatal("no read was served from the near cache: the test proves nothing")
	}
	n := 0
	for _, seg := range rec.segs {
		n += len(seg)
	}
	t.Logf("%d operations in %d segments; checking", n, len(rec.segs)-1)
	for i, seg := range rec.segs[:len(rec.segs)-1] {
		checkSegment(t, i, settle(seg))
	}
}

// checkSegment checks one segment of a history with porcupine. A key
// porcupine cannot decide in time (many reads with long windows make its
// search explode) is decided by checkZones, which is exact when every
// write of the key writes its own value, as the workers' writes do.
func checkSegment(t *testing.T, i int, seg []porcupine.Operation) {
	t.Helper()
	res, info := porcupine.CheckOperationsVerbose(registerModel, seg, *linearizabilityCheckTime)
	switch res {
	case porcupine.Ok:
		return
	case porcupine.Illegal:
		for _, part := range info.PartialLinearizationsOperations() {
			if len(part) > 0 {
				t.Logf("longest linearizable prefix of a failing key ends with %v", part[0][max(0, len(part[0])-3):])
				break
			}
		}
		dumpFailure(t, seg)
		t.Fatalf("segment %d: the history is not linearizable within the staleness bound and read-your-writes", i)
	}
	for _, ops := range registerModel.Partition(seg) {
		key := ops[0].Input.(regOp).key
		ok, applicable, why := checkZones(ops)
		switch {
		case !applicable:
			t.Fatalf("segment %d: porcupine timed out after %v, and key %s has two writes of one value", i, *linearizabilityCheckTime, key)
		case !ok:
			t.Fatalf("segment %d, key %s: the history is not linearizable within the staleness bound and read-your-writes: %s", i, key, why)
		}
	}
	t.Logf("segment %d: porcupine timed out after %v; decided linearizable by the zones of its clusters", i, *linearizabilityCheckTime)
}

func TestLinearizabilityStandalone(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	admin := srv.Client()
	ctx := context.Background()
	const bound = 200 * time.Millisecond
	keys := []string{"hot:a", "hot:b", "hot:c"}
	runLinearizability(t, func() redis.UniversalClient { return srv.Client() }, keys, bound, func(rec *recorder, i int) {
		switch i % 3 {
		case 0:
			killCacheConns(t, admin)
		case 1:
			if err := srv.Pause(); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(bound + bound/2)
			if err := srv.Resume(); err != nil {
				t.Error(err)
			}
		case 2:
			// Every key is lost: a write of "absent" to each during
			// the restart.
			call := rec.now()
			if err := srv.Restart(ctx); err != nil {
				t.Error(err)
				return
			}
			ret := rec.now()
			for _, k := range keys {
				rec.add(porcupine.Operation{ClientId: restartID, Input: regOp{key: k, write: true}, Call: call, Output: int64(0), Return: ret})
			}
		}
	})
}

func TestLinearizabilityCluster(t *testing.T) {
	cl := redistest.NewCluster(t, redistest.ClusterOptions{Primaries: 3, ReplicasPerPrimary: 1})
	ctx := context.Background()
	const bound = 200 * time.Millisecond
	keys := []string{"hot:a", "hot:b", "hot:c"}
	runLinearizability(t, func() redis.UniversalClient { return cl.Client() }, keys, bound, func(rec *recorder, i int) {
		fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		key := keys[i%len(keys)]
		slot := keyslot.Slot(key)
		owner := cl.NodeForSlot(slot)
		switch i % 3 {
		case 0:
			for _, n := range cl.Primaries() {
				killCacheConns(t, n.Client())
			}
		case 1:
			if reps := cl.ReplicasOf(owner); len(reps) > 0 {
				if err := cl.Failover(fctx, reps[0]); err != nil {
					t.Error(err)
				}
			}
		case 2:
			for _, p := range cl.Primaries() {
				if p != owner {
					if err := cl.MoveSlot(fctx, slot, p); err != nil {
						t.Error(err)
					}
					break
				}
			}
		}
	})
}

// TestCheckerCatchesStaleReads makes sure the checks above can fail: a
// read older than the bound, and a read that misses its client's own
// write, are both rejected.
func TestCheckerCatchesStaleReads(t *testing.T) {
	const ms = int64(time.Millisecond)
	const bound = 200 * ms
	w := func(v, call, ret int64) porcupine.Operation {
		return porcupine.Operation{Input: regOp{key: "k", write: true, value: v}, Call: call, Output: int64(0), Return: ret}
	}
	r := func(v, call, ret int64) porcupine.Operation {
		return porcupine.Operation{Input: regOp{key: "k"}, Call: call, Output: v, Return: ret}
	}
	tests := []struct {
		name string
		ops  []porcupine.Operation
		ok   bool
	}{
		{"stale within the bound", []porcupine.Operation{w(1, 0, ms), w(2, 10*ms, 11*ms), r(1, 100*ms-bound, 101*ms)}, true},
		{"stale beyond the bound", []porcupine.Operation{w(1, 0, ms), w(2, 10*ms, 11*ms), r(1, 300*ms-bound, 301*ms)}, false},
		{"missed own write", []porcupine.Operation{w(1, 0, ms), w(2, 10*ms, 11*ms), r(1, max(100*ms-bound, 11*ms+1), 101*ms)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := porcupine.CheckOperations(registerModel, tt.ops); got != tt.ok {
				t.Errorf("CheckOperations = %v; want %v", got, tt.ok)
			}
		})
	}
}

// dumpFailure logs, for each key whose history in ops is not
// linearizable, the operations around the first one that makes it so
// (the end of the shortest failing prefix, ordered by return).
func dumpFailure(t *testing.T, ops []porcupine.Operation) {
	t.Helper()
	for _, h := range registerModel.Partition(ops) {
		if porcupine.CheckOperations(registerModel, h) {
			continue
		}
		h = slices.Clone(h)
		slices.SortFunc(h, func(a, b porcupine.Operation) int { return cmpInt64(a.Return, b.Return) })
		lo, hi := 1, len(h)
		for lo < hi {
			mid := (lo + hi) / 2
			if porcupine.CheckOperations(registerModel, h[:mid]) {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		last := h[lo-1]
		t.Logf("key %s: not linearizable once %s is added; the operations around it:", last.Input.(regOp).key, describe(last))
		slices.SortFunc(h, func(a, b porcupine.Operation) int { return cmpInt64(a.Call, b.Call) })
		for _, op := range h {
			if op.Return >= last.Call-int64(5*time.Millisecond) && op.Call <= last.Return {
				t.Logf("  %s", describe(op))
			}
		}
	}
}

// describe renders op as "client [call, return] set v" or "... get -> v".
func describe(op porcupine.Operation) string {
	in := op.Input.(regOp)
	if in.write {
		return fmt.Sprintf("client %d [%d, %d] set %d", op.ClientId, op.Call, op.Return, in.value)
	}
	return fmt.Sprintf("client %d [%d, %d] get -> %d", op.ClientId, op.Call, op.Return, op.Output)
}
