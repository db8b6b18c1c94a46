package workload

import (
	"slices"
	"testing"
	"time"
)

// generatorCases builds one of each IndexGenerator from a seed, each
// with its own background so that cases do not share state.
var generatorCases = []struct {
	name  string
	build func(tb testing.TB, seed uint64) IndexGenerator
}{
	{"zipf", func(tb testing.TB, seed uint64) IndexGenerator {
		return newTestZipf(tb, ZipfOptions{N: 1000, S: 0.9, Seed: seed})
	}},
	{"zipf poisson", func(tb testing.TB, seed uint64) IndexGenerator {
		return newTestZipf(tb, ZipfOptions{N: 1000, S: 1.2, Seed: seed, Poisson: true})
	}},
	{"uniform", func(tb testing.TB, seed uint64) IndexGenerator {
		return newTestUniform(tb, UniformOptions{N: 1000, Seed: seed})
	}},
	{"hotspot", func(tb testing.TB, seed uint64) IndexGenerator {
		bg := newTestUniform(tb, UniformOptions{N: 1000, Seed: seed})
		return newTestHotspot(tb, HotspotOptions{Background: bg, Hot: 5, Share: 0.5, Seed: seed})
	}},
	{"step", func(tb testing.TB, seed uint64) IndexGenerator {
		bg := newTestZipf(tb, ZipfOptions{N: 1000, S: 0.9, Seed: seed})
		return newTestOverlay(tb)(NewStep(StepOptions{Background: bg, At: 10 * time.Millisecond, Share: 0.3, Seed: seed, Poisson: true}))
	}},
	{"flash sale", func(tb testing.TB, seed uint64) IndexGenerator {
		bg := newTestUniform(tb, UniformOptions{N: 1000, Seed: seed})
		return newTestOverlay(tb)(NewFlashSale(FlashSaleOptions{Background: bg, Start: time.Millisecond,
			Ramp: 5 * time.Millisecond, Hold: 5 * time.Millisecond, Fade: 5 * time.Millisecond, Peak: 0.5, Seed: seed}))
	}},
	{"mix", func(tb testing.TB, seed uint64) IndexGenerator {
		a := newTestZipf(tb, ZipfOptions{N: 1000, S: 0.9, Seed: seed})
		b := newTestUniform(tb, UniformOptions{N: 10, Seed: seed})
		return newTestMix(tb, MixOptions{Parts: []MixPart{{a, 3}, {b, 1}}, Seed: seed})
	}},
	{"replay", func(tb testing.TB, seed uint64) IndexGenerator {
		// A replay is random only in its Poisson gaps, so draw its
		// trace from a seeded generator.
		src := newTestZipf(tb, ZipfOptions{N: 100, S: 1, Seed: seed})
		r, err := NewReplay(ReplayOptions{Trace: Take(src, 500), Rate: 1000, Poisson: true, Seed: seed})
		if err != nil {
			tb.Fatal(err)
		}
		return r
	}},
}

func TestGeneratorsDeterministic(t *testing.T) {
	for _, tc := range generatorCases {
		t.Run(tc.name, func(t *testing.T) {
			a := Take(tc.build(t, 1), 2000)
			b := Take(tc.build(t, 1), 2000)
			if !slices.Equal(a, b) {
				t.Errorf("two generators with seed 1 differ")
			}
			c := Take(tc.build(t, 2), 2000)
			if slices.Equal(a, c) {
				t.Errorf("generators with seeds 1 and 2 give the same accesses")
			}
		})
	}
}

// TestGeneratorsIndexConsistency checks that Next, NextIndex and Fill
// describe the same stream.
func TestGeneratorsIndexConsistency(t *testing.T) {
	const n = 3000
	for _, tc := range generatorCases {
		t.Run(tc.name, func(t *testing.T) {
			byNext := Take(tc.build(t, 5), n)

			g := tc.build(t, 5)
			for i := range n {
				idx, at := g.NextIndex()
				if int(idx) >= g.Len() {
					t.Fatalf("NextIndex %d: index %d not below Len() = %d", i, idx, g.Len())
				}
				if got := (Access{At: at, Key: g.Key(idx), Op: byNext[i].Op}); got != byNext[i] {
					t.Fatalf("NextIndex %d gives %+v; Next gave %+v", i, got, byNext[i])
				}
			}

			g = tc.build(t, 5)
			buf := make([]uint32, n)
			g.Fill(buf[:1000])
			g.Fill(buf[1000:])
			for i, idx := range buf {
				if got := g.Key(idx); got != byNext[i].Key {
					t.Fatalf("Fill index %d gives key %q; Next gave %q", i, got, byNext[i].Key)
				}
			}
			// Fill advanced the clock as Next would have.
			if _, at := g.NextIndex(); at < byNext[n-1].At {
				t.Errorf("after Fill, NextIndex time %v; want at least %v", at, byNext[n-1].At)
			}
		})
	}
}

func TestTake(t *testing.T) {
	z := newTestZipf(t, ZipfOptions{N: 10, S: 1, Rate: 1000})
	got := Take(z, 3)
	if len(got) != 3 {
		t.Fatalf("len(Take(z, 3)) = %d; want 3", len(got))
	}
	for i, a := range got {
		if want := time.Duration(i) * time.Millisecond; a.At != want {
			t.Errorf("Take(z, 3)[%d].At = %v; want %v", i, a.At, want)
		}
	}
}

// BenchmarkFill reports the cost of drawing one key index from each kind
// of generator (1000 keys, so tables stay in cache).
func BenchmarkFill(b *testing.B) {
	for _, tc := range generatorCases {
		b.Run(tc.name, func(b *testing.B) {
			g := tc.build(b, 1)
			buf := make([]uint32, 1<<12)
			draws := 0
			for b.Loop() {
				g.Fill(buf)
				draws += len(buf)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(draws), "ns/draw")
		})
	}
}

// BenchmarkNext reports the cost of one access built by Next.
func BenchmarkNext(b *testing.B) {
	for _, tc := range generatorCases {
		b.Run(tc.name, func(b *testing.B) {
			g := tc.build(b, 1)
			b.ReportAllocs()
			for b.Loop() {
				_ = g.Next()
			}
		})
	}
}
