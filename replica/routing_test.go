package replica

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/split"
)

// calls returns how many times each server ran cmd (INFO commandstats).
func calls(t *testing.T, cmd string, servers ...*redistest.Server) []int64 {
	t.Helper()
	out := make([]int64, len(servers))
	for i, s := range servers {
		c := s.Client()
		text, err := c.Info(t.Context(), "commandstats").Result()
		_ = c.Close()
		if err != nil {
			t.Fatalf("INFO commandstats on %s: %v", s, err)
		}
		for _, line := range strings.Split(text, "\n") {
			rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":calls=")
			if ok {
				n, _ := strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
				out[i] = n
			}
		}
	}
	return out
}

// delta runs f and returns how many times each server ran cmd meanwhile.
func delta(t *testing.T, cmd string, servers []*redistest.Server, f func()) []int64 {
	t.Helper()
	before := calls(t, cmd, servers...)
	f()
	after := calls(t, cmd, servers...)
	for i := range after {
		after[i] -= before[i]
	}
	return after
}

// hotSet is a Hot predicate the test controls.
type hotSet struct{ m sync.Map }

func (h *hotSet) hot(key string) bool { _, ok := h.m.Load(key); return ok }
func (h *hotSet) set(keys ...string) {
	for _, k := range keys {
		h.m.Store(k, true)
	}
}

