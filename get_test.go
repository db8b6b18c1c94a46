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
	allocs := testing.AllocsPerRun(1000, func() {
		if v, err := mw.Get(ctx, "product:42"); v != "espresso machine" || err != nil {
			t.Fatalf("Get = %q, %v", v, err)
		}
	})
	if allocs != 0 {
		t.Errorf("Get on a hit: %v allocations per call; want 0", allocs)
	}
	if st := mw.Stats().Cache; st.Hits < 1000 {
		t.Errorf("Stats().Cache.Hits = %d after 1000 hits", st.Hits)
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
