package workload

import (
	"fmt"
	"slices"
	"time"
)

// HotspotOptions configures NewHotspot.
type HotspotOptions struct {
	// Background draws the accesses that do not go to the hot keys, and
	// its indices are the keys the hot ones are chosen from. Its own Rate
	// and clock are not used. Required; typically a Uniform or a Zipf.
	Background Sampler

	// Hot is the number of hot keys, chosen at random from Background's
	// indices with Seed. Required, in [1, Background.Len()].
	Hot int

	// Share is the fraction of accesses sent to the hot keys, uniformly
	// among them, in [0, 1]. The other accesses come from Background and
	// may land on hot keys too.
	// default: 0 (no hotspot: Background only)
	Share float64

	// Seed selects the hot keys and the sequence; the same options (and
	// Background state) give the same accesses.
	// default: 0, a seed like any other
	Seed uint64

	// Rate is the number of accesses per second of stream time.
	// default: DefaultRate
	Rate float64

	// Poisson makes the gaps between accesses exponential with mean 1/Rate
	// instead of exactly 1/Rate.
	// default: false
	Poisson bool
}

// Hotspot sends a fixed share of the traffic to a few keys, uniformly
// among them, over a background distribution.
type Hotspot struct {
	bg    Sampler
	hot   []uint32
	share float64
	draws rng
	clk   clock
}

var _ IndexGenerator = (*Hotspot)(nil)

// NewHotspot returns a Hotspot generator.
func NewHotspot(opts HotspotOptions) (*Hotspot, error) {
	if opts.Background == nil {
		return nil, badOption("HotspotOptions.Background", nil, "required")
	}
	n := opts.Background.Len()
	if opts.Hot < 1 || opts.Hot > n {
		return nil, badOption("HotspotOptions.Hot", opts.Hot, fmt.Sprintf("must be in [1, Background.Len() = %d]", n))
	}
	if err := checkShare("HotspotOptions.Share", opts.Share); err != nil {
		return nil, err
	}
	rate, err := checkRate("HotspotOptions.Rate", opts.Rate)
	if err != nil {
		return nil, err
	}
	return &Hotspot{
		bg:    opts.Background,
		hot:   sampleDistinct(n, opts.Hot, newRNG(opts.Seed, streamSetup)),
		share: opts.Share,
		draws: newRNG(opts.Seed, streamKeys),
		clk:   newClock(rate, opts.Poisson, opts.Seed),
	}, nil
}

// sampleDistinct returns k distinct indices drawn uniformly from [0, n),
// in increasing order, by Floyd's algorithm: memory O(k) however large n.
func sampleDistinct(n, k int, r rng) []uint32 {
	chosen := make(map[uint32]struct{}, k)
	out := make([]uint32, 0, k)
	for j := n - k; j < n; j++ {
		t := r.uintn(uint32(j + 1))
		if _, dup := chosen[t]; dup {
			t = uint32(j)
		}
		chosen[t] = struct{}{}
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Hot returns the indices of the hot keys in increasing order.
func (h *Hotspot) Hot() []uint32 { return slices.Clone(h.hot) }

// Len returns the number of keys, Background.Len().
func (h *Hotspot) Len() int { return h.bg.Len() }

// Key returns the key of index i, without allocating.
func (h *Hotspot) Key(i uint32) string { return h.bg.Key(i) }

// Sample draws the key index of an access at stream time t.
func (h *Hotspot) Sample(t time.Duration) uint32 {
	if h.share > 0 && h.draws.float64() < h.share {
		return h.hot[h.draws.uintn(uint32(len(h.hot)))]
	}
	return h.bg.Sample(t)
}

// Next returns the next access; Op is always Read.
func (h *Hotspot) Next() Access {
	at := h.clk.next()
	return Access{At: at, Key: h.bg.Key(h.Sample(at))}
}

// NextIndex returns the key index and stream time of the next access.
func (h *Hotspot) NextIndex() (uint32, time.Duration) {
	at := h.clk.next()
	return h.Sample(at), at
}

// Fill sets dst to the key indices of the next len(dst) accesses.
func (h *Hotspot) Fill(dst []uint32) {
	for i := range dst {
		dst[i] = h.Sample(h.clk.next())
	}
}
