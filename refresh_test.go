package redhot

import (
	"context"
	"github.com/redhot/redhot/heat"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
)

// cachedValue returns what the near cache holds for GET key, without
// filling it on a miss ("" then).
func cachedValue(mw *Middleware, key string) string {
	v, _, ok := mw.cache.GetString(key)
	if !ok {
		return ""
	}
	return v
}

// TestRefresh checks that a wanted key that changes is read again at
// once, by the cache alone: the reads below only look into the cache and
// never fill it.
func TestRefresh(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	rdb := srv.Client()
	other := srv.Client()
	// Only pins decide what is wanted: no key becomes hot by traffic.
	mw := attach(t, rdb, Options{Tracker: heat.Options{Rules: heat.Rules{MinRate: 1e15}}})
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("k")
	other.Set(ctx, "k", "v1", 0)
	cached(t, mw, "k")
	before := mw.Stats().Cache

	// Another client's write.
	if err := other.Set(ctx, "k", "v2", 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Second, func() bool { return cachedValue(mw, "k") == "v2" }, "the cache to hold v2")

	// Our own write: the value from before it is never served once it
	// has returned.
	if err := rdb.Set(ctx, "k", "v3", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v := cachedValue(mw, "k"); v != "" && v != "v3" {
		t.Fatalf("GET k from the cache after our SET v3 = %q", v)
	}
	waitFor(t, time.Second, func() bool { return cachedValue(mw, "k") == "v3" }, "the cache to hold v3")
	after := mw.Stats().Cache
	if got := after.Refreshes - before.Refreshes; got < 2 {
		t.Errorf("Stats().Cache.Refreshes grew by %d; want at least 2", got)
	}

	// A key no longer wanted is dropped and not read again.
	mw.Unpin("k")
	before = mw.Stats().Cache
	if err := other.Set(ctx, "k", "v4", 0).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Second, func() bool { return mw.Stats().Cache.Invalidations > before.Invalidations }, "the invalidation of k")
	// A fill of another key is answered after the invalidation was
	// handled, refresh decision included: they share one ordered stream.
	mw.Pin("sync")
	if err := rdb.Get(ctx, "sync").Err(); err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	if got := mw.Stats().Cache.Refreshes - before.Refreshes; got != 0 {
		t.Errorf("%d refreshes of a key nobody wants any more", got)
	}
	if v := cachedValue(mw, "k"); v != "" {
		t.Errorf("GET k from the cache = %q after it changed; want a miss", v)
	}
}

// getCalls returns how many GETs the server has executed (INFO
// commandstats).
func getCalls(tb testing.TB, admin *redis.Client) int {
	tb.Helper()
	text, err := admin.Info(context.Background(), "commandstats").Result()
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_get:calls="); ok {
			n, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
			return n
		}
	}
	return 0
}

// TestSingleFlight checks that concurrent misses of a key cost the server
// one read: the server is held still (SIGSTOP) while they are made, so
// that every one of them misses while the first one's read is on its way.
func TestSingleFlight(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	admin := srv.Client()
	rdb := srv.Client()
	mw := attach(t, rdb, Options{})
	waitMode(t, mw, nearcache.ModeTracking)
	if err := admin.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	mw.Pin("k")
	before := getCalls(t, admin)

	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			srv.Resume()
		}
	}()
	const n = 16
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				got[i], errs[i] = rdb.Get(ctx, "k").Result()
			} else {
				got[i], errs[i] = mw.Get(ctx, "k")
			}
		})
	}
	waitFor(t, 5*time.Second, func() bool { return mw.Stats().Cache.Joined >= n-1 }, "the misses to share one read")
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	resumed = true
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i] != "v" {
			t.Errorf("read %d = %q, %v; want v", i, got[i], errs[i])
		}
	}
	if calls := getCalls(t, admin) - before; calls != 1 {
		t.Errorf("the server ran %d GETs for %d concurrent misses; want 1", calls, n)
	}
	if v := cachedValue(mw, "k"); v != "v" {
		t.Errorf("GET k from the cache = %q; want v", v)
	}
}
