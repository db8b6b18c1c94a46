package stampede

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestFetchStoresAndHits(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	clk := newFakeClock()
	c := newCache(t, newClient(s), Options{Clock: clk})
	ctx := timeout(t, 10*time.Second)
	var calls atomic.Int64
	load := func(context.Context) ([]byte, error) {
		calls.Add(1)
		clk.Add(40 * time.Millisecond) // the load "takes" 40ms
		return []byte("v1"), nil
	}
	for i := range 3 {
		v, err := c.Fetch(ctx, "k", time.Minute, load)
		if string(v) != "v1" || err != nil {
			t.Fatalf("Fetch #%d = %q, %v; want v1, nil", i, v, err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d loader calls; want 1", calls.Load())
	}
	// One key holds the header and the value; the lease is gone.
	admin := newClient(s)
	raw, err := admin.Get(ctx, "k").Result()
	if err != nil {
		t.Fatal(err)
	}
	e, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if e.payload != "v1" || !e.expiry.Equal(epoch.Add(40*time.Millisecond+time.Minute)) || e.delta != 40*time.Millisecond {
		t.Errorf("stored %+v; want v1 expiring at load end + 1m, delta 40ms", e)
	}
	if pttl := admin.PTTL(ctx, "k").Val(); pttl <= 59*time.Second || pttl > time.Minute {
		t.Errorf("PTTL = %v; want about 1m", pttl)
	}
	if n := admin.Exists(ctx, namesFor("k").lease).Val(); n != 0 {
		t.Errorf("lease still exists after the fill")
	}
	st := c.Stats()
	if st.Hits != 2 || st.Misses != 1 || st.LoaderCalls != 1 || st.LeaseAcquisitions != 1 {
		t.Errorf("Stats = %+v; want 2 hits, 1 miss, 1 loader call, 1 lease", st)
	}

	// Once expired (on the injected clock), the next Fetch fills again.
	clk.Add(2 * time.Minute)
	load2 := func(context.Context) ([]byte, error) { calls.Add(1); return []byte("v2"), nil }
	if v, err := c.Fetch(ctx, "k", time.Minute, load2); string(v) != "v2" || err != nil {
		t.Fatalf("Fetch after expiry = %q, %v; want v2, nil", v, err)
	}
}

func TestSingleFlight(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newCache(t, newClient(s), Options{})
	ctx := timeout(t, 10*time.Second)
	const n = 100
	var calls atomic.Int64
	gate := make(chan struct{})
	load := func(context.Context) ([]byte, error) {
		calls.Add(1)
		<-gate
		return []byte("v"), nil
	}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.Fetch(ctx, "hot", time.Minute, load)
			if string(v) != "v" || err != nil {
				t.Errorf("Fetch = %q, %v; want v, nil", v, err)
			}
		}()
	}
	eventually(t, 5*time.Second, "every caller missed", func() bool { return c.Stats().Misses == n })
	close(gate)
	wg.Wait()
	if st := c.Stats(); calls.Load() != 1 || st.Coalesced != n-1 {
		t.Fatalf("%d loader calls, %d coalesced; want 1 and %d", calls.Load(), st.Coalesced, n-1)
	}
}

func TestLoaderPanic(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newCache(t, newClient(s), Options{})
	ctx := timeout(t, 10*time.Second)
	gate := make(chan struct{})
	panicky := func(context.Context) ([]byte, error) {
		<-gate
		panic("loader bug")
	}
	const n = 20
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := c.Fetch(ctx, "k", time.Minute, panicky)
			errs <- err
		}()
	}
	eventually(t, 5*time.Second, "every caller missed", func() bool { return c.Stats().Misses == n })
	close(gate)
	for range n {
		err := <-errs
		if !errors.Is(err, ErrLoaderPanic) || !strings.Contains(err.Error(), "loader bug") {
			t.Fatalf("Fetch with a panicking loader = %v; want ErrLoaderPanic with the panic value", err)
		}
	}
	// Neither the key nor the lease is stuck.
	if n := newClient(s).Exists(ctx, namesFor("k").lease).Val(); n != 0 {
		t.Errorf("lease left behind by a panicking loader")
	}
	var calls atomic.Int64
	if v, err := c.Fetch(ctx, "k", time.Minute, value("ok", &calls)); string(v) != "ok" || err != nil {
		t.Fatalf("Fetch after a panic = %q, %v; want ok, nil", v, err)
	}
	if st := c.Stats(); st.LoaderPanics != 1 || st.LoaderErrors != 1 {
		t.Errorf("Stats = %+v; want 1 panic counted as 1 loader error", st)
	}
}

