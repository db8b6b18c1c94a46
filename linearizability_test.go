package redhot

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
)

var linearizabilityDuration = flag.Duration("linearizability.duration", 3*time.Second,
	"how long the linearizability tests run their workload (faults every ~400ms); try 1m")

// The checks of the linearizability tests: every operation is recorded with
// its call and return times, and the history is checked with porcupine
// against a register per key, with the guarantees of the near cache built
// into the read windows:
//
//   - a read through a plain client must be linearizable: its window is
//     [call, return];
//   - a read through redhot may be up to the staleness bound old: its
//     window starts bound before its call;
//   - but never before the return of the last write through the same
//     client to the same key that returned before the read was called
//     (read-your-writes).
//
// A history that passes has no read older than the bound and no read that
// missed the reader's own write. A write whose outcome is unknown (it
// failed while a fault was going on) may take effect at any time after its
// call, and a server restart, which loses every key, is a write of the
// empty value during the restart.

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

// recorder collects a history.
type recorder struct {
	start time.Time
	bound int64 // staleness bound, ns

	mu  sync.Mutex // guards ops
	ops []porcupine.Operation
}

func (r *recorder) now() int64 { return int64(time.Since(r.start)) }

func (r *recorder) add(op porcupine.Operation) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// client is one process of the test: a go-redis client, with or without
// redhot, and the write watermarks of its keys.
type client struct {
	name string
	rdb  redis.UniversalClient
	mw   *Middleware // nil for a plain client

	// lastWrite[key] is the latest return time of a successful write
	// through this client, for read-your-writes.
	lastWrite map[string]*atomic.Int64
}

// worker runs operations through c until stop, one at a time, as
// porcupine client id.
func (c *client) worker(id int, rec *recorder, keys []string, next *atomic.Int64, stop <-chan struct{}, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, uint64(id)))
	ctx := context.Background()
	for {
		select {
		case <-stop:
			return
		default:
		}
		key := keys[rng.IntN(len(keys))]
		if rng.IntN(10) < 3 {
			v := next.Add(1)
			call := rec.now()
			err := c.rdb.Set(ctx, key, v, 0).Err()
			ret := rec.now()
			if err != nil {
				ret = math.MaxInt64 // it may have happened, at any time
			} else if c.mw != nil {
				for old := c.lastWrite[key].Load(); ret > old && !c.lastWrite[key].CompareAndSwap(old, ret); old = c.lastWrite[key].Load() {
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
				continue // a failed read tells nothing
			default:
				fmt.Sscan(s, &v)
			}
			if c.mw != nil {
				call = max(call-rec.bound, floor)
			}
			rec.add(porcupine.Operation{ClientId: id, Input: regOp{key: key}, Call: call, Output: v, Return: ret})
		}
		time.Sleep(time.Duration(rng.IntN(200)) * time.Microsecond)
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
	rec := &recorder{start: time.Now(), bound: int64(bound)}
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
	deadline := time.Now().Add(*linearizabilityDuration)
	for i := 0; time.Now().Before(deadline); i++ {
		time.Sleep(400 * time.Millisecond)
		inject(rec, i)
	}
	time.Sleep(2 * bound)
	close(stop)
	wg.Wait()

	var hits uint64
	for _, c := range clients {
		if c.mw != nil {
			st := c.mw.Stats().Cache
			hits += st.Hits
			t.Logf("%s: hits %d, misses %d, fills %d, discarded %d, invalidations %d, flushes %v",
				c.name, st.Hits, st.Misses, st.Fills, st.Discarded, st.Invalidations, st.Flushes)
		}
	}
	if hits == 0 {
		t.Fatal("no read was served from the near cache: the test proves nothing")
	}
	t.Logf("%d operations; checking", len(rec.ops))
	res, info := porcupine.CheckOperationsVerbose(registerModel, rec.ops, time.Minute)
	switch res {
	case porcupine.Ok:
	case porcupine.Illegal:
		for _, part := range info.PartialLinearizationsOperations() {
			if len(part) > 0 {
				t.Logf("longest linearizable prefix of a failing key ends with %v", part[0][max(0, len(part[0])-3):])
				break
			}
		}
		t.Fatal("the history is not linearizable within the staleness bound and read-your-writes")
	default:
		t.Fatal("porcupine timed out; shorten -linearizability.duration")
	}
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
				rec.add(porcupine.Operation{ClientId: 100, Input: regOp{key: k, write: true}, Call: call, Output: int64(0), Return: ret})
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
		slot := nearcache.Slot(key)
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
