package stampede

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestEarlyProbability(t *testing.T) {
	tests := []struct {
		name             string
		remaining, delta time.Duration
		beta             float64
		want             float64
	}{
		{"expired", -time.Second, time.Second, 1, 1},
		{"expiring now", 0, time.Second, 1, 1},
		{"one delta left", time.Second, time.Second, 1, math.Exp(-1)},
		{"two deltas left", 2 * time.Second, time.Second, 1, math.Exp(-2)},
		{"beta two doubles the horizon", 2 * time.Second, time.Second, 2, math.Exp(-1)},
		{"free to compute", time.Second, 0, 1, 0},
		{"disabled", time.Second, time.Second, -1, 0},
		{"far from expiry", time.Hour, time.Millisecond, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := EarlyProbability(tc.remaining, tc.delta, tc.beta)
			if math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("EarlyProbability(%v, %v, %v) = %v; want %v", tc.remaining, tc.delta, tc.beta, got, tc.want)
			}
		})
	}
}

func TestEarlyDraw(t *testing.T) {
	e := entry{expiry: epoch.Add(10 * time.Second), delta: time.Second}
	// 500ms before expiry with delta 1s: p = exp(-0.5) ≈ 0.607.
	now := e.expiry.Add(-500 * time.Millisecond)
	tests := []struct {
		r    float64
		want bool
	}{{0, true}, {0.6, true}, {0.61, false}, {0.999, false}}
	for _, tc := range tests {
		if got := early(e, now, 1, tc.r); got != tc.want {
			t.Errorf("early(r=%v) = %v; want %v", tc.r, got, tc.want)
		}
	}
	if !early(e, e.expiry, 1, 0.999) {
		t.Errorf("early at expiry = false; want true")
	}
}

// TestEarlyDistribution checks that draws with math/rand recompute with
// the probability XFetch promises.
func TestEarlyDistribution(t *testing.T) {
	e := entry{expiry: epoch.Add(time.Second), delta: 500 * time.Millisecond}
	const n = 200000
	hits := 0
	for i := range n {
		if early(e, epoch, 1, float64(i)/n) {
			hits++
		}
	}
	want := math.Exp(-2)
	if got := float64(hits) / n; math.Abs(got-want) > 0.001 {
		t.Fatalf("share of early draws = %.4f; want %.4f", got, want)
	}
}

// TestEarlyRecomputationElsewhere: while another process recomputes a key,
// this process's reads, though they all draw early, ask for the lease at
// most about once per PollInterval instead of on every read.
func TestEarlyRecomputationElsewhere(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := newClient(s)
	clk := newFakeClock()
	const poll = 100 * time.Millisecond
	c := newCache(t, newClient(s), Options{Clock: clk, Rand: fixedRand(0), PollInterval: poll})
	ctx := timeout(t, 10*time.Second)
	var calls atomic.Int64
	first := func(context.Context) ([]byte, error) {
		calls.Add(1)
		clk.Add(time.Second)
		return []byte("v"), nil
	}
	if _, err := c.Fetch(ctx, "k", time.Minute, first); err != nil {
		t.Fatal(err)
	}
	// Another process holds the lease for a long recomputation.
	if err := admin.Set(ctx, namesFor("k").lease, "other", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := admin.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	reads := 0
	for time.Since(start) < 3*poll {
		if v, err := c.Fetch(ctx, "k", time.Minute, first); string(v) != "v" || err != nil {
			t.Fatalf("Fetch = %q, %v; want v, nil", v, err)
		}
		reads++
	}
	elapsed := time.Since(start)
	attempts := scriptCalls(t, admin)
	if max := int64(elapsed/poll) + 2; attempts > max || attempts == 0 {
		t.Fatalf("%d lease attempts in %v of %d early reads; want 1 to %d (one per PollInterval)", attempts, elapsed, reads, max)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d loader calls; want 1 (the lease is held elsewhere)", calls.Load())
	}
}

// scriptCalls returns how many scripts the server has run since the last
// CONFIG RESETSTAT.
func scriptCalls(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	info, err := c.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, line := range strings.Split(info, "\n") {
		for _, cmd := range []string{"cmdstat_evalsha:calls=", "cmdstat_eval:calls="} {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), cmd); ok {
				v, _ := strconv.ParseInt(rest[:strings.IndexByte(rest, ',')], 10, 64)
				n += v
			}
		}
	}
	return n
}
