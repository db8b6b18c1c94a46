package redhot

import (
	"testing"
	"time"

	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
)

// TestSentinelFailover attaches the middleware to a failover (Sentinel)
// client and fails the primary over while a pinned key is cached: reads
// that start more than MaxStaleness after a write on the new primary was
// acknowledged return it, and the near cache serves the key again from
// the new primary afterwards.
func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	s := redistest.NewSentinel(t, redistest.SentinelOptions{Replicas: 1})
	ctx := t.Context()
	rdb := s.Client()
	t.Cleanup(func() { rdb.Close() })
	writer := s.Client()
	t.Cleanup(func() { writer.Close() })

	const bound = 500 * time.Millisecond
	mw := attach(t, rdb, Options{MaxStaleness: bound})
	waitMode(t, mw, nearcache.ModeTracking)
	mw.Pin("flag")
	if err := writer.Set(ctx, "flag", "v1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	cached(t, mw, "flag")
	if v, err := mw.Get(ctx, "flag"); v != "v1" || err != nil {
		t.Fatalf("Get(flag) = %q, %v; want v1", v, err)
	}
	if err := s.Data().WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Failover(ctx); err != nil {
		t.Fatal(err)
	}

	// The writer follows the sentinels to the new primary.
	var acked time.Time
	for deadline := time.Now().Add(10 * time.Second); ; {
		err := writer.Set(ctx, "flag", "v2", 0).Err()
		if err == nil {
			acked = time.Now()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SET after the failover: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var late, reads int
	for time.Since(acked) < bound+2*time.Second {
		start := time.Now()
		v, err := mw.Get(ctx, "flag")
		if err != nil {
			// The old primary may refuse or drop the connection while it
			// turns into a replica: an error, never a wrong value.
			continue
		}
		if start.Sub(acked) > bound {
			reads++
			if v != "v2" {
				late++
				t.Errorf("Get(flag) started %v after v2 was acknowledged = %q; want v2", start.Sub(acked), v)
			}
		}
		time.Sleep(time.Millisecond)
	}
	if reads == 0 {
		t.Fatal("no read completed after the staleness bound")
	}
	// The near cache serves the key again, now from the new primary.
	cached(t, mw, "flag")
	if v, err := mw.Get(ctx, "flag"); v != "v2" || err != nil {
		t.Fatalf("Get(flag) = %q, %v; want v2", v, err)
	}
	st := mw.Stats().Cache
	var flushes uint64
	for _, n := range st.Flushes {
		flushes += n
	}
	if flushes == 0 {
		t.Errorf("Stats().Cache.Flushes = %v after a failover; want the old primary's entries flushed", st.Flushes)
	}
	t.Logf("%d reads after the bound, %d late; flushes %v", reads, late, st.Flushes)
}