// TestEarlyRecomputation: the first read past the entry's recomputation
// point starts a recomputation in the background and returns the current
// value at once; later reads keep getting it until the new value is
// stored.
func TestEarlyRecomputation(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := newClient(s)
	clk := newFakeClock()
	c := newCache(t, newClient(s), Options{Clock: clk})
	ctx := timeout(t, 10*time.Second)

	var calls atomic.Int64
	first := func(context.Context) ([]byte, error) {
		calls.Add(1)
		clk.Add(time.Second) // delta = 1s
		return []byte("old"), nil
	}
	if _, err := c.Fetch(ctx, "k", 10*time.Second, first); err != nil {
		t.Fatal(err)
	}
	raw, err := admin.Get(ctx, "k").Result()
	if err != nil {
		t.Fatal(err)
	}
	e, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := epoch.Add(11 * time.Second); !e.expiry.Equal(want) || e.delta != time.Second {
		t.Fatalf("stored expiry %v, delta %v; want %v, 1s", e.expiry, e.delta, want)
	}
	point := e.expiry.Add(-RefreshLead(e.delta, 1, drawOf("k", e)))

	gate := make(chan struct{})
	second := func(context.Context) ([]byte, error) {
		calls.Add(1)
		<-gate
		return []byte("new"), nil
	}
	// Just before the point, nothing happens however many reads come.
	clk.Set(point.Add(-time.Millisecond))
	for range 5 {
		if v, err := c.Fetch(ctx, "k", 10*time.Second, second); string(v) != "old" || err != nil {
			t.Fatalf("Fetch = %q, %v; want old, nil", v, err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d loader calls before the point; want 1", calls.Load())
	}
	clk.Set(point)
	for range 20 {
		// The loader is blocked on gate, so these return without waiting
		// for it: they get the current value.
		if v, err := c.Fetch(ctx, "k", 10*time.Second, second); string(v) != "old" || err != nil {
			t.Fatalf("Fetch during recomputation = %q, %v; want old, nil", v, err)
		}
	}
	eventually(t, 5*time.Second, "background recomputation started", func() bool { return calls.Load() == 2 })
	clk.Add(300 * time.Millisecond) // the loader takes 300ms
	close(gate)
	eventually(t, 5*time.Second, "new value stored", func() bool {
		v, err := c.Fetch(ctx, "k", 10*time.Second, second)
		return err == nil && string(v) == "new"
	})
	raw, err = admin.Get(ctx, "k").Result()
	if err != nil {
		t.Fatal(err)
	}
	if e, err = decode(raw); err != nil {
		t.Fatal(err)
	}
	// delta runs from the read that decided to recompute (at the point)
	// to the value being ready.
	if want := point.Add(300*time.Millisecond + 10*time.Second).Truncate(time.Millisecond); e.delta != 300*time.Millisecond || !e.expiry.Equal(want) {
		t.Errorf("recomputed entry: delta %v, expiry %v; want 300ms, %v", e.delta, e.expiry, want)
	}
	if st := c.Stats(); st.EarlyRecomputations != 1 || st.Misses != 1 || calls.Load() != 2 {
		t.Fatalf("Stats = %+v, %d loader calls; want 1 early recomputation, 1 miss (the first Fetch) and 2 calls", st, calls.Load())
	}
}

// TestEarlyOncePerTTL reads a key through three caches (three processes)
// at a steady rate on an injected clock, for several TTLs, at a slow and a
// fast rate: each value is recomputed exactly once, in the background,
// starting within its recomputation window (after the entry's point, by
// at most one read interval), so that no read ever misses and the loader
// runs once per refresh. The loader takes delta on the clock; reads go on
// while it runs.
func TestEarlyOncePerTTL(t *testing.T) {
	t.Parallel()
	const (
		ttl     = time.Second
		delta   = 100 * time.Millisecond
		periods = 5
	)
	for _, step := range []time.Duration{25 * time.Millisecond, time.Millisecond} {
		t.Run(step.String(), func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			admin := newClient(s)
			clk := newFakeClock()
			var caches []*Cache
			for range 3 {
				caches = append(caches, newCache(t, newClient(s), Options{Clock: clk, PollInterval: 5 * time.Millisecond}))
			}
			ctx := timeout(t, 30*time.Second)
			var calls atomic.Int64
			started := make(chan struct{})
			proceed := make(chan struct{})
			load := func(ctx context.Context) ([]byte, error) {
				n := calls.Add(1)
				if n == 1 {
					clk.Add(delta) // the first fill: the reader waits for it
					return []byte("1"), nil
				}
				started <- struct{}{}
				select {
				case <-proceed:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				return []byte(strconv.FormatInt(n, 10)), nil
			}
			stored := func() entry {
				raw, err := admin.Get(ctx, "k").Result()
				if err != nil {
					t.Fatalf("GET k: %v", err)
				}
				e, err := decode(raw)
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			if _, err := caches[0].Fetch(ctx, "k", ttl, load); err != nil {
				t.Fatal(err)
			}
			cur := stored()
			val := "1"
			end := clk.Now().Add(periods * ttl)
			lo, hi := RefreshLead(delta, 1, 0), RefreshLead(delta, 1, 1)
			var refreshes int
			for i := 0; clk.Now().Before(end); i++ {
				clk.Add(step)
				past := early("k", cur, clk.Now(), 1, ttl)
				if v, err := caches[i%len(caches)].Fetch(ctx, "k", ttl, load); string(v) != val || err != nil {
					t.Fatalf("Fetch %v before expiry = %q, %v; want %q, nil", cur.expiry.Sub(clk.Now()), v, err, val)
				}
				if !past {
					select {
					case <-started:
						t.Fatalf("a refresh started %v before expiry, before the entry's point", cur.expiry.Sub(clk.Now()))
					default:
					}
					continue
				}
				// The first read past the point starts the refresh.
				select {
				case <-started:
				case <-ctx.Done():
					t.Fatalf("no refresh started %v before expiry, past the entry's point", cur.expiry.Sub(clk.Now()))
				}
				refreshes++
				lead := cur.expiry.Sub(clk.Now())
				point := RefreshLead(cur.delta, 1, drawOf("k", cur))
				if lead > point || lead <= point-step || lead > hi || lead <= lo-step {
					t.Fatalf("refresh %d started %v before expiry; want within a read interval (%v) after its point, %v before expiry, in [%v, %v]", refreshes, lead, step, point, lo, hi)
				}
				// Reads go on while the loader runs, for delta.
				for range delta / step {
					clk.Add(step)
					i++
					if v, err := caches[i%len(caches)].Fetch(ctx, "k", ttl, load); string(v) != val || err != nil {
						t.Fatalf("Fetch during refresh %d = %q, %v; want %q, nil", refreshes, v, err, val)
					}
				}
				proceed <- struct{}{}
				old := cur.expiry
				eventually(t, 5*time.Second, "refreshed value stored", func() bool { return !stored().expiry.Equal(old) })
				// Caches that found the lease held stay out for
				// PollInterval (real time); let that pass, so that the
				// next point is met by whichever cache reads first.
				eventually(t, 5*time.Second, "no recomputation in progress", func() bool {
					for _, c := range caches {
						c.mu.Lock()
						n := len(c.refreshing)
						c.mu.Unlock()
						if n > 0 {
							return false
						}
					}
					return true
				})
				cur = stored()
				val = strconv.FormatInt(calls.Load(), 10)
				if cur.delta != delta || cur.payload != val {
					t.Fatalf("refresh %d stored %q, delta %v; want %q, %v", refreshes, cur.payload, cur.delta, val, delta)
				}
			}
			var st Stats
			for _, c := range caches {
				s := c.Stats()
				st.Misses += s.Misses
				st.EarlyRecomputations += s.EarlyRecomputations
				st.LoaderCalls += s.LoaderCalls
			}
			// Each refresh gives the value ttl minus about 1.5 delta more
			// life: over five ttls, five refreshes, or six.
			if refreshes < periods || refreshes > periods+1 {
				t.Errorf("%d refreshes in %d TTLs; want %d or %d", refreshes, periods, periods, periods+1)
			}
			if st.Misses != 1 || st.EarlyRecomputations != uint64(refreshes) || st.LoaderCalls != uint64(refreshes)+1 || calls.Load() != int64(refreshes)+1 {
				t.Errorf("Stats %+v, %d loader calls; want 1 miss (the first read), %d early recomputations and %d loader calls", st, calls.Load(), refreshes, refreshes+1)
			}
		})
	}
}

func TestNegativeCaching(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx := timeout(t, 10*time.Second)
	missing := func(calls *atomic.Int64) Loader {
		return func(context.Context) ([]byte, error) {
			calls.Add(1)
			return nil, fmt.Errorf("product 7: %w", ErrNotFound)
		}
	}
	tests := []struct {
		name      string
		ttl       time.Duration
		wantCalls int64
	}{
		{"cached", time.Minute, 1},
		{"not cached", 0, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCache(t, newClient(s), Options{NegativeTTL: tc.ttl})
			var calls atomic.Int64
			key := "neg:" + tc.name
			for i := range 3 {
				if _, err := c.Fetch(ctx, key, time.Hour, missing(&calls)); !errors.Is(err, ErrNotFound) {
					t.Fatalf("Fetch #%d = %v; want ErrNotFound", i, err)
				}
			}
			if calls.Load() != tc.wantCalls {
				t.Fatalf("%d loader calls; want %d", calls.Load(), tc.wantCalls)
			}
			if tc.ttl > 0 {
				pttl := newClient(s).PTTL(ctx, key).Val()
				if pttl <= 0 || pttl > tc.ttl {
					t.Errorf("PTTL of the negative entry = %v; want NegativeTTL (%v), not the value TTL", pttl, tc.ttl)
				}
				if st := c.Stats(); st.NegativeHits != 2 {
					t.Errorf("NegativeHits = %d; want 2", st.NegativeHits)
				}
			}
		})
	}
}

func TestLoaderErrors(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx := timeout(t, 10*time.Second)
	errDB := errors.New("db down")
	tests := []struct {
		name      string
		errorTTL  time.Duration
		wantCalls int64
		want      error // of the later Fetches
	}{
		{"not cached", 0, 3, errDB},
		{"cached", time.Minute, 1, ErrCachedError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCache(t, newClient(s), Options{ErrorTTL: tc.errorTTL})
			var calls atomic.Int64
			failing := func(context.Context) ([]byte, error) { calls.Add(1); return nil, errDB }
			key := "err:" + tc.name
			if _, err := c.Fetch(ctx, key, time.Hour, failing); !errors.Is(err, errDB) {
				t.Fatalf("first Fetch = %v; want the loader's error", err)
			}
			for range 2 {
				_, err := c.Fetch(ctx, key, time.Hour, failing)
				if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "db down") {
					t.Fatalf("later Fetch = %v; want %v with the message", err, tc.want)
				}
			}
			if calls.Load() != tc.wantCalls {
				t.Fatalf("%d loader calls; want %d", calls.Load(), tc.wantCalls)
			}
			if n := newClient(s).Exists(ctx, namesFor(key).lease).Val(); n != 0 {
				t.Errorf("lease left behind by a failing loader")
			}
		})
	}
}

