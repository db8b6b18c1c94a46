package workload

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
)

func TestHarmonic(t *testing.T) {
	tests := []struct {
		name string
		n    int
		s    float64
	}{
		{"direct only", 1000, 0.9},
		{"s=0.5", 200_000, 0.5},
		{"s=0.9", 1_000_000, 0.9},
		{"s=0.99999", 1_000_000, 0.99999},
		{"s=1", 1_000_000, 1},
		{"s=1.00001", 1_000_000, 1.00001},
		{"s=1.2", 1_000_000, 1.2},
		{"s=3", 100_000, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := 0.0
			for k := tt.n; k >= 1; k-- {
				want += math.Pow(float64(k), -tt.s)
			}
			got := harmonic(tt.n, tt.s)
			if rel := math.Abs(got-want) / want; rel > 1e-12 {
				t.Errorf("harmonic(%d, %v) = %.17g; want %.17g (relative error %.2g)", tt.n, tt.s, got, want, rel)
			}
		})
	}
}

func TestZipfProbSumsToOne(t *testing.T) {
	for _, s := range []float64{0.5, 0.9, 1, 1.2} {
		z := newTestZipf(t, ZipfOptions{N: 50_000, S: s, RankOrder: true})
		sum := 0.0
		for r := z.Len() - 1; r >= 0; r-- {
			sum += z.Prob(r)
		}
		if math.Abs(sum-1) > 1e-12 {
			t.Errorf("s=%v: Σ Prob = %.15f; want 1", s, sum)
		}
		if p := z.Prob(-1) + z.Prob(z.Len()); p != 0 {
			t.Errorf("s=%v: Prob outside [0, N) = %v; want 0", s, p)
		}
	}
}

// TestZipfTopRanks checks the empirical frequencies of the hottest ranks
// against Prob over a million draws from a million keys.
func TestZipfTopRanks(t *testing.T) {
	const draws = 1_000_000
	for _, s := range []float64{0.9, 1.0, 1.2} {
		t.Run(fmt.Sprintf("s=%v", s), func(t *testing.T) {
			z := newTestZipf(t, ZipfOptions{N: 1_000_000, S: s, Seed: 7})
			counts := countIndices(z, draws)
			for r := range 20 {
				p := z.Prob(r)
				got := counts[z.Index(r)]
				checkBinomial(t, fmt.Sprintf("rank %d", r), got, draws, p)
				if r < 3 {
					if rel := math.Abs(float64(got)/draws-p) / p; rel > 0.03 {
						t.Errorf("rank %d frequency %.5f; want %.5f within 3%%", r, float64(got)/draws, p)
					}
				}
			}
			// The long tail gets its share too.
			tail, tailP := 0, 0.0
			for r := 1000; r < z.Len(); r++ {
				tail += counts[z.Index(r)]
			}
			for r := z.Len() - 1; r >= 1000; r-- {
				tailP += z.Prob(r)
			}
			checkBinomial(t, "ranks ≥ 1000", tail, draws, tailP)
		})
	}
}

// TestZipfExactSmall compares every rank's frequency with Prob for small
// key counts, where any error in the sampler would show.
func TestZipfExactSmall(t *testing.T) {
	const draws = 2_000_000
	for _, tt := range []struct {
		n int
		s float64
	}{{1, 0.9}, {2, 0.9}, {5, 0.5}, {10, 1}, {100, 0.9}, {100, 2.5}, {1000, 1.2}} {
		t.Run(fmt.Sprintf("N=%d,s=%v", tt.n, tt.s), func(t *testing.T) {
			z := newTestZipf(t, ZipfOptions{N: tt.n, S: tt.s, Seed: 3})
			counts := countIndices(z, draws)
			chi2 := 0.0
			for r := range tt.n {
				want := z.Prob(r) * draws
				d := float64(counts[z.Index(r)]) - want
				chi2 += d * d / want
			}
			// Mean n-1, standard deviation √(2(n-1)): allow 6σ.
			if df := float64(tt.n - 1); chi2 > df+6*math.Sqrt(2*df)+1e-9 {
				t.Errorf("χ² = %.1f with %d degrees of freedom; want at most %.1f", chi2, tt.n-1, df+6*math.Sqrt(2*df))
			}
		})
	}
}

