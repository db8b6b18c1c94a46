package stampede

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestRefreshLead(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		delta time.Duration
		beta  float64
		draw  float64
		want  time.Duration
	}{
		{"lowest draw", 100 * ms, 1, 0, 150 * ms},
		{"middle draw", 100 * ms, 1, 0.5, 200 * ms},
		{"beta two", 100 * ms, 2, 0.5, 300 * ms},
		{"small beta", 100 * ms, 0.2, 0, 110 * ms},
		{"draw clamped below", 100 * ms, 1, -3, 150 * ms},
		{"draw clamped above", 100 * ms, 1, 7, 250 * ms},
		{"free to compute", 0, 1, 0.5, 0},
		{"disabled", 100 * ms, -1, 0.5, 0},
		{"NaN beta", 100 * ms, math.NaN(), 0.5, 0},
		{"huge beta saturates", time.Hour, 1e300, 0.5, math.MaxInt64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RefreshLead(tc.delta, tc.beta, tc.draw); got != tc.want {
				t.Fatalf("RefreshLead(%v, %v, %v) = %v; want %v", tc.delta, tc.beta, tc.draw, got, tc.want)
			}
		})
	}
}

// TestDrawIsShared: the draw is a function of the key and of the entry's
// stored expiry and delta only, fixed byte for byte, since every process
// on the Redis must put the recomputation point of an entry at the same
// instant.
func TestDrawIsShared(t *testing.T) {
	e := entry{kind: kindValue, expiry: time.UnixMilli(1_700_000_000_123), delta: 98765 * time.Microsecond, payload: "v"}
	got := drawOf("product:{42}", e)
	// The FNV-1a + fmix64 value of "product:{42}" followed by the 12
	// header bytes, computed once and pinned here.
	const want = 0x1.3a2906774373ep-01
	if got != want {
		t.Errorf("drawOf = %x; want %x (the draw changed: processes of different versions would disagree)", got, want)
	}
	other := e
	other.payload, other.kind = "something else", kindNotFound
	if d := drawOf("product:{42}", other); d != got {
		t.Errorf("drawOf depends on the payload or kind: %v vs %v", d, got)
	}
	raw := e.encode()
	decoded, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if d := drawOf("product:{42}", decoded); d != got {
		t.Errorf("drawOf(decode(encode(e))) = %v; want %v", d, got)
	}
	next := e
	next.expiry = next.expiry.Add(time.Millisecond)
	if d := drawOf("product:{42}", next); d == got {
		t.Errorf("the next entry of the key has the same draw %v", d)
	}
	if d := drawOf("product:{43}", e); d == got {
		t.Errorf("another key has the same draw %v", d)
	}
}

// TestDrawDistribution: over many keys and entries the draws are uniform
// on [0, 1), so recomputation points spread evenly over their range.
func TestDrawDistribution(t *testing.T) {
	const n, buckets = 200_000, 20
	var count [buckets]int
	for i := range n {
		e := entry{expiry: epoch.Add(time.Duration(i%997) * time.Millisecond), delta: time.Duration(1+i%13) * time.Millisecond}
		d := drawOf("key:"+strconv.Itoa(i), e)
		if d < 0 || d >= 1 {
			t.Fatalf("draw %v outside [0, 1)", d)
		}
		count[int(d*buckets)]++
	}
	// Each bucket expects n/buckets = 10,000 draws; a binomial standard
	// deviation is about 97, so 5% is over five of them.
	for b, c := range count {
		if want := n / buckets; math.Abs(float64(c-want)) > 0.05*float64(want) {
			t.Errorf("bucket %d has %d draws; want about %d", b, c, want)
		}
	}
}

func TestEarlyPoint(t *testing.T) {
	e := entry{expiry: epoch.Add(10 * time.Second), delta: time.Second}
	point := RefreshLead(e.delta, 1, drawOf("k", e))
	tests := []struct {
		name      string
		remaining time.Duration
		ttl       time.Duration
		want      bool
	}{
		{"far", time.Hour, 10 * time.Hour, false},
		{"just before the point", point + time.Millisecond, time.Hour, false},
		{"at the point", point, time.Hour, true},
		{"after the point", point / 2, time.Hour, true},
		{"at expiry", 0, time.Hour, true},
		{"capped at half the ttl", point, 2 * point, true},
		{"capped at half the ttl", point, 2*point - 4*time.Millisecond, false},
	}
	for _, tc := range tests {
		if got := early("k", e, e.expiry.Add(-tc.remaining), 1, tc.ttl); got != tc.want {
			t.Errorf("%s: early(%v left of %v, point %v) = %v; want %v", tc.name, tc.remaining, tc.ttl, point, got, tc.want)
		}
	}
	if early("k", e, e.expiry.Add(-time.Millisecond), -1, time.Hour) {
		t.Errorf("early with Beta -1 = true; want false (disabled)")
	}
}

