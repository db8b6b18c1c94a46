package metrics_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/redhot/redhot"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/metrics"
	"github.com/redhot/redhot/nearcache"
	"github.com/redhot/redhot/stampede"
)

// TestNearCacheCollectorValues checks every near-cache family against a
// Stats value the test makes up, including a flush reason the collector
// does not know by name.
func TestNearCacheCollectorValues(t *testing.T) {
	st := nearcache.Stats{
		Mode: nearcache.ModeRedirect, StalenessBound: 250 * time.Millisecond,
		Entries: 12, Bytes: 4096, Hits: 30, Misses: 10, Fills: 9, FillErrors: 1, Discarded: 2,
		Invalidations: 5, WriteDrops: 4, Drops: 3, Joined: 6, Refreshes: 7, RefreshesLimited: 8,
		Flushes: map[nearcache.FlushReason]uint64{nearcache.FlushServer: 2, nearcache.FlushWrite: 1, nearcache.FlushReason(42): 3},
		Nodes:   []nearcache.NodeStats{{Addr: "a", Mode: nearcache.ModeTracking}, {Addr: "b", Mode: nearcache.ModeRedirect}, {Addr: "c", Mode: nearcache.ModeTracking}},
	}
	c, err := metrics.NewNearCacheCollector(func() nearcache.Stats { return st })
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP redhot_nearcache_hits_total Lookups answered from the near cache.
# TYPE redhot_nearcache_hits_total counter
redhot_nearcache_hits_total 30
# HELP redhot_nearcache_misses_total Lookups the near cache could not answer.
# TYPE redhot_nearcache_misses_total counter
redhot_nearcache_misses_total 10
# HELP redhot_nearcache_hit_ratio Hits over lookups since the cache started, from 0 to 1 (0 before any lookup); for a recent ratio divide the rates of hits and misses.
# TYPE redhot_nearcache_hit_ratio gauge
redhot_nearcache_hit_ratio 0.75
# HELP redhot_nearcache_flushes_total Times every entry of a node, or of the cache, was dropped at once, by reason.
# TYPE redhot_nearcache_flushes_total counter
redhot_nearcache_flushes_total{reason="FlushReason(42)"} 3
redhot_nearcache_flushes_total{reason="connection-lost"} 0
redhot_nearcache_flushes_total{reason="role-change"} 0
redhot_nearcache_flushes_total{reason="server-flush"} 2
redhot_nearcache_flushes_total{reason="slots-moved"} 0
redhot_nearcache_flushes_total{reason="stale"} 0
redhot_nearcache_flushes_total{reason="write"} 1
# HELP redhot_nearcache_entries Keys in the near cache.
# TYPE redhot_nearcache_entries gauge
redhot_nearcache_entries 12
# HELP redhot_nearcache_bytes Estimated memory of the near cache's entries, as weighed against its MaxBytes.
# TYPE redhot_nearcache_bytes gauge
redhot_nearcache_bytes 4096
# HELP redhot_nearcache_mode 1 for the near cache's mode (the weakest of its nodes'), 0 for the other modes.
# TYPE redhot_nearcache_mode gauge
redhot_nearcache_mode{mode="connecting"} 0
redhot_nearcache_mode{mode="off"} 0
redhot_nearcache_mode{mode="redirect"} 1
redhot_nearcache_mode{mode="tracking"} 0
redhot_nearcache_mode{mode="ttl-only"} 0
# HELP redhot_nearcache_nodes Redis nodes the near cache knows, by their mode.
# TYPE redhot_nearcache_nodes gauge
redhot_nearcache_nodes{mode="connecting"} 0
redhot_nearcache_nodes{mode="off"} 0
redhot_nearcache_nodes{mode="redirect"} 1
redhot_nearcache_nodes{mode="tracking"} 2
redhot_nearcache_nodes{mode="ttl-only"} 0
# HELP redhot_nearcache_staleness_bound_seconds How old a value served from the near cache may be in its current mode; 0 when nothing is served.
# TYPE redhot_nearcache_staleness_bound_seconds gauge
redhot_nearcache_staleness_bound_seconds 0.25
# HELP redhot_nearcache_refreshes_limited_total Changed keys left to their next miss because too many refreshes were in flight.
# TYPE redhot_nearcache_refreshes_limited_total counter
redhot_nearcache_refreshes_limited_total 8
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"redhot_nearcache_hits_total", "redhot_nearcache_misses_total", "redhot_nearcache_hit_ratio",
		"redhot_nearcache_flushes_total", "redhot_nearcache_entries", "redhot_nearcache_bytes",
		"redhot_nearcache_mode", "redhot_nearcache_nodes", "redhot_nearcache_staleness_bound_seconds",
		"redhot_nearcache_refreshes_limited_total"); err != nil {
		t.Error(err)
	}
	got := gather(t, registry(t, c))
	for name, v := range map[string]float64{
		"redhot_nearcache_fills_total": 9, "redhot_nearcache_fill_errors_total": 1, "redhot_nearcache_discarded_fills_total": 2,
		"redhot_nearcache_joined_fills_total": 6, "redhot_nearcache_invalidations_total": 5, "redhot_nearcache_write_drops_total": 4,
		"redhot_nearcache_drops_total": 3, "redhot_nearcache_refreshes_total": 7,
	} {
		if got[name] != v {
			t.Errorf("%s = %v; want %v", name, got[name], v)
		}
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}

	// Before any lookup the ratio is 0, not NaN.
	empty, err := metrics.NewNearCacheCollector(func() nearcache.Stats { return nearcache.Stats{} })
	if err != nil {
		t.Fatal(err)
	}
	if got := gather(t, registry(t, empty)); got["redhot_nearcache_hit_ratio"] != 0 || got[`redhot_nearcache_mode{mode="connecting"}`] != 1 {
		t.Errorf("empty stats: hit ratio %v, connecting %v; want 0 and 1", got["redhot_nearcache_hit_ratio"], got[`redhot_nearcache_mode{mode="connecting"}`])
	}
}