// newReplicated starts a primary with two replicas, writes keys and waits
// until the replicas have them.
func newReplicated(t *testing.T, keys ...string) (*redistest.Replicated, *redis.Client, []*redistest.Server) {
	t.Helper()
	rs := redistest.NewReplicated(t, 2, redistest.ServerOptions{})
	rdb := rs.Primary().Client()
	for _, k := range keys {
		if err := rdb.Set(t.Context(), k, "v:"+k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.Wait(t.Context(), 2, 5000).Err(); err != nil {
		t.Fatal(err)
	}
	return rs, rdb, append([]*redistest.Server{rs.Primary()}, rs.Replicas()...)
}

func newRouter(t *testing.T, c redis.UniversalClient, opts Options) *Router {
	t.Helper()
	if opts.RefreshInterval == 0 {
		opts.RefreshInterval = time.Hour // tests refresh by hand
	}
	r, err := New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	if err := r.Refresh(t.Context()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	return r
}

// TestRouting checks, on a primary with two replicas, that hot keys and
// patterns are read from the replicas in turn, everything else from the
// primary, and MGET split with its order kept.
func TestRouting(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, rdb, servers := newReplicated(t, "hot", "cold", "trend:1", "cold2")
	var hot hotSet
	hot.set("hot")
	r := newRouter(t, rdb, Options{Hot: hot.hot, Patterns: []string{"trend:*"}})
	if st := r.Replicas(); len(st) != 2 || !st[0].Usable || !st[1].Usable || st[0].Lag < 0 {
		t.Fatalf("Replicas() = %+v; want 2 usable replicas", st)
	}

	tests := []struct {
		name string
		key  string
		want []int64 // GETs on primary, replica 1, replica 2
	}{
		{"hot key, round robin", "hot", []int64{0, 50, 50}},
		{"pattern", "trend:1", []int64{0, 50, 50}},
		{"cold key", "cold", []int64{100, 0, 0}},
	}
	for _, tc := range tests {
		got := delta(t, "get", servers, func() {
			for range 100 {
				if v, err := r.Get(ctx, tc.key).Result(); v != "v:"+tc.key || err != nil {
					t.Fatalf("%s: Get(%s) = %q, %v", tc.name, tc.key, v, err)
				}
			}
		})
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: GETs on primary and replicas = %v; want %v", tc.name, got, tc.want)
		}
	}

	// Writes go to the primary, even of hot keys.
	if err := r.Process(ctx, redis.NewStatusCmd(ctx, "set", "hot", "v:hot")); err != nil {
		t.Fatalf("SET through the router: %v", err)
	}

	got := delta(t, "mget", servers, func() {
		vals, err := r.MGet(ctx, "cold", "hot", "missing", "trend:1", "cold2").Result()
		want := []any{"v:cold", "v:hot", nil, "v:trend:1", "v:cold2"}
		if err != nil || !slices.Equal(vals, want) {
			t.Errorf("MGet = %v, %v; want %v", vals, err, want)
		}
	})
	if got[0] != 1 || got[1]+got[2] != 1 {
		t.Errorf("MGETs on primary and replicas = %v; want one on the primary and one on one replica", got)
	}

	// The same through a hook on a client of the primary.
	hooked := servers[0].Client()
	hooked.AddHook(r.Hook())
	got = delta(t, "get", servers, func() {
		for range 10 {
			if v, _ := hooked.Get(ctx, "hot").Result(); v != "v:hot" {
				t.Fatalf("hooked Get(hot) = %q", v)
			}
		}
	})
	if got[0] != 0 || got[1]+got[2] != 10 {
		t.Errorf("hooked: GETs on primary and replicas = %v; want all 10 on replicas", got)
	}

	// LowestLatency keeps to one replica.
	fast := newRouter(t, rdb, Options{Hot: hot.hot, Balance: LowestLatency})
	got = delta(t, "get", servers, func() {
		for range 20 {
			fast.Get(ctx, "hot")
		}
	})
	if got[0] != 0 || (got[1] != 20 && got[2] != 20) {
		t.Errorf("LowestLatency: GETs on primary and replicas = %v; want all 20 on one replica", got)
	}
	if s := r.Stats(); s.ReplicaReads == 0 || s.PrimaryReads == 0 || s.Fallbacks != 0 {
		t.Errorf("Stats() = %+v; want replica and primary reads and no fallback", s)
	}
}

// TestReplicaFaults pauses, kills and overloads replicas and checks that
// reads skip them and never fail.
func TestReplicaFaults(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, rdb, servers := newReplicated(t, "hot")
	primary, a, b := servers[0], servers[1], servers[2]
	var hot hotSet
	hot.set("hot")
	r := newRouter(t, rdb, Options{Hot: hot.hot, Timeout: 100 * time.Millisecond})
	read := func(n int) {
		for range n {
			if v, err := r.Get(ctx, "hot").Result(); v != "v:hot" || err != nil {
				t.Fatalf("Get(hot) = %q, %v", v, err)
			}
		}
	}

	// A paused replica does not answer PING: the refresh drops it.
	if err := a.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	st := r.Replicas()
	if i := slices.IndexFunc(st, func(s Status) bool { return s.Addr == a.Addr() }); i < 0 || st[i].Usable || !strings.HasPrefix(st[i].Reason, "down") {
		t.Errorf("paused replica: %+v; want not usable, down", st)
	}
	servers3 := []*redistest.Server{primary, b}
	if got := delta(t, "get", servers3, func() { read(20) }); got[0] != 0 || got[1] != 20 {
		t.Errorf("with a paused: GETs on primary, other replica = %v; want 0, 20", got)
	}
	if err := a.Resume(); err != nil {
		t.Fatal(err)
	}

	// A replica that lags more than MaxLag is dropped. Replicas acknowledge
	// once a second, so under a steady write load one byte of slack is
	// exceeded at every refresh.
	laggy := newRouter(t, rdb, Options{Hot: hot.hot, MaxLag: 1})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			rdb.Set(ctx, "churn", i, 0)
			time.Sleep(time.Millisecond)
		}
	})
	time.Sleep(50 * time.Millisecond)
	if err := laggy.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	for _, s := range laggy.Replicas() {
		if s.Usable || !strings.HasPrefix(s.Reason, "lagging") || s.Lag <= 1 {
			t.Errorf("replica %s under writes with MaxLag 1: %+v; want lagging", s.Addr, s)
		}
	}
	if got := delta(t, "get", servers, func() {
		for range 10 {
			laggy.Get(ctx, "hot")
		}
	}); got[0] != 10 {
		t.Errorf("all replicas lagging: GETs on primary and replicas = %v; want all 10 on the primary", got)
	}

	// A killed replica fails the next read sent to it: that read goes to
	// the primary and the replica is skipped from then on.
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Kill(); err != nil {
		t.Fatal(err)
	}
	got := delta(t, "get", []*redistest.Server{primary, a}, func() { read(20) })
	if s := r.Stats(); s.Fallbacks != 1 || got[0] != 1 || got[1] != 19 {
		t.Errorf("after a kill: %d fallbacks, GETs on primary and live replica = %v; want 1 fallback and 1, 19", s.Fallbacks, got)
	}
	if err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if st := r.Replicas(); len(st) != 1 || !st[0].Usable || st[0].Addr != a.Addr() {
		t.Errorf("after a kill and a refresh: %+v; want only the live replica, which the primary still lists", st)
	}
}