// TestEarlyPointIgnoresReadRate is the property early recomputation is
// for: whatever the read rate (summed over every process), the
// recomputation starts at the first read after the entry's point, between
// delta·(1 + Beta/2) and delta·(1 + 3·Beta/2) before expiry, with an
// average lead of delta·(1 + Beta) once reads come faster than one per
// delta. Plain XFetch, with one draw per read, is simulated alongside: its
// lead grows with the logarithm of the rate.
func TestEarlyPointIgnoresReadRate(t *testing.T) {
	const (
		delta = 100 * time.Millisecond
		ttl   = time.Second
		beta  = 1.0
	)
	rng := rand.New(rand.NewPCG(1, 2))
	lo, hi := RefreshLead(delta, beta, 0), RefreshLead(delta, beta, 1)
	// first returns how long before expiry the first read of a Poisson
	// stream of rate reads per second, starting from before the point can
	// lie, finds rule true; 0 if none before expiry.
	first := func(rate float64, from time.Duration, rule func(remaining time.Duration) bool) time.Duration {
		for left := from; ; {
			left -= time.Duration(rng.ExpFloat64() / rate * float64(time.Second))
			if left <= 0 {
				return 0
			}
			if rule(left) {
				return left
			}
		}
	}
	var xfetch []float64 // mean XFetch lead per rate, in deltas
	for _, rate := range []float64{100, 1_000, 10_000, 100_000, 1_000_000} {
		entries := 2000
		if rate > 10_000 {
			entries = 200 // each entry takes rate/10 reads in the window
		}
		var sum, lateness time.Duration
		for i := range entries {
			e := entry{expiry: epoch.Add(time.Duration(i) * time.Millisecond), delta: delta}
			key := "key:" + strconv.Itoa(i)
			point := RefreshLead(delta, beta, drawOf(key, e))
			lead := first(rate, hi, func(left time.Duration) bool {
				return early(key, e, e.expiry.Add(-left), beta, ttl)
			})
			if lead > point || lead > hi {
				t.Fatalf("rate %v: recomputation %v before expiry, before its point %v (bound %v)", rate, lead, point, hi)
			}
			sum += lead
			lateness += point - lead
		}
		mean, late := sum/time.Duration(entries), lateness/time.Duration(entries)
		// The first read after the point comes 1/rate later on average.
		gap := time.Duration(float64(time.Second) / rate)
		if late > 2*gap {
			t.Errorf("rate %v: recomputation %v after its point on average; want about %v", rate, late, gap)
		}
		// The draws are uniform: the mean lead is the middle one, within
		// four standard errors (a uniform draw's deviation is 1/√12).
		want := RefreshLead(delta, beta, 0.5) - gap
		tol := time.Duration(4 * beta * float64(delta) / math.Sqrt(12*float64(entries)))
		if d := mean - want; d < -tol || d > tol {
			t.Errorf("rate %v: mean lead %v; want %v ± %v (between %v and %v)", rate, mean, want, tol, lo, hi)
		}

		if rate > 10_000 {
			continue // XFetch needs every read of the ttl: too slow to simulate
		}
		var xsum time.Duration
		const xentries = 200
		for range xentries {
			xsum += first(rate, ttl, func(left time.Duration) bool {
				return float64(delta)*beta*rng.ExpFloat64() >= float64(left)
			})
		}
		xfetch = append(xfetch, float64(xsum/xentries)/float64(delta))
	}
	// Plain XFetch: about ln(rate·delta·beta) deltas, so 2.3 at 100/s and
	// 6.9 at 10,000/s, past the bound of the shared point.
	if len(xfetch) != 3 || xfetch[2] < xfetch[0]+3 || xfetch[2] < float64(hi)/float64(delta)*2 {
		t.Errorf("plain XFetch leads %v deltas at 100, 1000 and 10000 reads/s; want them growing with the rate (the simulation is broken)", xfetch)
	}
}

// TestEarlyRecomputationElsewhere: while another process recomputes a key,
// this process's reads, though they are all past the recomputation point,
// ask for the lease at most about once per PollInterval instead of on every
// read.
func TestEarlyRecomputationElsewhere(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := newClient(s)
	clk := newFakeClock()
	const poll = 100 * time.Millisecond
	c := newCache(t, newClient(s), Options{Clock: clk, PollInterval: poll})
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
	// Half a second before expiry, well past any point (delta is 1s, so
	// the lead is at least 1.5s).
	clk.Add(time.Minute - 500*time.Millisecond)
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