func TestJitter(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	clk := newFakeClock()
	c := newCache(t, newClient(s), Options{Clock: clk, Jitter: 0.2, Rand: fixedRand(0.5), Beta: -1})
	ctx := timeout(t, 10*time.Second)
	var calls atomic.Int64
	if _, err := c.Fetch(ctx, "k", 10*time.Second, value("v", &calls)); err != nil {
		t.Fatal(err)
	}
	// 10s shortened by 0.5 × 0.2 = 10%.
	raw := newClient(s).Get(ctx, "k").Val()
	e, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := epoch.Add(9 * time.Second); !e.expiry.Equal(want) {
		t.Errorf("expiry = %v; want %v (10s less 10%% jitter)", e.expiry, want)
	}
	if pttl := newClient(s).PTTL(ctx, "k").Val(); pttl > 9*time.Second || pttl < 8*time.Second {
		t.Errorf("PTTL = %v; want just under 9s", pttl)
	}
}

func TestStaleTTLKeepsExpiredValue(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newCache(t, newClient(s), Options{StaleTTL: time.Minute})
	ctx := timeout(t, 10*time.Second)
	var calls atomic.Int64
	if _, err := c.Fetch(ctx, "k", time.Second, value("v", &calls)); err != nil {
		t.Fatal(err)
	}
	if pttl := newClient(s).PTTL(ctx, "k").Val(); pttl <= time.Minute || pttl > time.Minute+time.Second {
		t.Errorf("PTTL = %v; want TTL + StaleTTL (1m1s)", pttl)
	}
}

