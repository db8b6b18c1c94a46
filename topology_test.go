package redhot

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/internal/keyslot"
	"github.com/redhot/redhot/nearcache"
)

func TestReplicatedFailover(t *testing.T) {
	rep := redistest.NewReplicated(t, 1, redistest.ServerOptions{})
	ctx := context.Background()
	old := rep.Primary()
	mw := attach(t, old.Client(), Options{})
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("k")
	old.Client().Set(ctx, "k", "v1", 0)
	cached(t, mw, "k")

	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := rep.Promote(pctx, rep.Replicas()[0]); err != nil {
		t.Fatal(err)
	}
	// The client still points at the old primary, now a replica: the
	// heartbeat sees the role change and drops its entries.
	waitFor(t, 2*time.Second, func() bool { return mw.Stats().Cache.Flushes[nearcache.FlushRole] >= 1 }, "a role-change flush")
	// Writes to the new primary reach the old one by replication, and
	// their invalidations reach the cache.
	rep.Primary().Client().Set(ctx, "k", "v2", 0)
	d := eventually(t, mw, "k", "v2", time.Second)
	t.Logf("write on the new primary seen through the old one after %v", d)
	cached(t, mw, "k")
	rep.Primary().Client().Set(ctx, "k", "v3", 0)
	eventually(t, mw, "k", "v3", time.Second)
}

// clusterKey returns a key whose slot the test can name.
const clusterKey = "{user1000}.profile"

func TestClusterCache(t *testing.T) {
	cl := redistest.NewCluster(t, redistest.ClusterOptions{Primaries: 3, ReplicasPerPrimary: 1})
	ctx := context.Background()
	rdb := cl.Client()
	other := cl.Client()
	mw := attach(t, rdb, Options{})
	mw.Pin(clusterKey)
	mw.Pin("{user1000}.b")
	other.Set(ctx, clusterKey, "v1", 0)
	cached(t, mw, clusterKey)
	if got := mw.Stats().Cache.Mode; got != nearcache.ModeTracking {
		t.Fatalf("Mode = %v; want tracking", got)
	}
	other.Set(ctx, clusterKey, "v2", 0)
	d := eventually(t, mw, clusterKey, "v2", time.Second)
	t.Logf("cluster: remote write seen after %v", d)

	// MGET of keys in one slot, one cached and one not.
	other.Set(ctx, "{user1000}.b", "b1", 0)
	cached(t, mw, clusterKey)
	vals, err := rdb.MGet(ctx, clusterKey, "{user1000}.b", "{user1000}.none").Result()
	if err != nil || len(vals) != 3 || vals[0] != "v2" || vals[1] != "b1" || vals[2] != nil {
		t.Fatalf("MGET = %v, %v; want [v2 b1 <nil>]", vals, err)
	}
	if _, _, ok := mw.cache.GetString("{user1000}.b"); ok {
		t.Error("MGET's element was published under the GET variant")
	}
	if v := mw.cache.Lookup("{user1000}.b", nearcache.IDMGet); v == nil || v.Str != "b1" {
		t.Errorf("MGET did not cache its pinned miss: %+v", v)
	}
}

func TestClusterFailover(t *testing.T) {
	cl := redistest.NewCluster(t, redistest.ClusterOptions{Primaries: 3, ReplicasPerPrimary: 1})
	ctx := context.Background()
	mw := attach(t, cl.Client(), Options{})
	other := cl.Client()
	mw.Pin(clusterKey)
	other.Set(ctx, clusterKey, "v1", 0)
	cached(t, mw, clusterKey)

	owner := cl.NodeForSlot(keyslot.Slot(clusterKey))
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := cl.Failover(fctx, cl.ReplicasOf(owner)[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, func() bool {
		f := mw.Stats().Cache.Flushes
		return f[nearcache.FlushRole]+f[nearcache.FlushSlots] >= 1
	}, "a flush for the failover")
	other.Set(ctx, clusterKey, "v2", 0)
	d := eventually(t, mw, clusterKey, "v2", 2*time.Second)
	t.Logf("write after the failover seen after %v", d)
	cached(t, mw, clusterKey)
	other.Set(ctx, clusterKey, "v3", 0)
	eventually(t, mw, clusterKey, "v3", time.Second)
}

func TestClusterSlotMigration(t *testing.T) {
	cl := redistest.NewCluster(t, redistest.ClusterOptions{Primaries: 3})
	ctx := context.Background()
	mw := attach(t, cl.Client(), Options{})
	other := cl.Client()
	mw.Pin(clusterKey)
	other.Set(ctx, clusterKey, "v1", 0)
	cached(t, mw, clusterKey)

	slot := keyslot.Slot(clusterKey)
	owner := cl.NodeForSlot(slot)
	var to *redistest.Server
	for _, p := range cl.Primaries() {
		if p != owner {
			to = p
			break
		}
	}
	mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := cl.MoveSlot(mctx, slot, to); err != nil {
		t.Fatal(err)
	}
	other.Set(ctx, clusterKey, "v2", 0)
	d := eventually(t, mw, clusterKey, "v2", 2*time.Second)
	t.Logf("write on the new owner seen after %v", d)
	waitFor(t, 2*time.Second, func() bool {
		f := mw.Stats().Cache
		return f.Flushes[nearcache.FlushSlots] >= 1
	}, "a slots-moved flush")
	cached(t, mw, clusterKey)
	other.Set(ctx, clusterKey, "v3", 0)
	eventually(t, mw, clusterKey, "v3", time.Second)
}

// TestRedirectMode runs the near cache against a server that does not
// speak RESP3 (HELLO renamed away): tracking is redirected to a RESP2
// subscriber.
func TestRedirectMode(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{Config: []string{`rename-command HELLO ""`}})
	ctx := context.Background()
	rdb := srv.Client(func(o *redis.Options) { o.Protocol = 2 })
	other := srv.Client(func(o *redis.Options) { o.Protocol = 2 })
	mw := attach(t, rdb, Options{})
	waitMode(t, mw, nearcache.ModeRedirect)
	mw.Pin("k")
	other.Set(ctx, "k", "v1", 0)
	cached(t, mw, "k")
	other.Set(ctx, "k", "v2", 0)
	d := eventually(t, mw, "k", "v2", time.Second)
	t.Logf("redirect mode: remote write seen after %v", d)
	cached(t, mw, "k")
	rdb.Set(ctx, "k", "v3", 0)
	if got, _ := mw.Get(ctx, "k"); got != "v3" {
		t.Errorf("Get after own SET = %q; want v3", got)
	}
	cached(t, mw, "k")
	killCacheConns(t, other)
	other.Set(ctx, "k", "v4", 0)
	eventually(t, mw, "k", "v4", time.Second)
	waitMode(t, mw, nearcache.ModeRedirect)
	cached(t, mw, "k")
	other.FlushAll(ctx)
	eventually(t, mw, "k", "<nil>", time.Second)
}
