package workload

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestStep(t *testing.T) {
	const rate = 50_000
	bg := newTestZipf(t, ZipfOptions{N: 100_000, S: 0.9, Seed: 1})
	o := newTestOverlay(t)(NewStep(StepOptions{Background: bg, At: 2 * time.Second, Share: 0.02, Seed: 2, Rate: rate}))
	if got := o.Len(); got != bg.Len()+1 {
		t.Errorf("Len() = %d; want %d", got, bg.Len()+1)
	}
	if got := o.Key(o.KeyIndex()); got != "viral:1" {
		t.Errorf("Key(KeyIndex()) = %q; want viral:1", got)
	}
	before, after, afterTotal := 0, 0, 0
	for range 4 * rate { // 4 s of stream time
		i, at := o.NextIndex()
		if at < 2*time.Second {
			if i == o.KeyIndex() {
				before++
			}
			continue
		}
		afterTotal++
		if i == o.KeyIndex() {
			after++
		}
	}
	if before != 0 {
		t.Errorf("viral key drawn %d times before At; want 0", before)
	}
	checkBinomial(t, "viral key after At", after, afterTotal, 0.02)
}

func TestStepAtZero(t *testing.T) {
	bg := newTestUniform(t, UniformOptions{N: 10})
	o := newTestOverlay(t)(NewStep(StepOptions{Background: bg, Key: "k", Share: 1}))
	for range 100 {
		if a := o.Next(); a.Key != "k" {
			t.Fatalf("Next().Key = %q; want k (Share 1 from time 0)", a.Key)
		}
	}
}

func TestFlashSaleShare(t *testing.T) {
	ms := time.Millisecond
	linear := FlashSaleOptions{Start: 100 * ms, Ramp: 100 * ms, Hold: 200 * ms, Fade: 100 * ms, Peak: 0.4}
	expo := linear
	expo.Decay = DecayExponential
	instant := FlashSaleOptions{Start: 100 * ms, Hold: 100 * ms, Peak: 0.5}
	tests := []struct {
		name string
		opts FlashSaleOptions
		at   time.Duration
		want float64
	}{
		{"before start", linear, 99 * ms, 0},
		{"start", linear, 100 * ms, 0},
		{"mid ramp", linear, 150 * ms, 0.2},
		{"end of ramp", linear, 200 * ms, 0.4},
		{"hold", linear, 399 * ms, 0.4},
		{"linear mid fade", linear, 450 * ms, 0.2},
		{"linear faded", linear, 500 * ms, 0},
		{"linear long after", linear, time.Hour, 0},
		{"exponential fade start", expo, 400 * ms, 0.4},
		{"exponential one time constant", expo, 500 * ms, 0.4 / math.E},
		{"exponential two time constants", expo, 600 * ms, 0.4 / math.E / math.E},
		{"instant jump", instant, 100 * ms, 0.5},
		{"instant drop", instant, 200 * ms, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Background = newTestUniform(t, UniformOptions{N: 10})
			o := newTestOverlay(t)(NewFlashSale(tt.opts))
			if got := o.Share(tt.at); math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Share(%v) = %v; want %v", tt.at, got, tt.want)
			}
		})
	}
}

// TestFlashSaleShape checks the drawn share of the sale key in windows of
// stream time against Share over the whole sale.
func TestFlashSaleShape(t *testing.T) {
	const rate = 100_000
	const window = 100 * time.Millisecond
	bg := newTestUniform(t, UniformOptions{N: 1000, Seed: 1})
	o := newTestOverlay(t)(NewFlashSale(FlashSaleOptions{
		Background: bg, Start: time.Second, Ramp: time.Second, Hold: time.Second, Fade: time.Second,
		Peak: 0.3, Seed: 4, Rate: rate,
	}))
	if got := o.Key(o.KeyIndex()); got != "sale:1" {
		t.Errorf("Key(KeyIndex()) = %q; want sale:1", got)
	}
	var hits, total [50]int // per window, 5 s in all
	for range 5 * rate {
		i, at := o.NextIndex()
		w := int(at / window)
		total[w]++
		if i == o.KeyIndex() {
			hits[w]++
		}
	}
	for w := range hits {
		// The mean share over a window of a piecewise linear curve.
		p := 0.0
		for k := range 100 {
			p += o.Share(time.Duration(w)*window + time.Duration(k)*window/100)
		}
		p /= 100
		checkBinomial(t, fmt.Sprintf("window %v", time.Duration(w)*window), hits[w], total[w], p)
	}
	if hits[9] != 0 || hits[40] != 0 {
		t.Errorf("sale key drawn %d times before the sale and %d after; want 0", hits[9], hits[40])
	}
}
