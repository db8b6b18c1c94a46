package redhot

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
)

// eventually waits until GET key through mw returns want, and returns how
// long that took. It fails the test after within.
func eventually(tb testing.TB, mw *Middleware, key, want string, within time.Duration) time.Duration {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	for {
		got, err := mw.Get(ctx, key)
		if errors.Is(err, redis.Nil) {
			got = "<nil>"
		}
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > within {
			tb.Fatalf("GET %s = %q, %v after %v; want %q", key, got, err, within, want)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// killCacheConns kills the near cache's connections to srv.
func killCacheConns(tb testing.TB, admin *redis.Client) int {
	tb.Helper()
	ctx := context.Background()
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, "name=redhot-nearcache") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				if err := admin.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err != nil {
					tb.Fatalf("CLIENT KILL ID %s: %v", id, err)
				}
				n++
			}
		}
	}
	return n
}

func TestRemoteWriteDelay(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	mw := attach(t, srv.Client(), Options{})
	other := srv.Client()
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("k")
	var delays []time.Duration
	for i := range 200 {
		v := strconv.Itoa(i)
		if err := other.Set(ctx, "k", v, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			cached(t, mw, "k")
		}
		delays = append(delays, eventually(t, mw, "k", v, time.Second))
		cached(t, mw, "k")
	}
	slices.Sort(delays)
	p50, p99 := delays[len(delays)/2], delays[len(delays)*99/100]
	t.Logf("a write by another client seen after p50 %v, p99 %v, max %v", p50, p99, delays[len(delays)-1])
	if p99 > 50*time.Millisecond {
		t.Errorf("p99 delay %v; want well under the 1 s staleness bound", p99)
	}
}

func TestReadYourWrites(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	rdb := srv.Client()
	mw := attach(t, rdb, Options{})
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("counter")
	if err := rdb.Set(ctx, "counter", "0", 0).Err(); err != nil {
		t.Fatal(err)
	}
	cached(t, mw, "counter")

	// Readers keep the key cached and fills in flight while one
	// goroutine writes increasing values and reads each back.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, _ = rdb.Get(ctx, "counter").Result()
				time.Sleep(20 * time.Microsecond)
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	for i := 1; i <= 500; i++ {
		if err := rdb.Set(ctx, "counter", strconv.Itoa(i), 0).Err(); err != nil {
			t.Fatal(err)
		}
		for _, get := range []func() (string, error){
			func() (string, error) { return rdb.Get(ctx, "counter").Result() },
			func() (string, error) { return mw.Get(ctx, "counter") },
		} {
			got, err := get()
			if n, _ := strconv.Atoi(got); err != nil || n < i {
				t.Fatalf("GET after own SET %d = %q, %v", i, got, err)
			}
		}
	}
	st := mw.Stats().Cache
	t.Logf("hits %d, fills %d, discarded %d, write drops %d", st.Hits, st.Fills, st.Discarded, st.WriteDrops)
	if st.Hits == 0 || st.Fills == 0 {
		t.Errorf("the test did not exercise the cache: %+v", st)
	}
}

func TestConnectionKill(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	admin := srv.Client()
	mw := attach(t, srv.Client(), Options{})
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("k")
	admin.Set(ctx, "k", "before", 0)
	cached(t, mw, "k")
	if n := killCacheConns(t, admin); n != 1 {
		t.Fatalf("killed %d near cache connections; want 1", n)
	}
	admin.Set(ctx, "k", "after", 0)
	d := eventually(t, mw, "k", "after", time.Second)
	t.Logf("write after CLIENT KILL seen after %v", d)
	waitFor(t, time.Second, func() bool { return mw.Stats().Cache.Flushes[nearcache.FlushConnLost] >= 1 }, "a connection-lost flush")
	waitMode(t, mw, nearcache.ModeTracking)
	cached(t, mw, "k")
	admin.Set(ctx, "k", "again", 0)
	eventually(t, mw, "k", "again", time.Second)
}

func TestServerRestart(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	mw := attach(t, srv.Client(), Options{})
	admin := srv.Client()
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("k")
	admin.Set(ctx, "k", "v", 0)
	cached(t, mw, "k")
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	// Nothing is persisted: the key is gone with the old process.
	d := eventually(t, mw, "k", "<nil>", time.Second)
	t.Logf("restart seen after %v", d)
	waitMode(t, mw, nearcache.ModeTracking)
	admin.Set(ctx, "k", "new", 0)
	eventually(t, mw, "k", "new", time.Second)
	cached(t, mw, "k")
}

