package stampede

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLeaseExclusive runs four caches, each on its own client (as four
// processes would), reading one key with a short TTL for a second: across
// every fill and early recomputation, at most one loader runs at any time.
// Without early recomputation, each expiry costs exactly one loader call.
func TestLeaseExclusive(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	const (
		ttl  = 100 * time.Millisecond
		cost = 15 * time.Millisecond
		run  = time.Second
	)
	tests := []struct {
		name string
		beta float64
		// bounds on loader calls, when checked
		min, max int64
	}{
		// Each fill starts at an expiry and stores a value that stays
		// fresh for ttl: at most one call per ttl, whichever process
		// makes it (fewer when a slow machine lets expiries go unread).
		{"fills only", -1, 2, int64(run/ttl) + 1},
		// Early recomputation starts each refresh about delta·(1 + Beta)
		// before expiry however fast the 32 readers go, so a value lives
		// at least ttl − 1.5·cost (longer when a slow machine stretches
		// the loader's sleep: the lead is capped at ttl/2), never two at
		// once. (Per-read XFetch draws at this rate started a refresh
		// about 5 loader runs early: over 30 calls in a second.)
		{"early recomputation", 1, 2, int64(run/(ttl-2*cost)) + 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := timeout(t, 20*time.Second)
			var running, most, calls atomic.Int64
			// firstDone is when the first loader call returned and
			// lastStart when the last Fetch began (UnixNano): a Fetch
			// that began more than ttl after the first value was stored
			// found it expired, so a second call must have happened. On
			// a machine loaded enough that no Fetch ran that late, the
			// lower bound says nothing and is not checked.
			var firstDone, lastStart atomic.Int64
			load := func(context.Context) ([]byte, error) {
				n := running.Add(1)
				defer running.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				calls.Add(1)
				time.Sleep(cost)
				firstDone.CompareAndSwap(0, time.Now().UnixNano())
				return []byte("v"), nil
			}
			key := "hot:" + tc.name
			caches := make([]*Cache, 4)
			for i := range caches {
				caches[i] = newCache(t, newClient(s), Options{Beta: tc.beta, LeaseTTL: time.Second, PollInterval: 5 * time.Millisecond})
			}
			stop := time.Now().Add(run)
			var wg sync.WaitGroup
			for _, c := range caches {
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							now := time.Now()
							if !now.Before(stop) {
								return
							}
							for l := lastStart.Load(); now.UnixNano() > l && !lastStart.CompareAndSwap(l, now.UnixNano()); l = lastStart.Load() {
							}
							if _, err := c.Fetch(ctx, key, ttl, load); err != nil {
								t.Errorf("Fetch: %v", err)
								return
							}
							time.Sleep(time.Millisecond)
						}
					}()
				}
			}
			wg.Wait()
			if most.Load() != 1 {
				t.Fatalf("at most %d loaders ran at once; want 1", most.Load())
			}
			n := calls.Load()
			if n > tc.max {
				t.Errorf("%d loader calls in %v; want at most %d (at most one per expiry)", n, run, tc.max)
			}
			late := time.Duration(lastStart.Load()-firstDone.Load()) > ttl+10*time.Millisecond
			if late && n < tc.min {
				t.Errorf("%d loader calls in %v, with reads %v after the first value was stored; want at least %d",
					n, run, time.Duration(lastStart.Load()-firstDone.Load()), tc.min)
			}
		})
	}
}