func TestZipfPermutation(t *testing.T) {
	ranked := newTestZipf(t, ZipfOptions{N: 1000, S: 1, RankOrder: true})
	for r := range 1000 {
		if got := ranked.Index(r); got != uint32(r) {
			t.Fatalf("RankOrder: Index(%d) = %d; want %d", r, got, r)
		}
	}
	permuted := newTestZipf(t, ZipfOptions{N: 1000, S: 1, Seed: 1})
	seen := make([]bool, 1000)
	moved := 0
	for r := range 1000 {
		i := permuted.Index(r)
		if seen[i] {
			t.Fatalf("Index(%d) = %d, already the index of another rank", r, i)
		}
		seen[i] = true
		if i != uint32(r) {
			moved++
		}
	}
	if moved < 900 {
		t.Errorf("permutation moves %d of 1000 ranks; want nearly all", moved)
	}
	counts := countIndices(permuted, 100_000)
	if hottest := slices.Index(counts, slices.Max(counts)); uint32(hottest) != permuted.Index(0) {
		t.Errorf("most drawn index = %d; want Index(0) = %d", hottest, permuted.Index(0))
	}
}

func TestZipfCustomKeys(t *testing.T) {
	ks := newTestKeyspace(t, KeyspaceOptions{Prefix: "product:", N: 10})
	z := newTestZipf(t, ZipfOptions{Keys: ks, S: 1, RankOrder: true})
	if z.Len() != 10 {
		t.Errorf("Len() = %d; want 10", z.Len())
	}
	if got := z.Key(z.Index(0)); got != "product:0" {
		t.Errorf("hottest key = %q; want product:0", got)
	}
	if got := z.Next().Key; got[:8] != "product:" {
		t.Errorf("Next().Key = %q; want a product: key", got)
	}
}

func TestZipfFillAllocatesNothing(t *testing.T) {
	z := newTestZipf(t, ZipfOptions{N: 1000, S: 0.9, Poisson: true})
	buf := make([]uint32, 100)
	if allocs := testing.AllocsPerRun(100, func() { z.Fill(buf) }); allocs != 0 {
		t.Errorf("Fill allocates %v times per call; want 0", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() { _ = z.Next() }); allocs != 0 {
		t.Errorf("Next allocates %v times per call; want 0", allocs)
	}
}

func TestClock(t *testing.T) {
	z := newTestZipf(t, ZipfOptions{N: 10, S: 1, Rate: 3})
	want := []time.Duration{0, 333333333, 666666667, time.Second, 1333333333}
	for i, w := range want {
		if got := z.Next().At; got != w {
			t.Errorf("access %d: At = %v; want %v", i, got, w)
		}
	}

	const n = 200_000
	p := newTestZipf(t, ZipfOptions{N: 10, S: 1, Rate: 50_000, Poisson: true, Seed: 9})
	var prev time.Duration
	for i := range n {
		at := p.Next().At
		if at < prev {
			t.Fatalf("access %d: At = %v before previous %v", i, at, prev)
		}
		prev = at
	}
	// The sum of n exponential gaps with mean 20µs has relative standard
	// deviation 1/√n; allow 5σ.
	mean := prev.Seconds() / (n - 1)
	if math.Abs(mean-20e-6)/20e-6 > 5/math.Sqrt(n) {
		t.Errorf("Poisson mean gap = %v; want 20µs", mean)
	}
}

// BenchmarkZipfFill reports the cost of drawing one Zipf key index, as
// when benchmarks pre-generate index traces.
func BenchmarkZipfFill(b *testing.B) {
	for _, bc := range []struct {
		n int
		s float64
	}{{1_000_000, 0.9}, {1_000_000, 1.0}, {1_000_000, 1.2}, {10_000_000, 0.9}} {
		b.Run(fmt.Sprintf("N=%d/s=%v", bc.n, bc.s), func(b *testing.B) {
			z := newTestZipf(b, ZipfOptions{N: bc.n, S: bc.s})
			buf := make([]uint32, 1<<16)
			draws := 0
			for b.Loop() {
				z.Fill(buf)
				draws += len(buf)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(draws), "ns/draw")
		})
	}
}

// BenchmarkNewZipf reports the cost of building a Zipf generator,
// Keyspace included.
func BenchmarkNewZipf(b *testing.B) {
	for _, n := range []int{1_000_000, 10_000_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			for b.Loop() {
				newTestZipf(b, ZipfOptions{N: n, S: 0.9})
			}
		})
	}
}
