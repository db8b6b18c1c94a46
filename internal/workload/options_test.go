package workload

import (
	"math"
	"testing"
	"time"
)

// TestInvalidOptions checks that each constructor rejects out-of-range
// options with an error naming the field.
func TestInvalidOptions(t *testing.T) {
	bg := newTestUniform(t, UniformOptions{N: 100})
	ks := newTestKeyspace(t, KeyspaceOptions{N: 10})
	nan := math.NaN()
	tests := []struct {
		name  string
		build func() error
		field string
	}{
		{"zipf s zero", zipfErr(ZipfOptions{N: 10}), "ZipfOptions.S"},
		{"zipf s negative", zipfErr(ZipfOptions{N: 10, S: -1}), "ZipfOptions.S"},
		{"zipf s NaN", zipfErr(ZipfOptions{N: 10, S: nan}), "ZipfOptions.S"},
		{"zipf s infinite", zipfErr(ZipfOptions{N: 10, S: math.Inf(1)}), "ZipfOptions.S"},
		{"zipf n zero", zipfErr(ZipfOptions{S: 1}), "ZipfOptions.N"},
		{"zipf n negative", zipfErr(ZipfOptions{N: -3, S: 1}), "ZipfOptions.N"},
		{"zipf n not keys", zipfErr(ZipfOptions{N: 11, S: 1, Keys: ks}), "ZipfOptions.N"},
		{"zipf rate negative", zipfErr(ZipfOptions{N: 10, S: 1, Rate: -1}), "ZipfOptions.Rate"},
		{"zipf rate NaN", zipfErr(ZipfOptions{N: 10, S: 1, Rate: nan}), "ZipfOptions.Rate"},
		{"zipf rate infinite", zipfErr(ZipfOptions{N: 10, S: 1, Rate: math.Inf(1)}), "ZipfOptions.Rate"},
		{"uniform n zero", uniformErr(UniformOptions{}), "UniformOptions.N"},
		{"uniform n too large", uniformErr(UniformOptions{N: MaxKeys + 1}), "UniformOptions.N"},
		{"uniform rate", uniformErr(UniformOptions{N: 1, Rate: -2}), "UniformOptions.Rate"},
		{"hotspot no background", hotspotErr(HotspotOptions{Hot: 1}), "HotspotOptions.Background"},
		{"hotspot hot zero", hotspotErr(HotspotOptions{Background: bg}), "HotspotOptions.Hot"},
		{"hotspot hot too many", hotspotErr(HotspotOptions{Background: bg, Hot: 101}), "HotspotOptions.Hot"},
		{"hotspot share above 1", hotspotErr(HotspotOptions{Background: bg, Hot: 1, Share: 1.01}), "HotspotOptions.Share"},
		{"hotspot share negative", hotspotErr(HotspotOptions{Background: bg, Hot: 1, Share: -0.1}), "HotspotOptions.Share"},
		{"hotspot share NaN", hotspotErr(HotspotOptions{Background: bg, Hot: 1, Share: nan}), "HotspotOptions.Share"},
		{"hotspot rate", hotspotErr(HotspotOptions{Background: bg, Hot: 1, Rate: -1}), "HotspotOptions.Rate"},
		{"step no background", stepErr(StepOptions{Share: 0.1}), "StepOptions.Background"},
		{"step share", stepErr(StepOptions{Background: bg, Share: 2}), "StepOptions.Share"},
		{"step at negative", stepErr(StepOptions{Background: bg, At: -time.Second}), "StepOptions.At"},
		{"step rate", stepErr(StepOptions{Background: bg, Rate: nan}), "StepOptions.Rate"},
		{"flash no background", flashErr(FlashSaleOptions{}), "FlashSaleOptions.Background"},
		{"flash start negative", flashErr(FlashSaleOptions{Background: bg, Start: -1}), "FlashSaleOptions.Start"},
		{"flash ramp negative", flashErr(FlashSaleOptions{Background: bg, Ramp: -1}), "FlashSaleOptions.Ramp"},
		{"flash hold negative", flashErr(FlashSaleOptions{Background: bg, Hold: -1}), "FlashSaleOptions.Hold"},
		{"flash fade negative", flashErr(FlashSaleOptions{Background: bg, Fade: -1}), "FlashSaleOptions.Fade"},
		{"flash overflow", flashErr(FlashSaleOptions{Background: bg, Hold: math.MaxInt64, Fade: 1}), "FlashSaleOptions.Fade"},
		{"flash peak", flashErr(FlashSaleOptions{Background: bg, Peak: 1.5}), "FlashSaleOptions.Peak"},
		{"flash decay", flashErr(FlashSaleOptions{Background: bg, Decay: 9}), "FlashSaleOptions.Decay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInvalid(t, tt.build(), tt.field)
		})
	}
}

func zipfErr(o ZipfOptions) func() error {
	return func() error { _, err := NewZipf(o); return err }
}

func uniformErr(o UniformOptions) func() error {
	return func() error { _, err := NewUniform(o); return err }
}

func hotspotErr(o HotspotOptions) func() error {
	return func() error { _, err := NewHotspot(o); return err }
}

func stepErr(o StepOptions) func() error {
	return func() error { _, err := NewStep(o); return err }
}

func flashErr(o FlashSaleOptions) func() error {
	return func() error { _, err := NewFlashSale(o); return err }
}
