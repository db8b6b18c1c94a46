package redhot

import (
	"context"
	"testing"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
)

// hotMiddleware returns a middleware on a throwaway server with key
// pinned, set to value and cached.
func hotMiddleware(tb testing.TB, key, value string) *Middleware {
	tb.Helper()
	srv := redistest.NewServer(tb, redistest.ServerOptions{})
	rdb := srv.Client()
	mw := attach(tb, rdb, Options{})
	waitMode(tb, mw, nearcache.ModeTracking)
	mw.Pin(key)
	if err := rdb.Set(context.Background(), key, value, 0).Err(); err != nil {
		tb.Fatal(err)
	}
	cached(tb, mw, key)
	return mw
}

func TestGetHitAllocs(t *testing.T) {
	mw := hotMiddleware(t, "product:42", "espresso machine")
	ctx := context.Background()
	get := func() {
		if v, err := mw.Get(ctx, "product:42"); v != "espresso machine" || err != nil {
			t.Fatalf("Get = %q, %v", v, err)
		}
	}
	// A run only counts if every call in it was a hit: on a loaded machine
	// (the race detector, parallel packages) a heartbeat can arrive late,
	// the entry is then refused until the next one confirms it, and that
	// call is a round trip whose allocations say nothing about the hit
	// path. Such runs are measured again, a few times at most.
	const runs = 1000
	for attempt := 1; ; attempt++ {
		cached(t, mw, "product:42")
		before := mw.Stats().Cache
		allocs := testing.AllocsPerRun(runs, get)
		after := mw.Stats().Cache
		if after.Misses == before.Misses {
			if allocs != 0 {
				t.Errorf("Get on a hit: %v allocations per call; want 0", allocs)
			}
			if after.Hits-before.Hits < runs {
				t.Errorf("Stats().Cache.Hits grew by %d over %d hits", after.Hits-before.Hits, runs)
			}
			return
		}
		if attempt == 5 {
			t.Fatalf("every one of %d runs had a miss (last: %d of %d calls); cannot measure the hit path",
				attempt, after.Misses-before.Misses, runs+1)
		}
		t.Logf("run %d had %d misses; measuring again", attempt, after.Misses-before.Misses)
	}
}

func BenchmarkGetHit(b *testing.B) {
	mw := hotMiddleware(b, "product:42", "espresso machine")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mw.Get(ctx, "product:42"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetHitParallel(b *testing.B) {
	mw := hotMiddleware(b, "product:42", "espresso machine")
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := mw.Get(ctx, "product:42"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGoRedisGetHit(b *testing.B) {
	mw := hotMiddleware(b, "product:42", "espresso machine")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := mw.client.Get(ctx, "product:42").Result(); err != nil {
			b.Fatal(err)
		}
	}
}