// TestReadYourWrites checks that a key this client wrote is read from the
// primary for the window, and from replicas after it.
func TestReadYourWrites(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	_, rdb, servers := newReplicated(t, "hot")
	var hot hotSet
	hot.set("hot", "other")
	var c clock
	c.ns.Store(time.Now().UnixNano())
	r := newRouter(t, rdb, Options{Hot: hot.hot, ReadYourWrites: 500 * time.Millisecond, Now: c.now})
	read := func(key string) []int64 {
		return delta(t, "get", servers, func() {
			if v, err := r.Get(ctx, key).Result(); v != "new" && err != redis.Nil {
				t.Fatalf("Get(%s) = %q, %v; want its new value", key, v, err)
			}
		})
	}
	if err := r.Process(ctx, redis.NewStatusCmd(ctx, "set", "hot", "new")); err != nil {
		t.Fatal(err)
	}
	if got := read("hot"); got[0] != 1 {
		t.Errorf("Get right after SET: GETs on primary and replicas = %v; want the primary", got)
	}
	c.advance(time.Second)
	if err := rdb.Wait(ctx, 2, 5000).Err(); err != nil {
		t.Fatal(err)
	}
	if got := read("hot"); got[0] != 0 {
		t.Errorf("Get after the window: GETs on primary and replicas = %v; want a replica", got)
	}
	// A write whose keys are unknown (EVAL without keys) covers every key.
	if err := r.Process(ctx, redis.NewCmd(ctx, "eval", "redis.call('set', 'other', 'new') return 1", 0)); err != nil {
		t.Fatal(err)
	}
	if got := read("other"); got[0] != 1 {
		t.Errorf("Get after EVAL without keys: GETs on primary and replicas = %v; want the primary", got)
	}
}

// TestClusterRouting checks that, in a cluster, only hot keys' reads go to
// a replica of their slot's primary, and that a killed replica sends them
// back to the primary.
func TestClusterRouting(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := redistest.NewCluster(t, redistest.ClusterOptions{Primaries: 3, ReplicasPerPrimary: 1})
	rdb := c.Client()
	keys := []string{"hot:a", "hot:b", "cold:a", "{hot:a}:2"}
	for _, k := range keys {
		if err := rdb.Set(ctx, k, "v:"+k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	_ = rdb.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return n.Wait(ctx, 1, 5000).Err() })
	var hot hotSet
	hot.set("hot:a", "hot:b", "{hot:a}:2")
	r := newRouter(t, rdb, Options{Hot: hot.hot})
	if st := r.Replicas(); len(st) != 3 || slices.ContainsFunc(st, func(s Status) bool { return !s.Usable }) {
		t.Fatalf("Replicas() = %+v; want 3 usable replicas", st)
	}
	rdb.AddHook(r.Hook())

	for _, k := range keys {
		primary := c.NodeForSlot(split.Slot(k))
		replica := c.ReplicasOf(primary)[0]
		got := delta(t, "get", []*redistest.Server{primary, replica}, func() {
			for range 10 {
				if v, err := rdb.Get(ctx, k).Result(); v != "v:"+k || err != nil {
					t.Fatalf("Get(%s) = %q, %v", k, v, err)
				}
			}
		})
		want := []int64{10, 0}
		if hot.hot(k) {
			want = []int64{0, 10}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: GETs on its primary and replica = %v; want %v", k, got, want)
		}
	}
	// An MGET of two hot keys of one slot goes to that slot's replica.
	primary := c.NodeForSlot(split.Slot("hot:a"))
	replica := c.ReplicasOf(primary)[0]
	got := delta(t, "mget", []*redistest.Server{primary, replica}, func() {
		vals, err := rdb.MGet(ctx, "hot:a", "{hot:a}:2").Result()
		if err != nil || fmt.Sprint(vals) != "[v:hot:a v:{hot:a}:2]" {
			t.Errorf("MGet = %v, %v", vals, err)
		}
	})
	if !slices.Equal(got, []int64{0, 1}) {
		t.Errorf("MGET of a slot's hot keys on its primary and replica = %v; want [0 1]", got)
	}

	if err := replica.Kill(); err != nil {
		t.Fatal(err)
	}
	got = delta(t, "get", []*redistest.Server{primary}, func() {
		for range 5 {
			if v, err := rdb.Get(ctx, "hot:a").Result(); v != "v:hot:a" || err != nil {
				t.Fatalf("Get(hot:a) with its replica dead = %q, %v", v, err)
			}
		}
	})
	if got[0] != 5 || r.Stats().Fallbacks != 1 {
		t.Errorf("with the replica dead: %v GETs on the primary, %d fallbacks; want 5 and 1", got, r.Stats().Fallbacks)
	}
}
