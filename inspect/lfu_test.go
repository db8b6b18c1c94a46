package inspect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// lfuLogIncr is Redis's LFULogIncr (evict.c), with r drawn from rng.
func lfuLogIncr(counter, factor int, rng *rand.Rand) int {
	if counter == 255 {
		return 255
	}
	r := rng.Float64()
	baseval := float64(counter - lfuInitVal)
	if baseval < 0 {
		baseval = 0
	}
	p := 1.0 / (baseval*float64(factor) + 1)
	if r < p {
		counter++
	}
	return counter
}

// TestLFUAccessesCoverage simulates Redis's counter and checks that the
// band LFUAccesses gives for the resulting counter holds the true number of
// accesses about 95% of the time.
func TestLFUAccessesCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, factor := range []int{1, 10, 100} {
		for _, accesses := range []int{3, 50, 1_000, 20_000} {
			const runs = 400
			inside := 0
			for range runs {
				c := lfuInitVal
				for range accesses {
					c = lfuLogIncr(c, factor, rng)
				}
				lo, hi := LFUAccesses(c, factor)
				if float64(accesses) >= lo && float64(accesses) <= hi {
					inside++
				}
			}
			if got := float64(inside) / runs; got < 0.9 {
				t.Errorf("factor %d, %d accesses: band holds the truth %.0f%% of the time; want at least 90%%", factor, accesses, 100*got)
			}
		}
	}
}

func TestLFUAccesses(t *testing.T) {
	tests := []struct {
		counter, factor int
		lo, hi          float64
	}{
		{0, 10, 0, 0},
		{4, 10, 0, 0},
		{5, 10, 0, 1},
		{6, 0, 1, 2}, // factor 0: every access counts, so counter 6 is 1 access
	}
	for _, tt := range tests {
		lo, hi := LFUAccesses(tt.counter, tt.factor)
		if lo != tt.lo || hi != tt.hi {
			t.Errorf("LFUAccesses(%d, %d) = %v, %v; want %v, %v", tt.counter, tt.factor, lo, hi, tt.lo, tt.hi)
		}
	}
	if _, hi := LFUAccesses(255, 10); !math.IsInf(hi, 1) {
		t.Errorf("LFUAccesses(255, 10) high = %v; want +Inf", hi)
	}
	// The band's centre grows with the counter.
	prev := -1.0
	for c := 5; c < 255; c++ {
		lo, hi := LFUAccesses(c, 10)
		if lo > hi || (lo+hi)/2 <= prev {
			t.Fatalf("LFUAccesses(%d, 10) = %v, %v: not increasing", c, lo, hi)
		}
		prev = (lo + hi) / 2
	}
}

func TestLFUVariant(t *testing.T) {
	tests := []struct {
		policy string
		max    int64
		want   string
		ok     bool
	}{
		{"allkeys-lru", 100, "allkeys-lfu", true},
		{"allkeys-random", 0, "allkeys-lfu", true},
		{"volatile-ttl", 100, "volatile-lfu", true},
		{"volatile-lfu", 100, "volatile-lfu", true},
		{"noeviction", 0, "allkeys-lfu", true},
		{"noeviction", 100, "", false},
	}
	for _, tt := range tests {
		got, ok := lfuVariant(tt.policy, tt.max)
		if got != tt.want || ok != tt.ok {
			t.Errorf("lfuVariant(%q, %d) = %q, %v; want %q, %v", tt.policy, tt.max, got, ok, tt.want, tt.ok)
		}
	}
}
