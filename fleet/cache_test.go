package fleet_test

import (
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
)

// TestCacheStatsMerged: members that report a near cache carry its
// counters through the stream; every member lists them per instance and
// sums them, leaving out instances that report none, and sees them change
// with the next summary.
func TestCacheStatsMerged(t *testing.T) {
	c := redistest.NewServer(t, redistest.ServerOptions{}).Client()
	clk := heat.NewFakeClock(time.Now())
	var hitsA atomic.Uint64
	hitsA.Store(90)
	oa := manual("api-a", clk)
	oa.CacheStats = func() fleet.CacheStats {
		return fleet.CacheStats{Mode: "tracking", Hits: hitsA.Load(), Misses: 10, Fills: 8, Invalidations: 3, Entries: 5, Bytes: 500}
	}
	ob := manual("api-b", clk)
	ob.CacheStats = func() fleet.CacheStats {
		return fleet.CacheStats{Mode: "ttl-only", Hits: 30, Misses: 70, Fills: 60, Entries: 2, Bytes: 100}
	}
	a := join(t, c, newSource(100, ks("x", 10)), oa)
	b := join(t, c, newSource(100, ks("y", 10)), ob)
	plain := join(t, c, newSource(100, ks("z", 10)), manual("api-plain", clk))
	obs := join(t, c, nil, manual("observer", clk))
	publish(t, a, b, plain)
	syncAll(t, obs, a)

	for _, m := range []*fleet.Member{obs, a} {
		got := m.CacheTotals()
		want := fleet.CacheTotals{Instances: 2, Hits: 120, Misses: 80, Fills: 68, Invalidations: 3, Entries: 7, Bytes: 600,
			Modes: map[string]int{"tracking": 1, "ttl-only": 1}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: CacheTotals() = %+v; want %+v", m.Instance(), got, want)
		}
		byID := map[string]*fleet.CacheStats{}
		for _, in := range m.Instances() {
			byID[in.ID] = in.Cache
		}
		if byID["api-a"] == nil || byID["api-a"].Hits != 90 || byID["api-b"] == nil || byID["api-b"].Mode != "ttl-only" || byID["api-plain"] != nil {
			t.Errorf("%s: per-instance cache stats %v; want api-a with 90 hits, api-b ttl-only, api-plain none", m.Instance(), byID)
		}
	}

	hitsA.Store(500)
	clk.Add(100 * time.Millisecond)
	publish(t, a)
	syncAll(t, obs)
	if got := obs.CacheTotals().Hits; got != 530 {
		t.Errorf("CacheTotals().Hits after api-a's next summary = %d; want 530", got)
	}
	// The totals are the caller's: changing them changes nothing inside.
	tot := obs.CacheTotals()
	tot.Modes["tracking"] = 99
	if obs.CacheTotals().Modes["tracking"] != 1 {
		t.Error("CacheTotals().Modes is shared with the member")
	}
	// An instance that leaves takes its counters with it.
	b.Close()
	syncAll(t, obs)
	if got := obs.CacheTotals(); got.Instances != 1 || got.Hits != 500 {
		t.Errorf("CacheTotals() after api-b left = %+v; want api-a's alone", got)
	}
}
