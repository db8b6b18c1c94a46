package heat

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestSketchGuarantees checks the package's stated guarantees on random
// streams against exact decayed counts: every tracked key's true count lies
// in [exact, exact+prior], and every untracked key's true count is at most
// the table's smallest count. The window is short so that the landmark is
// rescaled many times during each stream.
func TestSketchGuarantees(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, seed*7919))
			window := 10 * time.Millisecond
			capacity := 5 + r.IntN(40)
			universe := 50 + r.IntN(2000)
			tr, clk := newFake(t, Options{Capacity: capacity, Window: window, SketchCounters: 512})
			s := tr.stripes[0]
			tau := float64(window)
			// Exact decayed counts with a landmark moved alongside the
			// clock, so nothing overflows.
			exact := make(map[string]float64)
			landmark := clk.Now().UnixNano()
			skew := 0.5 + r.Float64()*1.5
			for i := 0; i < 30_000; i++ {
				k := fmt.Sprintf("k%d", int(float64(universe)*math.Pow(r.Float64(), 1+skew)))
				now := clk.Now().UnixNano()
				if float64(now-landmark) > 8*tau {
					f := math.Exp(-float64(now-landmark) / tau)
					for kk := range exact {
						exact[kk] *= f
					}
					landmark = now
				}
				w := 1.0
				if r.IntN(10) == 0 {
					w = 1 + r.Float64()*5
				}
				tr.ObserveWeighted(k, Op(r.IntN(2)), w)
				exact[k] += w * math.Exp(float64(now-landmark)/tau)
				clk.Add(time.Duration(r.IntN(200)) * time.Microsecond)
				if i%997 == 0 {
					checkGuarantees(t, s, exact, landmark, clk.Now().UnixNano(), tau, tr)
				}
			}
			checkGuarantees(t, s, exact, landmark, clk.Now().UnixNano(), tau, tr)
		})
	}
}

func checkGuarantees(t *testing.T, s *stripe, exact map[string]float64, landmark, now int64, tau float64, tr *Tracker) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	toNow := math.Exp(-float64(now-s.landmark) / tau)
	trueNow := func(k string) float64 { return exact[k] * math.Exp(-float64(now-landmark)/tau) }
	const tol = 1e-6
	tracked := make(map[string]bool)
	for i := range s.entries {
		e := &s.entries[i]
		k := string(s.key(i))
		tracked[k] = true
		lo, hi, tv := e.exact()*toNow, e.count*toNow, trueNow(k)
		if tv < lo*(1-tol)-tol || tv > hi*(1+tol)+tol {
			t.Fatalf("key %s: true count %.6f outside [exact %.6f, exact+prior %.6f]", k, tv, lo, hi)
		}
	}
	if len(s.entries) < cap(s.entries) {
		return
	}
	minNow := s.entries[s.heap[0]].count * toNow
	for k := range exact {
		if tracked[k] {
			continue
		}
		if tv := trueNow(k); tv > minNow*(1+tol)+tol {
			t.Fatalf("untracked key %s has true count %.6f above the table minimum %.6f", k, tv, minNow)
		}
	}
	// The heap is a min-heap and the index finds every entry.
	for j := 1; j < len(s.heap); j++ {
		if s.less(j, (j-1)/2) {
			t.Fatalf("heap order broken at %d", j)
		}
	}
	for i := range s.entries {
		if s.find(s.entries[i].hash) != i {
			t.Fatalf("index lost entry %d", i)
		}
	}
	_ = tr
}