func TestPauseStopsServing(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	const bound = 200 * time.Millisecond
	mw := attach(t, srv.Client(), Options{MaxStaleness: bound})
	admin := srv.Client()
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("k")
	admin.Set(ctx, "k", "v", 0)
	cached(t, mw, "k")
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	defer srv.Resume()
	// Until the bound passes the entry may be served; after it, never.
	var lastHit time.Duration
	for time.Since(paused) < 3*bound {
		if _, _, ok := mw.cache.GetString("k"); ok {
			lastHit = time.Since(paused)
		}
		time.Sleep(100 * time.Microsecond)
	}
	t.Logf("last hit %v after SIGSTOP (bound %v)", lastHit, bound)
	if lastHit >= bound {
		t.Errorf("served from the cache %v after the server stopped; bound %v", lastHit, bound)
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	waitMode(t, mw, nearcache.ModeTracking)
	cached(t, mw, "k")
}

func TestFlushAll(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	mw := attach(t, srv.Client(), Options{})
	admin := srv.Client()
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("k")
	admin.Set(ctx, "k", "v", 0)
	cached(t, mw, "k")
	admin.FlushAll(ctx)
	eventually(t, mw, "k", "<nil>", time.Second)
	if got := mw.Stats().Cache.Flushes[nearcache.FlushServer]; got < 1 {
		t.Errorf("Flushes[%v] = %d; want at least 1", nearcache.FlushServer, got)
	}
	// Our own FLUSHALL drops everything before it is sent.
	admin.Set(ctx, "k", "v2", 0)
	eventually(t, mw, "k", "v2", time.Second)
	cached(t, mw, "k")
	mw.client.FlushAll(ctx)
	if _, err := mw.Get(ctx, "k"); !errors.Is(err, redis.Nil) {
		t.Errorf("Get after own FLUSHALL: %v; want redis.Nil", err)
	}
}

func TestTrackingTableOverflow(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"tracking-table-max-keys 1"}})
	ctx := context.Background()
	mw := attach(t, srv.Client(), Options{})
	admin := srv.Client()
	waitMode(t, mw, nearcache.ModeTracking)
	keys := []string{"a", "b", "c"}
	for _, k := range keys {
		mw.Pin(k)
		admin.Set(ctx, k, "1", 0)
		mw.client.Get(ctx, k)
	}
	// The server tracks one key at most: it forgets the others, and
	// tells us so, so they are dropped here too.
	waitFor(t, time.Second, func() bool {
		n := 0
		for _, k := range keys {
			if _, _, ok := mw.cache.GetString(k); ok {
				n++
			}
		}
		return n <= 1
	}, "all but one key to be invalidated")
	// A key the server forgets as soon as it is read is invalidated
	// before its fill completes, and so never published.
	if st := mw.Stats().Cache; st.Invalidations+st.Discarded < 2 {
		t.Errorf("Invalidations + Discarded = %d + %d; want at least 2", st.Invalidations, st.Discarded)
	}
	// Whatever stays cached is still invalidated by writes.
	for _, k := range keys {
		admin.Set(ctx, k, "2", 0)
		eventually(t, mw, k, "2", time.Second)
	}
}

func TestTrackingRefused(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{Config: []string{
		"user app on >secret ~* &* +@all -client|tracking",
	}})
	ctx := context.Background()
	tests := []struct {
		name     string
		allow    bool
		mode     nearcache.Mode
		wantHits bool
	}{
		{"refused", false, nearcache.ModeOff, false},
		{"ttl-only allowed", true, nearcache.ModeTTLOnly, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb := srv.Client(func(o *redis.Options) { o.Username, o.Password = "app", "secret" })
			const ttl = 50 * time.Millisecond
			mw := attach(t, rdb, Options{AllowTTLOnly: tt.allow, TTLOnly: ttl})
			waitMode(t, mw, tt.mode)
			st := mw.Stats().Cache
			if tt.allow && st.StalenessBound != ttl {
				t.Errorf("StalenessBound = %v; want %v", st.StalenessBound, ttl)
			}
			mw.Pin("k")
			rdb.Set(ctx, "k", "v1", 0)
			for range 100 {
				if v, err := rdb.Get(ctx, "k").Result(); v != "v1" || err != nil {
					t.Fatalf("GET k = %q, %v", v, err)
				}
			}
			if hits := mw.Stats().Cache.Hits > 0; hits != tt.wantHits {
				t.Errorf("hits > 0 is %v; want %v", hits, tt.wantHits)
			}
			if tt.allow {
				// A write by another client is seen within the TTL.
				other := srv.Client()
				other.Set(ctx, "k", "v2", 0)
				d := eventually(t, mw, "k", "v2", 2*ttl)
				t.Logf("TTL-only: write seen after %v", d)
			}
		})
	}
}

// TestServerTTL checks that an entry does not outlive its key's TTL on the
// server, even where the server would be slow to expire the key (it sends
// an invalidation only once it actually deletes it).
func TestServerTTL(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"hz 1"}})
	ctx := context.Background()
	mw := attach(t, srv.Client(), Options{})
	other := srv.Client()
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("session")
	const ttl = 300 * time.Millisecond
	other.Set(ctx, "session", "s1", ttl)
	set := time.Now()
	cached(t, mw, "session")
	var lastHit time.Duration
	for time.Since(set) < 2*ttl {
		// The time is read before the lookup: a hit answered just
		// before expiry and descheduled on its way back must not count
		// as a late one.
		at := time.Since(set)
		if _, _, ok := mw.cache.GetString("session"); ok {
			lastHit = at
		}
		time.Sleep(100 * time.Microsecond)
	}
	if lastHit >= ttl {
		t.Errorf("served from the cache %v after a SET with a %v TTL", lastHit, ttl)
	}
	if _, err := mw.Get(ctx, "session"); !errors.Is(err, redis.Nil) {
		t.Errorf("Get after the TTL: %v; want redis.Nil", err)
	}
}
