package split

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
)

// newClusterSplitter starts a 3-primary cluster with a replica each and
// returns it with a client and a Splitter that has read the slot map.
// prepare, if not nil, runs on the client before anything uses it.
func newClusterSplitter(t *testing.T, opts Options, prepare func(*redis.ClusterClient), configure ...func(*redis.ClusterOptions)) (*redistest.Cluster, *redis.ClusterClient, *Splitter) {
	t.Helper()
	c := redistest.NewCluster(t, redistest.ClusterOptions{Primaries: 3, ReplicasPerPrimary: 1})
	rdb := c.Client(configure...)
	if prepare != nil {
		prepare(rdb)
	}
	s, err := New(rdb, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return c, rdb, s
}

// TestCluster checks key slots, placement and every object against a live
// 3-primary cluster.
func TestCluster(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	// pipelines counts pipelines per node, to check "one round trip per node".
	var pipelines sync.Map // addr -> *atomic.Int64
	c, rdb, s := newClusterSplitter(t, Options{}, func(rdb *redis.ClusterClient) {
		rdb.OnNewNode(func(n *redis.Client) {
			ctr, _ := pipelines.LoadOrStore(n.Options().Addr, new(atomic.Int64))
			n.AddHook(pipelineCounter{ctr.(*atomic.Int64)})
		})
	})
	countPipelines := func() map[string]int64 {
		out := map[string]int64{}
		pipelines.Range(func(k, v any) bool { out[k.(string)] = v.(*atomic.Int64).Load(); return true })
		return out
	}

	t.Run("keyslot", func(t *testing.T) {
		keys := []string{"views", "123456789", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap", "foo{bar", "a{b}c{d}e"}
		for i := range 50 {
			keys = append(keys, ShardKey("k"+strconv.Itoa(i), i%7, 7, true))
		}
		for _, k := range keys {
			want, err := rdb.ClusterKeySlot(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if got := Slot(k); got != int(want) {
				t.Errorf("Slot(%q) = %d; CLUSTER KEYSLOT says %d", k, got, want)
			}
		}
	})

	t.Run("placement", func(t *testing.T) {
		for _, n := range []int{2, 3, 6, 12} {
			ctr, err := s.Counter("placed:"+strconv.Itoa(n), CounterOptions{Shards: n})
			if err != nil {
				t.Fatal(err)
			}
			p := ctr.Placement()
			perNode := map[string]int{}
			for i, addr := range p.Nodes {
				if want := c.NodeForSlot(p.Slots[i]).Addr(); addr != want {
					t.Errorf("n=%d: shard %d on %s; the cluster says %s", n, i, addr, want)
				}
				perNode[addr]++
			}
			if p.Primaries != 3 || p.Distinct != min(n, 3) {
				t.Errorf("n=%d: %d distinct of %d primaries; want %d of 3", n, p.Distinct, p.Primaries, min(n, 3))
			}
			for addr, k := range perNode {
				if k != max(1, n/3) {
					t.Errorf("n=%d: %s holds %d shards; want %d", n, addr, k, max(1, n/3))
				}
			}
			if (p.Err() == nil) != (n <= 3) || (n > 3) != (p.Warning != "") {
				t.Errorf("n=%d: Err() = %v, Warning %q; want an error and a warning only for more shards than primaries", n, p.Err(), p.Warning)
			}
		}
	})

	t.Run("hash tag refused", func(t *testing.T) {
		for _, key := range []string{"user:{42}:views", "a{", "{}"} {
			if _, err := s.Counter(key, CounterOptions{}); !errors.Is(err, ErrHashTag) {
				t.Errorf("Counter(%q) error = %v; want ErrHashTag", key, err)
			}
			if _, err := s.Value(key, ValueOptions{}); !errors.Is(err, ErrHashTag) {
				t.Errorf("Value(%q) error = %v; want ErrHashTag", key, err)
			}
		}
	})

	t.Run("counter", func(t *testing.T) {
		ctr, err := s.Counter("views", CounterOptions{Shards: 12})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var errs atomic.Int64
		for range 16 {
			wg.Go(func() {
				for range 100 {
					if ctr.IncrBy(ctx, 3) != nil {
						errs.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if errs.Load() != 0 {
			t.Fatalf("%d increments failed", errs.Load())
		}
		before := countPipelines()
		total, err := ctr.Total(ctx)
		if err != nil || total != 16*100*3 {
			t.Fatalf("Total = %d, %v; want %d", total, err, 16*100*3)
		}
		after := countPipelines()
		for _, addr := range slices.Compact(slices.Sorted(slices.Values(ctr.Placement().Nodes))) {
			if d := after[addr] - before[addr]; d != 1 {
				t.Errorf("Total sent %d pipelines to %s; want 1", d, addr)
			}
		}
		used := 0
		for _, k := range ctr.Keys() {
			if n, _ := rdb.Exists(ctx, k).Result(); n == 1 {
				used++
			}
		}
		if used != 12 {
			t.Errorf("%d of 12 shards used by 4800 random increments; want all", used)
		}
		if err := ctr.Expire(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
		for _, k := range ctr.Keys() {
			if ttl := rdb.PTTL(ctx, k).Val(); ttl < 50*time.Second || ttl > time.Minute {
				t.Errorf("PTTL %s = %v after Expire(1m)", k, ttl)
			}
		}
		if err := ctr.Delete(ctx); err != nil {
			t.Fatal(err)
		}
		if total, err := ctr.Total(ctx); total != 0 || err != nil {
			t.Errorf("Total after Delete = %d, %v; want 0", total, err)
		}
	})

	t.Run("counter ttl and sticky", func(t *testing.T) {
		ctr, err := s.Counter("window:1", CounterOptions{Shards: 6, TTL: 30 * time.Second, Pick: PickSticky, ClientID: "web-7"})
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if err := ctr.Incr(ctx); err != nil {
				t.Fatal(err)
			}
		}
		want := ShardOf("web-7", 6)
		for i, k := range ctr.Keys() {
			v, _ := rdb.Get(ctx, k).Int()
			ttl := rdb.PTTL(ctx, k).Val()
			switch {
			case i == want && (v != 5 || ttl < 25*time.Second || ttl > 30*time.Second):
				t.Errorf("sticky shard %d: value %d, PTTL %v; want 5 and about 30s", i, v, ttl)
			case i != want && v != 0:
				t.Errorf("shard %d holds %d; want every increment on shard %d", i, v, want)
			}
		}
		// A shard holding a non-integer: a Redis error, so not applied, and
		// not an unknown outcome.
		rdb.Set(ctx, ctr.Keys()[want], "x", 0)
		err = ctr.Incr(ctx)
		var rerr redis.Error
		if err == nil || errors.Is(err, ErrUnknownOutcome) || !errors.As(err, &rerr) {
			t.Errorf("Incr on a non-integer shard: %v; want a Redis error that is not ErrUnknownOutcome", err)
		}
		if _, err := ctr.Total(ctx); err == nil {
			t.Error("Total with a non-integer shard succeeded; want an error")
		}
	})

	t.Run("value", func(t *testing.T) {
		val, err := s.Value("flags", ValueOptions{Copies: 6, VerifyEvery: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := val.Get(ctx); !errors.Is(err, redis.Nil) {
			t.Fatalf("Get before Set = %v; want redis.Nil", err)
		}
		before := countPipelines()
		if err := val.Set(ctx, "on", time.Minute); err != nil {
			t.Fatal(err)
		}
		after := countPipelines()
		for _, addr := range slices.Compact(slices.Sorted(slices.Values(val.Placement().Nodes))) {
			if d := after[addr] - before[addr]; d != 1 {
				t.Errorf("Set sent %d pipelines to %s; want 1", d, addr)
			}
		}
		recs := readCopies(t, rdb, val)
		for i, r := range recs {
			if r["d"] != "on" || r["v"] != recs[0]["v"] || r["pttl"] == "" {
				t.Errorf("copy %d = %v; want d=on, version %s and a TTL", i, r, recs[0]["v"])
			}
		}
		for range 20 {
			if got, err := val.Get(ctx); got != "on" || err != nil {
				t.Fatalf("Get = %q, %v; want on", got, err)
			}
		}
		if err := val.Expire(ctx, 0); err != nil {
			t.Fatal(err)
		}
		for _, k := range val.Keys() {
			if ttl := rdb.PTTL(ctx, k).Val(); ttl != -1 {
				t.Errorf("PTTL %s = %v after Expire(0); want none", k, ttl)
			}
		}
		if err := val.Delete(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := val.Get(ctx); !errors.Is(err, redis.Nil) {
			t.Errorf("Get after Delete = %v; want redis.Nil", err)
		}
		for i, r := range readCopies(t, rdb, val) {
			if _, has := r["d"]; has || r["pttl"] == "" {
				t.Errorf("copy %d after Delete = %v; want a tombstone with a TTL", i, r)
			}
		}
	})

	t.Run("value repair", func(t *testing.T) {
		// Reads go to copy `next`, so each case reads the copy it broke.
		var next atomic.Int64
		s2, err := New(rdb, Options{Rand: func(n int) int { return int(next.Load()) % n }})
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		val, _ := s2.Value("repair", ValueOptions{Copies: 6, VerifyEvery: -1})
		if err := val.Set(ctx, "v1", time.Minute); err != nil {
			t.Fatal(err)
		}
		v1 := readCopies(t, rdb, val)[0]

		// A missing copy: Get reads it, finds nothing, reads all, repairs.
		rdb.Del(ctx, val.Keys()[2])
		next.Store(2)
		if got, err := val.Get(ctx); got != "v1" || err != nil {
			t.Fatalf("Get with copy 2 missing = %q, %v; want v1", got, err)
		}
		if r := readCopies(t, rdb, val)[2]; r["v"] != v1["v"] || r["d"] != "v1" || r["pttl"] == "" {
			t.Errorf("copy 2 after Get = %v; want repaired to %v with a TTL", r, v1)
		}

		// A half-applied update: a writer that died after one copy. Verify
		// finds it and rolls it forward.
		newer, _ := strconv.ParseInt(v1["v"], 10, 64)
		rdb.Eval(ctx, copySet.src, []string{val.Keys()[4]}, newer+1000, 7, "1", "v2", 60000)
		rep, err := val.Verify(ctx)
		if err != nil || rep.Version != newer+1000 || len(rep.Stale) != 5 || rep.Repaired != 5 || rep.Consistent() {
			t.Errorf("Verify = %+v, %v; want version %d found on copy 4, the 5 others stale and repaired", rep, err, newer+1000)
		}
		if rep, _ := val.Verify(ctx); !rep.Consistent() || rep.Version != newer+1000 {
			t.Errorf("second Verify = %+v; want consistent", rep)
		}
		for i := range 6 {
			next.Store(int64(i))
			if got, _ := val.Get(ctx); got != "v2" {
				t.Errorf("Get copy %d = %q; want v2", i, got)
			}
		}

		// A stale copy older than what this Value has seen: Get notices and
		// returns the newest, never going back.
		rdb.Del(ctx, val.Keys()[1])
		rdb.Eval(ctx, copySet.src, []string{val.Keys()[1]}, 5, 1, "1", "ancient", 0)
		next.Store(1)
		if got, _ := val.Get(ctx); got != "v2" {
			t.Errorf("Get of a copy older than seen = %q; want v2", got)
		}
		if r := readCopies(t, rdb, val)[1]; r["d"] != "v2" {
			t.Errorf("copy 1 = %v; want repaired to v2", r)
		}

		// A copy that missed a Delete: repaired to the tombstone, and the
		// old value does not come back.
		if err := val.Delete(ctx); err != nil {
			t.Fatal(err)
		}
		rdb.Del(ctx, val.Keys()[3])
		rdb.Eval(ctx, copySet.src, []string{val.Keys()[3]}, newer+1000, 7, "1", "v2", 0)
		other, _ := New(rdb, Options{Rand: func(n int) int { return 3 % n }}) // a process that has seen nothing
		defer other.Close()
		oval, _ := other.Value("repair", ValueOptions{Copies: 6, VerifyEvery: 1})
		if got, err := oval.Get(ctx); !errors.Is(err, redis.Nil) {
			t.Errorf("Get of a copy that missed the Delete, verifying = %q, %v; want redis.Nil", got, err)
		}
		if r := readCopies(t, rdb, val)[3]; r["d"] != "" {
			t.Errorf("copy 3 = %v; want the tombstone", r)
		}
	})

	t.Run("value nearest", func(t *testing.T) {
		val, _ := s.Value("near", ValueOptions{Copies: 6, Read: ReadNearest})
		if err := val.Set(ctx, "x", 0); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			if got, err := val.Get(ctx); got != "x" || err != nil {
				t.Fatalf("Get = %q, %v; want x", got, err)
			}
		}
	})

	t.Run("set", func(t *testing.T) {
		set, err := s.Set("followers", ShardedOptions{Shards: 6})
		if err != nil {
			t.Fatal(err)
		}
		model := map[string]bool{}
		rng := rand.New(rand.NewPCG(1, 2))
		for round := range 20 {
			var add, rem []string
			for range 20 {
				add = append(add, "u"+strconv.Itoa(rng.IntN(200)))
				rem = append(rem, "u"+strconv.Itoa(rng.IntN(200)))
			}
			wantAdded := 0
			for _, m := range slices.Compact(slices.Sorted(slices.Values(add))) {
				if !model[m] {
					wantAdded++
					model[m] = true
				}
			}
			if n, err := set.SAdd(ctx, add...); err != nil || n != int64(wantAdded) {
				t.Fatalf("round %d: SAdd = %d, %v; want %d", round, n, err, wantAdded)
			}
			if round%2 == 1 {
				wantRemoved := 0
				for _, m := range slices.Compact(slices.Sorted(slices.Values(rem))) {
					if model[m] {
						wantRemoved++
						delete(model, m)
					}
				}
				if n, err := set.SRem(ctx, rem...); err != nil || n != int64(wantRemoved) {
					t.Fatalf("round %d: SRem = %d, %v; want %d", round, n, err, wantRemoved)
				}
			}
		}
		if n, err := set.SCard(ctx); err != nil || n != int64(len(model)) {
			t.Errorf("SCard = %d, %v; want %d", n, err, len(model))
		}
		members, err := set.SMembers(ctx)
		if slices.Sort(members); err != nil || !slices.Equal(members, slices.Sorted(maps.Keys(model))) {
			t.Errorf("SMembers = %v, %v; want %v", members, err, slices.Sorted(maps.Keys(model)))
		}
		for i := range 200 {
			m := "u" + strconv.Itoa(i)
			if ok, err := set.SIsMember(ctx, m); err != nil || ok != model[m] {
				t.Errorf("SIsMember(%s) = %v, %v; want %v", m, ok, err, model[m])
			}
			if model[m] {
				if ok, _ := rdb.SIsMember(ctx, ShardKey("followers", ShardOf(m, 6), 6, true), m).Result(); !ok {
					t.Errorf("%s is not in shard ShardOf(%s, 6) = %d", m, m, ShardOf(m, 6))
				}
			}
		}
		if err := set.Delete(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := set.SCard(ctx); n != 0 {
			t.Errorf("SCard after Delete = %d; want 0", n)
		}
	})

	t.Run("hash", func(t *testing.T) {
		h, err := s.Hash("profiles", ShardedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := h.HSet(ctx, "alice", "1", "bob", "2", "carol", "3", "alice", "4"); n != 3 || err != nil {
			t.Fatalf("HSet = %d, %v; want 3 new fields", n, err)
		}
		if n, err := h.HSet(ctx, "bob", "5", "dave", "6"); n != 1 || err != nil {
			t.Fatalf("HSet = %d, %v; want 1 new field", n, err)
		}
		if _, err := h.HSet(ctx, "odd"); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("HSet with an odd argument count: %v; want ErrInvalidOptions", err)
		}
		want := map[string]string{"alice": "4", "bob": "5", "carol": "3", "dave": "6"}
		for f, v := range want {
			if got, err := h.HGet(ctx, f); got != v || err != nil {
				t.Errorf("HGet(%s) = %q, %v; want %q", f, got, err, v)
			}
			if got := rdb.HGet(ctx, h.KeyFor(f), f).Val(); got != v {
				t.Errorf("shard %s holds %s=%q; want %q", h.KeyFor(f), f, got, v)
			}
		}
		if _, err := h.HGet(ctx, "zed"); !errors.Is(err, redis.Nil) {
			t.Errorf("HGet(zed) error = %v; want redis.Nil", err)
		}
		if all, err := h.HGetAll(ctx); err != nil || !maps.Equal(all, want) {
			t.Errorf("HGetAll = %v, %v; want %v", all, err, want)
		}
		if n, err := h.HDel(ctx, "alice", "zed"); n != 1 || err != nil {
			t.Errorf("HDel = %d, %v; want 1", n, err)
		}
		if n, err := h.HLen(ctx); n != 3 || err != nil {
			t.Errorf("HLen = %d, %v; want 3", n, err)
		}
	})
}

// pipelineCounter is a hook that counts pipelines, except those that set
// up a new connection (HELLO, CLIENT SETINFO).
type pipelineCounter struct{ n *atomic.Int64 }

func (pipelineCounter) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (pipelineCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h pipelineCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && cmds[0].Name() != "hello" && cmds[0].Name() != "client" && cmds[0].Name() != "auth" {
			h.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// readCopies returns every copy of val as its hash fields plus "pttl" (""
// without a TTL).
func readCopies(t *testing.T, rdb redis.UniversalClient, val *Value) []map[string]string {
	t.Helper()
	out := make([]map[string]string, len(val.Keys()))
	for i, k := range val.Keys() {
		m, err := rdb.HGetAll(t.Context(), k).Result()
		if err != nil {
			t.Fatalf("HGETALL %s: %v", k, err)
		}
		if ttl := rdb.PTTL(t.Context(), k).Val(); ttl > 0 {
			m["pttl"] = ttl.String()
		}
		out[i] = m
	}
	return out
}

// tally counts the outcomes of increments.
type tally struct{ acked, unknown, failed atomic.Int64 }

func (c *tally) record(err error, delta int64) {
	switch {
	case err == nil:
		c.acked.Add(delta)
	case errors.Is(err, ErrUnknownOutcome), errors.Is(err, ErrNotReplicated):
		c.unknown.Add(delta)
	default:
		c.failed.Add(delta)
	}
}

// TestClusterFaults moves a slot and fails a primary over while 16
// goroutines increment a counter and a value is rewritten and read, then
// checks that no acknowledged increment was lost or doubled and that the
// copies agree.
func TestClusterFaults(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, rdb, s := newClusterSplitter(t, Options{RefreshInterval: 50 * time.Millisecond}, nil)
	ctr, _ := s.Counter("faulty", CounterOptions{Shards: 12})
	three, _ := s.Counter("three", CounterOptions{Shards: 3})
	lazy, _ := New(rdb, Options{RefreshInterval: time.Hour}) // refreshes when asked
	defer lazy.Close()
	lazyThree, _ := lazy.Counter("three", CounterOptions{Shards: 3})
	val, _ := s.Value("faulty:value", ValueOptions{Copies: 6, VerifyEvery: 20})
	for range 30 {
		if err := three.Incr(ctx); err != nil {
			t.Fatal(err)
		}
	}

	run, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var ctrTally tally
	for g := range 16 {
		wg.Go(func() {
			for run.Err() == nil {
				delta := int64(1 + g%3)
				ctrTally.record(ctr.IncrBy(ctx, delta), delta)
			}
		})
	}
	var lastAcked, lastTried atomic.Int64
	wg.Go(func() {
		for n := int64(1); run.Err() == nil; n++ {
			lastTried.Store(n)
			if val.Set(ctx, strconv.FormatInt(n, 10), time.Minute) == nil {
				lastAcked.Store(n)
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	var backwards, reads atomic.Int64
	for range 2 {
		wg.Go(func() {
			prev := int64(0)
			for run.Err() == nil {
				got, err := val.Get(ctx)
				if err != nil {
					continue
				}
				n, _ := strconv.ParseInt(got, 10, 64)
				if n < prev {
					backwards.Add(1)
				}
				prev = max(prev, n)
				reads.Add(1)
			}
		})
	}

	pause := func() { time.Sleep(300 * time.Millisecond) }
	pause()
	// Move shard 0 of "three" to the primary of its shard 1: the data moves
	// with the slot, and the placement report follows.
	p3 := three.Placement()
	slot0, to := p3.Slots[0], c.NodeForSlot(p3.Slots[1])
	if err := lazy.Refresh(ctx); err != nil || lazyThree.Placement().Nodes[0] == to.Addr() {
		t.Fatalf("before the move: Refresh %v, shard 0 on %s; want it elsewhere", err, lazyThree.Placement().Nodes[0])
	}
	mctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := c.MoveSlot(mctx, slot0, to); err != nil {
		t.Fatal(err)
	}
	// And a slot holding a shard of the busy counter and a copy.
	if err := c.MoveSlot(mctx, ctr.Placement().Slots[5], c.NodeForSlot(ctr.Placement().Slots[0])); err != nil {
		t.Fatal(err)
	}
	pause()
	primary := c.NodeForSlot(ctr.Placement().Slots[2])
	if err := c.Failover(mctx, c.ReplicasOf(primary)[0]); err != nil {
		t.Fatal(err)
	}
	pause()
	stop()
	wg.Wait()

	total, err := ctr.Total(ctx)
	if err != nil {
		t.Fatalf("Total: %v", err)
	}
	acked, unknown := ctrTally.acked.Load(), ctrTally.unknown.Load()
	t.Logf("counter: total %d, acknowledged %d, unknown %d, failed %d", total, acked, unknown, ctrTally.failed.Load())
	if acked == 0 || total < acked || total > acked+unknown {
		t.Errorf("Total = %d; want between acknowledged %d and acknowledged+unknown %d", total, acked, acked+unknown)
	}

	if n, err := three.Total(ctx); n != 30 || err != nil {
		t.Errorf("three: Total after its slot moved = %d, %v; want 30", n, err)
	}
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if p := three.Placement(); p.Distinct != 2 || p.Nodes[0] != to.Addr() || p.Warning == "" {
		t.Errorf("three: Placement after the move = %+v; want shard 0 on %s, 2 distinct primaries and a warning", p, to)
	}
	lazy.RefreshSoon()
	onTo := func() bool { p := lazyThree.Placement(); return len(p.Nodes) > 0 && p.Nodes[0] == to.Addr() }
	for deadline := time.Now().Add(5 * time.Second); !onTo(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("RefreshSoon: placement still %+v after 5s; want shard 0 on %s", lazyThree.Placement(), to)
		}
	}

	t.Logf("value: %d reads, last Set acknowledged %d, tried %d", reads.Load(), lastAcked.Load(), lastTried.Load())
	if backwards.Load() != 0 {
		t.Errorf("a reader saw the value go back %d times", backwards.Load())
	}
	rep, err := val.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep, _ := val.Verify(ctx); !rep.Consistent() {
		t.Errorf("second Verify = %+v; want every copy on the newest version", rep)
	}
	got, _ := val.Get(ctx)
	if n, _ := strconv.ParseInt(got, 10, 64); n < lastAcked.Load() || n > lastTried.Load() {
		t.Errorf("value = %s after the faults; want between the last acknowledged %d and the last tried %d (Verify found %+v)", got, lastAcked.Load(), lastTried.Load(), rep)
	}
	versions := map[string]bool{}
	for _, r := range readCopies(t, rdb, val) {
		versions[r["v"]+"/"+r["d"]] = true
	}
	if len(versions) != 1 {
		t.Errorf("copies hold %d different versions: %v", len(versions), versions)
	}
}

// TestClusterCrash kills a primary (no coordinated failover: what it had
// not replicated is gone) while increments wait for a replica, and checks
// that every acknowledged increment survived.
func TestClusterCrash(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, _, s := newClusterSplitter(t, Options{WaitReplicas: 1, WaitTimeout: 500 * time.Millisecond}, nil,
		func(o *redis.ClusterOptions) { o.DialTimeout = 200 * time.Millisecond })
	ctr, _ := s.Counter("crashy", CounterOptions{Shards: 12})
	run, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var tl tally
	for range 8 {
		wg.Go(func() {
			for run.Err() == nil {
				tl.record(ctr.IncrBy(ctx, 1), 1)
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	victim := c.NodeForSlot(ctr.Placement().Slots[0])
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	fctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := c.Failover(fctx, c.ReplicasOf(victim)[0]); err != nil {
		t.Fatal(err)
	}
	// Writes to the promoted replica resume once go-redis sees the new map.
	deadline := time.Now().Add(10 * time.Second)
	for before := tl.acked.Load(); ; time.Sleep(50 * time.Millisecond) {
		if tl.acked.Load() > before+100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("increments did not resume after the failover")
		}
	}
	stop()
	wg.Wait()
	var total int64
	var err error
	for range 50 { // the cluster client may still be catching up on the map
		if total, err = ctr.Total(ctx); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Total: %v", err)
	}
	acked, unknown := tl.acked.Load(), tl.unknown.Load()
	t.Logf("total %d, acknowledged %d, unknown or not replicated %d, failed %d", total, acked, unknown, tl.failed.Load())
	if total < acked || total > acked+unknown {
		t.Errorf("Total = %d; want between acknowledged %d and acknowledged+unknown %d", total, acked, acked+unknown)
	}
}
