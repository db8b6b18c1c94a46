package redhot

import (
	"errors"
	"testing"
	"time"

	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
)

// TestFleetDrivesCache is issue #7: two instances on one server; A makes
// a key hot, B reads it only lightly (not hot by B's own rules). Once the
// fleet says the key is hot, B serves it from its near cache; when it
// cools fleet-wide, B drops it and reads Redis again. Each instance's
// summaries carry its near-cache counters.
func TestFleetDrivesCache(t *testing.T) {
	ctx := t.Context()
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	if err := srv.Client().Set(ctx, "product:viral", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	clk := heat.NewFakeClock(time.Now())
	a := attach(t, srv.Client(), Options{Tracker: heat.Options{Clock: clk}})
	b := attach(t, srv.Client(), Options{Tracker: heat.Options{Clock: clk}})
	waitMode(t, a, nearcache.ModeTracking)
	waitMode(t, b, nearcache.ModeTracking)
	fopts := func(name string) fleet.Options {
		return fleet.Options{Instance: name, Clock: clk, Stream: "test:fleet", Interval: 100 * time.Millisecond,
			Rules: fleet.Rules{MinRate: 100, MinShare: -1, MinHot: 100 * time.Millisecond}}
	}
	fa, err := a.JoinFleet(ctx, fopts("a"))
	if err != nil {
		t.Fatalf("JoinFleet: %v", err)
	}
	fb, err := b.JoinFleet(ctx, fopts("b"))
	if err != nil {
		t.Fatalf("JoinFleet: %v", err)
	}
	if _, err := b.JoinFleet(ctx, fopts("b2")); !errors.Is(err, ErrFleetJoined) {
		t.Errorf("second JoinFleet = %v; want ErrFleetJoined", err)
	}
	exchange := func() {
		t.Helper()
		for _, m := range []*fleet.Member{fa, fb} {
			if err := m.Publish(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range []*fleet.Member{fa, fb} {
			if err := m.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(mw *Middleware, n int) {
		t.Helper()
		for range n {
			if v, err := mw.client.Get(ctx, "product:viral").Result(); v != "v1" || err != nil {
				t.Fatalf("GET = %q, %v", v, err)
			}
		}
	}

	// A reads the key 400 times in 100 ms, B 5 times, among other keys.
	read(a, 400)
	read(b, 5)
	for _, k := range []string{"user:1", "user:2", "user:3"} {
		if err := b.client.Get(ctx, k).Err(); err == nil {
			t.Fatalf("GET %s found a value", k)
		}
	}
	clk.Add(100 * time.Millisecond)
	a.Tracker().Evaluate()
	b.Tracker().Evaluate()
	if !a.Tracker().IsHot("product:viral") || b.Tracker().IsHot("product:viral") {
		t.Fatalf("locally hot: a %v, b %v; want a only (b's rate %v)", a.Tracker().IsHot("product:viral"),
			b.Tracker().IsHot("product:viral"), b.Tracker().Estimate("product:viral").Rate)
	}
	exchange()
	if !fb.IsHot("product:viral") || b.Stats().FleetHot != 1 {
		t.Fatalf("b's fleet view: IsHot %v, Stats().FleetHot %d; want the key hot fleet-wide", fb.IsHot("product:viral"), b.Stats().FleetHot)
	}

	// B now caches it although it is not hot there.
	before := b.Stats().Cache
	cached(t, b, "product:viral")
	read(b, 5)
	after := b.Stats().Cache
	if after.Hits-before.Hits < 6 || after.Entries != 1 {
		t.Errorf("b's cache: %d hits, %d entries; want the key cached and at least 6 hits", after.Hits-before.Hits, after.Entries)
	}
	if b.Tracker().IsHot("product:viral") {
		t.Error("the key turned hot in b's own tracker: the test no longer shows the fleet's effect")
	}

	// The summaries carry each instance's near-cache counters.
	exchange()
	tot := fb.CacheTotals()
	if tot.Instances != 2 || tot.Modes["tracking"] != 2 || tot.Hits < after.Hits || tot.Entries < 1 {
		t.Errorf("fleet CacheTotals() = %+v; want both instances in tracking mode, with b's %d hits", tot, after.Hits)
	}
	for _, in := range fb.Instances() {
		if in.Cache == nil || in.Cache.Mode != "tracking" || in.Cache.Misses == 0 {
			t.Errorf("instance %s: cache stats %+v; want tracking with misses", in.ID, in.Cache)
		}
	}

	// A stops; the key cools across the fleet (A's rate decays), and B
	// drops it.
	clk.Add(5 * time.Second)
	a.Tracker().Evaluate()
	b.Tracker().Evaluate()
	exchange()
	if fb.IsHot("product:viral") {
		t.Fatalf("the key is still hot fleet-wide: %+v", fb.Top(3))
	}
	waitFor(t, 5*time.Second, func() bool { return b.Stats().Cache.Entries == 0 }, "b to drop the key")
	before = b.Stats().Cache
	read(b, 10)
	if after := b.Stats().Cache; after.Hits != before.Hits {
		t.Errorf("b's cache hits grew by %d after the key cooled fleet-wide; want none", after.Hits-before.Hits)
	}

	// Closing the member stops the middleware following it; it can join
	// again.
	fb.Close()
	waitFor(t, 5*time.Second, func() bool { return b.Fleet() == nil }, "b to stop following its closed member")
	fb2, err := b.JoinFleet(ctx, fopts("b"))
	if err != nil {
		t.Fatalf("JoinFleet after the member closed: %v", err)
	}
	if b.Fleet() != fb2 {
		t.Error("Fleet() is not the member JoinFleet returned")
	}
	_ = b.Close()
	if _, err := b.JoinFleet(ctx, fopts("b")); !errors.Is(err, ErrClosed) {
		t.Errorf("JoinFleet after Close = %v; want ErrClosed", err)
	}
}