// TestReleaseOnlyByHolder: a holder whose lease was taken over by another
// caller (after it expired, say) neither extends, nor deletes, nor
// overwrites the value of, the new holder.
func TestReleaseOnlyByHolder(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := newClient(s)
	c := newCache(t, newClient(s), Options{LeaseTTL: 300 * time.Millisecond})
	ctx := timeout(t, 10*time.Second)
	n := namesFor("k")

	started := make(chan struct{})
	gate := make(chan struct{})
	load := func(context.Context) ([]byte, error) {
		close(started)
		<-gate
		return []byte("late"), nil
	}
	type result struct {
		v   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := c.Fetch(ctx, "k", time.Minute, load)
		done <- result{v, err}
	}()
	<-started
	// The lease passes to a thief, as if it had expired and been taken.
	if err := admin.Set(ctx, n.lease, "thief", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	// The old holder's extensions (every 100ms) must not touch it.
	time.Sleep(250 * time.Millisecond)
	if pttl := admin.PTTL(ctx, n.lease).Val(); pttl > time.Minute-150*time.Millisecond {
		t.Errorf("thief's lease PTTL = %v after 250ms; the old holder extended it", pttl)
	}
	close(gate)
	r := <-done
	if string(r.v) != "late" || r.err != nil {
		t.Fatalf("old holder's Fetch = %q, %v; want its own value", r.v, r.err)
	}
	if got := admin.Get(ctx, n.lease).Val(); got != "thief" {
		t.Errorf("lease = %q after the old holder finished; want the thief's token", got)
	}
	if n := admin.Exists(ctx, "k").Val(); n != 0 {
		t.Errorf("old holder stored its value over the new holder's lease")
	}
	if st := c.Stats(); st.LeasesLost == 0 {
		t.Errorf("Stats = %+v; want the lost lease counted", st)
	}

	// The scripts themselves, with the wrong token.
	if ok, err := c.extend(ctx, n, "not-the-token"); ok || err != nil {
		t.Errorf("extend with the wrong token = %v, %v; want false, nil", ok, err)
	}
	if ok, err := c.release(ctx, n, "not-the-token", "", 0); ok || err != nil {
		t.Errorf("release with the wrong token = %v, %v; want false, nil", ok, err)
	}
	if got := admin.Get(ctx, n.lease).Val(); got != "thief" {
		t.Errorf("lease = %q; want it untouched by the wrong token", got)
	}
	if ok, err := c.release(ctx, n, "thief", "", 0); !ok || err != nil {
		t.Errorf("release by the holder = %v, %v; want true, nil", ok, err)
	}
	if n := admin.Exists(ctx, n.lease).Val(); n != 0 {
		t.Errorf("lease survives its holder's release")
	}
}

// TestWaiterWokenByNotification: a caller waiting for another process's
// holder is woken by the holder's notification, not by polling (the poll
// interval here is far longer than the test).
func TestWaiterWokenByNotification(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := newClient(s)
	ctx := timeout(t, 20*time.Second)
	holder := newCache(t, newClient(s), Options{})
	waiter := newCache(t, newClient(s), Options{PollInterval: time.Minute, WaitTimeout: 2 * time.Minute})

	started := make(chan struct{})
	gate := make(chan struct{})
	held := make(chan error, 1)
	go func() {
		_, err := holder.Fetch(ctx, "k", time.Minute, func(context.Context) ([]byte, error) {
			close(started)
			<-gate
			return []byte("holder's"), nil
		})
		held <- err
	}()
	<-started
	var waiterCalls atomic.Int64
	type result struct {
		v   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := waiter.Fetch(ctx, "k", time.Minute, value("waiter's", &waiterCalls))
		done <- result{v, err}
	}()
	eventually(t, 5*time.Second, "waiter subscribed", func() bool { return numSub(t, admin, namesFor("k").channel) == 1 })
	close(gate)
	select {
	case r := <-done:
		if string(r.v) != "holder's" || r.err != nil {
			t.Fatalf("waiter's Fetch = %q, %v; want the holder's value", r.v, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("waiter not woken within 10s (poll interval 1m): the notification did not arrive")
	}
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if st := waiter.Stats(); waiterCalls.Load() != 0 || st.LeaseWaits != 1 {
		t.Errorf("waiter: %d loader calls, Stats %+v; want 0 calls and 1 lease wait", waiterCalls.Load(), st)
	}
	eventually(t, 5*time.Second, "subscription released", func() bool { return numSub(t, admin, namesFor("k").channel) == 0 })
}

// TestWaitTimeout: a holder that neither finishes nor dies keeps waiters
// until WaitTimeout; then they get ErrLeaseTimeout or the stale value, as
// configured.
func TestWaitTimeout(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := newClient(s)
	ctx := timeout(t, 20*time.Second)
	tests := []struct {
		name      string
		opts      Options
		withStale bool
		want      string // value, or "" for ErrLeaseTimeout
	}{
		{"error", Options{}, true, ""},
		{"stale", Options{OnLeaseTimeout: ServeStale, StaleTTL: time.Minute}, true, "stale"},
		{"stale but none kept", Options{OnLeaseTimeout: ServeStale, StaleTTL: time.Minute}, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newFakeClock()
			o := tc.opts
			o.Clock = clk
			o.WaitTimeout = 200 * time.Millisecond
			o.PollInterval = 20 * time.Millisecond
			c := newCache(t, newClient(s), o)
			key := "timeout:" + tc.name
			var calls atomic.Int64
			if tc.withStale {
				if _, err := c.Fetch(ctx, key, time.Second, value("stale", &calls)); err != nil {
					t.Fatal(err)
				}
				clk.Add(2 * time.Second) // expired, but kept for StaleTTL
			}
			if err := admin.Set(ctx, namesFor(key).lease, "stuck holder", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			v, err := c.Fetch(ctx, key, time.Second, value("fresh", &calls))
			if tc.want == "" {
				if !errors.Is(err, ErrLeaseTimeout) {
					t.Fatalf("Fetch = %q, %v; want ErrLeaseTimeout", v, err)
				}
			} else if string(v) != tc.want || err != nil {
				t.Fatalf("Fetch = %q, %v; want %q", v, err, tc.want)
			}
			st := c.Stats()
			if st.LeaseTimeouts != 1 || (tc.want != "") != (st.StaleServed == 1) {
				t.Errorf("Stats = %+v; want 1 lease timeout, stale served %v", st, tc.want != "")
			}
		})
	}
}

// TestCancelWhileWaiting: a caller whose context ends while it waits for
// another holder returns at once with the context's error, and leaves no
// subscription behind (goroutines are checked by TestMain).
func TestCancelWhileWaiting(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := newClient(s)
	c := newCache(t, newClient(s), Options{WaitTimeout: time.Minute})
	n := namesFor("k")
	if err := admin.Set(t.Context(), n.lease, "slow holder", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		deadline time.Duration // 0: cancel once waiting
		want     error
	}{
		{"cancel", 0, context.Canceled},
		{"deadline", 300 * time.Millisecond, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			if tc.deadline > 0 {
				ctx, cancel = context.WithTimeout(t.Context(), tc.deadline)
			}
			defer cancel()
			waits := c.Stats().LeaseWaits
			errs := make(chan error, 1)
			var calls atomic.Int64
			go func() {
				_, err := c.Fetch(ctx, "k", time.Minute, value("v", &calls))
				errs <- err
			}()
			eventually(t, 5*time.Second, "caller waiting", func() bool { return c.Stats().LeaseWaits == waits+1 })
			eventually(t, 5*time.Second, "subscribed", func() bool { return numSub(t, admin, n.channel) == 1 })
			if tc.deadline == 0 {
				cancel()
			}
			select {
			case err := <-errs:
				if !errors.Is(err, tc.want) {
					t.Fatalf("Fetch = %v; want %v", err, tc.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("Fetch still waiting 5s after its context ended")
			}
			eventually(t, 5*time.Second, "subscription released", func() bool { return numSub(t, admin, n.channel) == 0 })
			if calls.Load() != 0 {
				t.Errorf("loader called while another process held the lease")
			}
		})
	}
}

// TestScriptFlush: the lease scripts run with EVALSHA and fall back to EVAL
// when the server has forgotten them (a restart, SCRIPT FLUSH).
func TestScriptFlush(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := newClient(s)
	c := newCache(t, newClient(s), Options{})
	ctx := timeout(t, 10*time.Second)
	var calls atomic.Int64
	for i := range 3 {
		if err := admin.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Fetch(ctx, "k", time.Minute, value("v", &calls)); string(v) != "v" || err != nil {
			t.Fatalf("Fetch #%d after SCRIPT FLUSH = %q, %v; want v, nil", i, v, err)
		}
	}
	if calls.Load() != 3 {
		t.Fatalf("%d loader calls; want 3", calls.Load())
	}
}