// TestNearCacheCollectorMiddleware reads the middleware's near cache on a
// real server: hits of a pinned key and a FLUSHALL from another client
// show up at the next scrape, equal to the middleware's own Stats.
func TestNearCacheCollectorMiddleware(t *testing.T) {
	s := redistest.NewServer(t, redistest.ServerOptions{})
	rdb := s.Client()
	admin := s.Client()
	mw, err := redhot.New(rdb, redhot.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer mw.Close()
	c, err := metrics.NewNearCacheCollector(func() nearcache.Stats { return mw.Stats().Cache })
	if err != nil {
		t.Fatal(err)
	}
	reg := registry(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	waitUntil(ctx, t, "near cache in tracking mode", func() bool {
		st := mw.Stats().Cache
		return st.Mode == nearcache.ModeTracking && len(st.Nodes) == 1
	})
	if err := rdb.Set(ctx, "flag:a", "on", 0).Err(); err != nil {
		t.Fatal(err)
	}
	mw.Pin("flag:a")
	waitUntil(ctx, t, "a GET of a pinned key hits", func() bool {
		before := mw.Stats().Cache.Hits
		if v, err := rdb.Get(ctx, "flag:a").Result(); v != "on" || err != nil {
			t.Fatalf("GET flag:a = %q, %v; want on", v, err)
		}
		return mw.Stats().Cache.Hits > before
	})
	if err := admin.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "a server flush", func() bool { return mw.Stats().Cache.Flushes[nearcache.FlushServer] > 0 })

	// Scrape between two Stats that agree, so that a background fill or
	// heartbeat between them cannot make the comparison flaky.
	var got map[string]float64
	var st nearcache.Stats
	waitUntil(ctx, t, "a scrape between two equal Stats", func() bool {
		before := mw.Stats().Cache
		got = gather(t, reg)
		st = mw.Stats().Cache
		return before.Hits == st.Hits && before.Misses == st.Misses && before.Fills == st.Fills &&
			before.Entries == st.Entries && before.Flushes[nearcache.FlushServer] == st.Flushes[nearcache.FlushServer]
	})
	for name, v := range map[string]float64{
		"redhot_nearcache_hits_total":                           float64(st.Hits),
		"redhot_nearcache_misses_total":                         float64(st.Misses),
		"redhot_nearcache_fills_total":                          float64(st.Fills),
		`redhot_nearcache_flushes_total{reason="server-flush"}`: float64(st.Flushes[nearcache.FlushServer]),
		`redhot_nearcache_mode{mode="tracking"}`:                1,
		`redhot_nearcache_nodes{mode="tracking"}`:               1,
		"redhot_nearcache_entries":                              float64(st.Entries),
		"redhot_nearcache_staleness_bound_seconds":              st.StalenessBound.Seconds(),
	} {
		if got[name] != v {
			t.Errorf("%s = %v; want %v (Stats %+v)", name, got[name], v, st)
		}
	}
	if st.Hits == 0 || st.Fills == 0 || st.Flushes[nearcache.FlushServer] == 0 {
		t.Errorf("Stats %+v; want hits, fills and a server flush", st)
	}
	if n := got["redhot_nearcache_hits_total"] / (got["redhot_nearcache_hits_total"] + got["redhot_nearcache_misses_total"]); got["redhot_nearcache_hit_ratio"] != n {
		t.Errorf("hit ratio %v; want %v", got["redhot_nearcache_hit_ratio"], n)
	}
}

// TestStampedeCollector reads a stampede cache on a real server after a
// miss, a hit and a cached not-found answer.
func TestStampedeCollector(t *testing.T) {
	s := redistest.NewServer(t, redistest.ServerOptions{})
	cache, err := stampede.New(stampede.Options{Client: s.Client(), NegativeTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	value := func(context.Context) ([]byte, error) { return []byte("v"), nil }
	missing := func(context.Context) ([]byte, error) { return nil, stampede.ErrNotFound }
	for range 2 {
		if _, err := cache.Fetch(ctx, "product:1", time.Minute, value); err != nil {
			t.Fatal(err)
		}
		if _, err := cache.Fetch(ctx, "product:2", time.Minute, missing); !errors.Is(err, stampede.ErrNotFound) {
			t.Fatalf("Fetch of a missing product = %v; want ErrNotFound", err)
		}
	}
	c, err := metrics.NewStampedeCollector(cache.Stats)
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP redhot_stampede_hits_total Fetches answered from a fresh stored entry (values, cached not-found answers and cached errors).
# TYPE redhot_stampede_hits_total counter
redhot_stampede_hits_total 2
# HELP redhot_stampede_negative_hits_total Hits that were cached not-found answers.
# TYPE redhot_stampede_negative_hits_total counter
redhot_stampede_negative_hits_total 1
# HELP redhot_stampede_misses_total Fetches that found no fresh entry and started or joined a fill.
# TYPE redhot_stampede_misses_total counter
redhot_stampede_misses_total 2
# HELP redhot_stampede_loader_calls_total Loader calls: fills, early recomputations and fallbacks without Redis.
# TYPE redhot_stampede_loader_calls_total counter
redhot_stampede_loader_calls_total 2
# HELP redhot_stampede_loader_errors_total Loader calls that failed (other than not found) or panicked.
# TYPE redhot_stampede_loader_errors_total counter
redhot_stampede_loader_errors_total 0
# HELP redhot_stampede_lease_acquisitions_total Leases taken to fill or recompute a key.
# TYPE redhot_stampede_lease_acquisitions_total counter
redhot_stampede_lease_acquisitions_total 2
# HELP redhot_stampede_early_recomputations_total Values recomputed in the background before they expired.
# TYPE redhot_stampede_early_recomputations_total counter
redhot_stampede_early_recomputations_total 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"redhot_stampede_hits_total", "redhot_stampede_negative_hits_total", "redhot_stampede_misses_total",
		"redhot_stampede_loader_calls_total", "redhot_stampede_loader_errors_total",
		"redhot_stampede_lease_acquisitions_total", "redhot_stampede_early_recomputations_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c); n != 15 {
		t.Errorf("%d series; want 15, one per Stats counter", n)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

func TestLayerCollectorsRejectNil(t *testing.T) {
	if _, err := metrics.NewNearCacheCollector(nil); !errors.Is(err, metrics.ErrInvalidOptions) {
		t.Errorf("NewNearCacheCollector(nil) = %v; want ErrInvalidOptions", err)
	}
	if _, err := metrics.NewStampedeCollector(nil); !errors.Is(err, metrics.ErrInvalidOptions) {
		t.Errorf("NewStampedeCollector(nil) = %v; want ErrInvalidOptions", err)
	}
}

// waitUntil polls cond every few milliseconds until it holds, failing t
// when ctx ends first.
func waitUntil(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not before %v", what, context.Cause(ctx))
		case <-time.After(2 * time.Millisecond):
		}
	}
}