func TestForeignValueIsAMiss(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newCache(t, newClient(s), Options{})
	ctx := timeout(t, 10*time.Second)
	if err := newClient(s).Set(ctx, "k", "plain value from elsewhere", 0).Err(); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	if v, err := c.Fetch(ctx, "k", time.Minute, value("ours", &calls)); string(v) != "ours" || err != nil {
		t.Fatalf("Fetch over a foreign value = %q, %v; want ours, nil", v, err)
	}
	if st := c.Stats(); st.FormatErrors == 0 || calls.Load() != 1 {
		t.Errorf("Stats = %+v; want format errors counted and 1 loader call", st)
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newCache(t, newClient(s), Options{})
	ctx := timeout(t, 10*time.Second)
	var calls atomic.Int64
	for range 2 {
		if _, err := c.Fetch(ctx, "k", time.Minute, value("v", &calls)); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 2 {
		t.Fatalf("%d loader calls; want 2 (Delete forces a reload)", calls.Load())
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := newClient(s)
	c := newCache(t, newClient(s), Options{})
	ctx := timeout(t, 10*time.Second)
	// Another process holds the lease: the caller waits until Close.
	if err := admin.Set(ctx, namesFor("k").lease, "other", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 1)
	var calls atomic.Int64
	go func() {
		_, err := c.Fetch(ctx, "k", time.Minute, value("v", &calls))
		errs <- err
	}()
	eventually(t, 5*time.Second, "caller waiting", func() bool { return c.Stats().LeaseWaits == 1 })
	if err := c.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := <-errs; !errors.Is(err, ErrClosed) {
		t.Fatalf("Fetch interrupted by Close = %v; want ErrClosed", err)
	}
	if _, err := c.Fetch(ctx, "k", time.Minute, value("v", &calls)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Fetch after Close = %v; want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	eventually(t, 5*time.Second, "subscription gone", func() bool { return numSub(t, admin, namesFor("k").channel) == 0 })
}

func TestCloseCancelsLoader(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := newClient(s)
	c := newCache(t, newClient(s), Options{})
	ctx := timeout(t, 10*time.Second)
	started := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		_, err := c.Fetch(ctx, "k", time.Minute, func(ctx context.Context) ([]byte, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		})
		errs <- err
	}()
	<-started
	if err := c.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := <-errs; !errors.Is(err, ErrClosed) {
		t.Fatalf("Fetch whose loader Close cancelled = %v; want ErrClosed", err)
	}
	if n := admin.Exists(ctx, namesFor("k").lease).Val(); n != 0 {
		t.Errorf("Close left the lease behind")
	}
}
