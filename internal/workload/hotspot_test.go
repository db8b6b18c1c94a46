package workload

import (
	"fmt"
	"slices"
	"testing"
)

func TestHotspotShare(t *testing.T) {
	const draws = 1_000_000
	tests := []struct {
		name  string
		n     int
		hot   int
		share float64
	}{
		{"30% on 10 of 10000", 10_000, 10, 0.3},
		{"90% on 1", 1000, 1, 0.9},
		{"no hotspot", 1000, 3, 0},
		{"everything on all keys", 50, 50, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bg := newTestUniform(t, UniformOptions{N: tt.n, Seed: 1})
			h := newTestHotspot(t, HotspotOptions{Background: bg, Hot: tt.hot, Share: tt.share, Seed: 2})
			hot := h.Hot()
			if len(hot) != tt.hot || !slices.IsSorted(hot) || len(slices.Compact(slices.Clone(hot))) != tt.hot {
				t.Fatalf("Hot() = %v; want %d distinct sorted indices", hot, tt.hot)
			}
			counts := countIndices(h, draws)
			onHot := 0
			for _, i := range hot {
				onHot += counts[i]
			}
			// Hot keys get Share, plus their part of the background.
			p := tt.share + (1-tt.share)*float64(tt.hot)/float64(tt.n)
			checkBinomial(t, "hot keys", onHot, draws, p)
			for _, i := range hot {
				checkBinomial(t, fmt.Sprintf("hot key %d", i), counts[i], draws, p/float64(tt.hot))
			}
		})
	}
}

func TestHotspotOverZipf(t *testing.T) {
	const draws = 500_000
	bg := newTestZipf(t, ZipfOptions{N: 10_000, S: 1.1, Seed: 1})
	h := newTestHotspot(t, HotspotOptions{Background: bg, Hot: 4, Share: 0.2, Seed: 3})
	counts := countIndices(h, draws)
	for _, i := range h.Hot() {
		p := 0.2 / 4
		for r := range bg.Len() {
			if bg.Index(r) == i {
				p += 0.8 * bg.Prob(r)
			}
		}
		checkBinomial(t, fmt.Sprintf("hot key %d", i), counts[i], draws, p)
	}
}

func TestSampleDistinct(t *testing.T) {
	for _, tt := range []struct{ n, k int }{{1, 1}, {10, 10}, {10, 3}, {1 << 30, 100}} {
		got := sampleDistinct(tt.n, tt.k, newRNG(1, streamSetup))
		if len(got) != tt.k || len(slices.Compact(slices.Clone(got))) != tt.k {
			t.Errorf("sampleDistinct(%d, %d) = %v; want %d distinct indices", tt.n, tt.k, got, tt.k)
		}
		for _, i := range got {
			if int(i) >= tt.n {
				t.Errorf("sampleDistinct(%d, %d) gives %d", tt.n, tt.k, i)
			}
		}
	}
	// Each of 5 indices is picked with probability 2/5.
	counts := make([]int, 5)
	const rounds = 100_000
	for round := range rounds {
		for _, i := range sampleDistinct(5, 2, newRNG(uint64(round), streamSetup)) {
			counts[i]++
		}
	}
	for i, c := range counts {
		checkBinomial(t, fmt.Sprintf("index %d", i), c, rounds, 0.4)
	}
}
