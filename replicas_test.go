package redhot

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
	"github.com/redhot/redhot/replica"
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
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":calls="); ok {
				out[i], _ = strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
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

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}

// waitReplicas waits until the middleware's router finds n usable
// replicas.
func waitReplicas(t *testing.T, mw *Middleware, n int) {
	t.Helper()
	waitFor(t, 15*time.Second, func() bool {
		usable := 0
		for _, r := range mw.Router().Replicas() {
			if r.Usable {
				usable++
			}
		}
		return usable == n
	}, strconv.Itoa(n)+" usable replicas")
}

// TestReplicaReadsStandalone: on a primary with two replicas, reads of a
// key the tracker finds hot and of a pinned key that the near cache does
// not answer go to the replicas, in turn; the near cache still answers
// the reads it caches; cold keys and writes go to the primary; a write is
// read back from the primary; pipelines go to the primary.
func TestReplicaReadsStandalone(t *testing.T) {
	ctx := t.Context()
	rs := redistest.NewReplicated(t, 2, redistest.ServerOptions{})
	servers := append([]*redistest.Server{rs.Primary()}, rs.Replicas()...)
	rdb := rs.Primary().Client()
	for _, k := range []string{"hot", "pinned", "cold"} {
		if err := rdb.Set(ctx, k, "v:"+k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rdb.Wait(ctx, 2, 5000).Err(); err != nil {
		t.Fatal(err)
	}
	clk := heat.NewFakeClock(time.Now())
	mw := attach(t, rdb, Options{
		Tracker:  heat.Options{Clock: clk},
		Replicas: &replica.Options{RefreshInterval: 50 * time.Millisecond},
	})
	waitMode(t, mw, nearcache.ModeTracking)
	waitReplicas(t, mw, 2)
	mw.Pin("pinned")

	// "hot" turns hot in the tracker: its reads so far went to the primary.
	got := delta(t, "getrange", servers, func() {
		for range 200 {
			if err := rdb.GetRange(ctx, "hot", 0, -1).Err(); err != nil {
				t.Fatal(err)
			}
		}
	})
	if got[0] != 200 {
		t.Errorf("GETRANGE of a key not yet hot on primary and replicas = %v; want all 200 on the primary", got)
	}
	clk.Add(100 * time.Millisecond)
	mw.Tracker().Evaluate()
	if !mw.Tracker().IsHot("hot") || mw.Tracker().IsHot("cold") {
		t.Fatalf("IsHot(hot) = %v, IsHot(cold) = %v; want true, false", mw.Tracker().IsHot("hot"), mw.Tracker().IsHot("cold"))
	}

	read := func(key string, n int) {
		t.Helper()
		for range n {
			if v, err := rdb.GetRange(ctx, key, 0, -1).Result(); v != "v:"+key || err != nil {
				t.Fatalf("GETRANGE %s = %q, %v; want %q", key, v, err, "v:"+key)
			}
		}
	}
	for _, tc := range []struct {
		key     string
		replica bool
	}{{"hot", true}, {"pinned", true}, {"cold", false}} {
		got := delta(t, "getrange", servers, func() { read(tc.key, 100) })
		switch {
		case tc.replica && (got[0] != 0 || got[1] == 0 || got[2] == 0 || sum(got) != 100):
			t.Errorf("GETRANGE %s on primary and replicas = %v; want all 100 on the replicas, both used", tc.key, got)
		case !tc.replica && !slices.Equal(got, []int64{100, 0, 0}):
			t.Errorf("GETRANGE %s on primary and replicas = %v; want all 100 on the primary", tc.key, got)
		}
	}

	// GET of the hot key is a read the near cache answers: no server sees
	// it once it is cached.
	cached(t, mw, "hot")
	got = delta(t, "get", servers, func() {
		for range 50 {
			if v, err := rdb.Get(ctx, "hot").Result(); v != "v:hot" || err != nil {
				t.Fatalf("GET hot = %q, %v", v, err)
			}
		}
	})
	if sum(got) > 2 { // a heartbeat arriving late may cost a fill
		t.Errorf("GET of a cached hot key on primary and replicas = %v; want the near cache to answer", got)
	}

	// A write goes to the primary, and the next read of the key too.
	got = delta(t, "set", servers[:1], func() {
		if err := rdb.Set(ctx, "hot", "v2", 0).Err(); err != nil {
			t.Fatal(err)
		}
	})
	if got[0] != 1 {
		t.Errorf("SET on the primary = %d; want 1", got[0])
	}
	got = delta(t, "getrange", servers, func() {
		if v, err := rdb.GetRange(ctx, "hot", 0, -1).Result(); v != "v2" || err != nil {
			t.Errorf("GETRANGE hot right after SET = %q, %v; want v2", v, err)
		}
	})
	if !slices.Equal(got, []int64{1, 0, 0}) {
		t.Errorf("GETRANGE of a key just written on primary and replicas = %v; want it on the primary", got)
	}
	// The same when the write is in a pipeline; and a pipeline's reads go
	// to the primary.
	got = delta(t, "getrange", servers, func() {
		pipe := rdb.Pipeline()
		pipe.Set(ctx, "pinned", "v3", 0)
		pipe.GetRange(ctx, "cold", 0, -1)
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if v, err := rdb.GetRange(ctx, "pinned", 0, -1).Result(); v != "v3" || err != nil {
			t.Errorf("GETRANGE pinned after a pipelined SET = %q, %v; want v3", v, err)
		}
	})
	if !slices.Equal(got, []int64{2, 0, 0}) {
		t.Errorf("pipelined GETRANGE and a read after a pipelined write on primary and replicas = %v; want both on the primary", got)
	}
	if st := mw.Stats().Replicas; st.ReplicaReads < 200 || st.PrimaryReads == 0 || st.Fallbacks != 0 {
		t.Errorf("Stats().Replicas = %+v; want at least 200 replica reads, some primary reads, no fallback", st)
	}
}

// TestReplicaReadsCluster: in a cluster with a replica per primary, reads
// of a pinned key go to the replica of its slot's primary, a cold key's to
// its primary, and a write is read back at once, from the primary.
func TestReplicaReadsCluster(t *testing.T) {
	ctx := t.Context()
	cl := redistest.NewCluster(t, redistest.ClusterOptions{Primaries: 3, ReplicasPerPrimary: 1})
	rdb := cl.Client()
	// The tracker's clock stands still and it is never evaluated: only the
	// pin makes a key hot, however fast the test reads.
	mw := attach(t, rdb, Options{
		DisableCache: true,
		Tracker:      heat.Options{Clock: heat.NewFakeClock(time.Now())},
		Replicas:     &replica.Options{RefreshInterval: 50 * time.Millisecond},
	})
	waitReplicas(t, mw, 3)
	mw.Pin("hot")
	// Written by another client: this one's own writes would keep its
	// reads of the keys on the primary for ReadYourWrites.
	other := cl.Client()
	for _, k := range []string{"hot", "cold"} {
		if err := other.Set(ctx, k, "v:"+k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	owner := cl.NodeForSlot(split.Slot("hot"))
	reps := cl.ReplicasOf(owner)
	if len(reps) != 1 {
		t.Fatalf("ReplicasOf(%s) = %v; want one", owner, reps)
	}
	// Until the replica has the keys, it answers nil.
	waitFor(t, 5*time.Second, func() bool {
		v, _ := rdb.Get(ctx, "hot").Result()
		return v == "v:hot"
	}, "the replica to have the key")

	nodes := cl.Nodes()
	index := func(s *redistest.Server) int { return slices.Index(nodes, s) }
	got := delta(t, "get", nodes, func() {
		for range 50 {
			if v, err := rdb.Get(ctx, "hot").Result(); v != "v:hot" || err != nil {
				t.Fatalf("GET hot = %q, %v", v, err)
			}
		}
	})
	if got[index(reps[0])] != 50 || sum(got) != 50 {
		t.Errorf("GET of a pinned key on the nodes %v = %v; want all 50 on %s, the replica of its slot's primary", nodes, got, reps[0])
	}
	coldOwner := cl.NodeForSlot(split.Slot("cold"))
	got = delta(t, "get", nodes, func() {
		for range 50 {
			if v, err := rdb.Get(ctx, "cold").Result(); v != "v:cold" || err != nil {
				t.Fatalf("GET cold = %q, %v", v, err)
			}
		}
	})
	if got[index(coldOwner)] != 50 || sum(got) != 50 {
		t.Errorf("GET of a cold key on the nodes %v = %v; want all 50 on its primary %s", nodes, got, coldOwner)
	}
	// Read your writes: after this client writes the key, its reads go to
	// the primary and see the write.
	got = delta(t, "get", nodes, func() {
		for i := range 20 {
			want := "w" + strconv.Itoa(i)
			if err := rdb.Set(ctx, "hot", want, 0).Err(); err != nil {
				t.Fatal(err)
			}
			if v, err := rdb.Get(ctx, "hot").Result(); v != want || err != nil {
				t.Fatalf("GET hot right after SET %s = %q, %v", want, v, err)
			}
		}
	})
	if got[index(owner)] != 20 || sum(got) != 20 {
		t.Errorf("GET right after SET on the nodes %v = %v; want all 20 on the primary %s", nodes, got, owner)
	}
}

// TestReplicasOptions: bad replica options fail New, naming the field, and
// leave nothing running (TestMain checks for leaks).
func TestReplicasOptions(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	_, err := New(rdb, Options{Replicas: &replica.Options{MaxLag: -1}, DisableCache: true})
	if err == nil || !strings.Contains(err.Error(), "MaxLag") || !strings.Contains(err.Error(), "Options.Replicas") {
		t.Errorf("New with Replicas.MaxLag -1: %v; want an error naming Options.Replicas and MaxLag", err)
	}
}
