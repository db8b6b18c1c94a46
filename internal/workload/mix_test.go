package workload

import (
	"testing"
	"time"
)

func TestMixWeights(t *testing.T) {
	const draws = 500_000
	zipf := newTestZipf(t, ZipfOptions{N: 1000, S: 0.9, Seed: 1})
	viral := newTestKeyspaceOf(t, "viral:1")
	one := newTestUniform(t, UniformOptions{Keys: viral, Seed: 1})
	unused := newTestUniform(t, UniformOptions{N: 5, Seed: 1})
	m := newTestMix(t, MixOptions{Parts: []MixPart{{zipf, 0.98}, {unused, 0}, {one, 0.02}, {unused, 0}}, Seed: 2})

	if m.Len() != 1000+5+1+5 {
		t.Errorf("Len() = %d; want 1011", m.Len())
	}
	for j, want := range []uint32{0, 1000, 1005, 1006} {
		if got := m.Offset(j); got != want {
			t.Errorf("Offset(%d) = %d; want %d", j, got, want)
		}
	}
	if got := m.Key(1005); got != "viral:1" {
		t.Errorf("Key(1005) = %q; want viral:1", got)
	}
	if got := m.Key(zipf.Index(0)); got != zipf.Key(zipf.Index(0)) {
		t.Errorf("Key(%d) = %q; want %q", zipf.Index(0), got, zipf.Key(zipf.Index(0)))
	}

	counts := countIndices(m, draws)
	checkBinomial(t, "viral", counts[1005], draws, 0.02)
	checkBinomial(t, "zipf rank 0", counts[zipf.Index(0)], draws, 0.98*zipf.Prob(0))
	for i := 1000; i < 1005; i++ {
		if counts[i] != 0 || counts[i+6] != 0 {
			t.Errorf("zero-weight part drawn")
		}
	}
}

// TestMixPassesTime checks that a time-dependent part sees the Mix's
// stream time, not its own clock.
func TestMixPassesTime(t *testing.T) {
	bg := newTestUniform(t, UniformOptions{N: 100, Seed: 1})
	step := newTestOverlay(t)(NewStep(StepOptions{Background: bg, At: time.Second, Share: 1, Rate: 1}))
	other := newTestUniform(t, UniformOptions{N: 100, Seed: 2})
	m := newTestMix(t, MixOptions{Parts: []MixPart{{step, 1}, {other, 1}}, Rate: 1000, Seed: 3})
	viral := m.Offset(0) + step.KeyIndex()
	for range 3000 {
		i, at := m.NextIndex()
		if at < time.Second && i == viral {
			t.Fatalf("viral key drawn at %v, before the step at 1s", at)
		}
		if at >= time.Second && i < m.Offset(1) && i != viral {
			t.Fatalf("step part gave background key %d at %v, after the step to share 1", i, at)
		}
	}
}

func TestMixInvalid(t *testing.T) {
	u := newTestUniform(t, UniformOptions{N: 10})
	tests := []struct {
		name  string
		opts  MixOptions
		field string
	}{
		{"no parts", MixOptions{}, "MixOptions.Parts"},
		{"nil sampler", MixOptions{Parts: []MixPart{{u, 1}, {nil, 1}}}, "MixOptions.Parts[1].Sampler"},
		{"negative weight", MixOptions{Parts: []MixPart{{u, 1}, {u, -1}}}, "MixOptions.Parts[1].Weight"},
		{"infinite weight", MixOptions{Parts: []MixPart{{u, posInf()}}}, "MixOptions.Parts[0].Weight"},
		{"all zero", MixOptions{Parts: []MixPart{{u, 0}, {u, 0}}}, "MixOptions.Parts"},
		{"bad rate", MixOptions{Parts: []MixPart{{u, 1}}, Rate: -5}, "MixOptions.Rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewMix(tt.opts)
			checkInvalid(t, err, tt.field)
		})
	}
}
