package workload

import (
	"fmt"
	"math"
	"time"
)

// MixPart is one component of a Mix.
type MixPart struct {
	// Sampler draws this part's keys. Its own Rate and clock, if any, are
	// not used. Required.
	Sampler Sampler

	// Weight is this part's relative share of the accesses: a part gets
	// Weight / (sum of weights). Finite and >= 0; at least one part's
	// must be positive.
	Weight float64
}

// MixOptions configures NewMix.
type MixOptions struct {
	// Parts are the merged distributions. Required: at least one.
	Parts []MixPart

	// Seed selects the sequence; the same options (and parts' states)
	// give the same accesses.
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

// Mix merges several key distributions with fixed weights: each access
// picks a part with probability proportional to its weight and draws from
// it at the access's stream time, so time-dependent parts keep their
// shape.
//
// The parts' indices are laid end to end: part j's index i is the Mix's
// index Offset(j)+i. Parts that share keys therefore give the same key
// under different indices; Key always names them right.
type Mix struct {
	parts []Sampler
	cum   []float64 // cum[j] is the probability of parts 0..j; the last positive part's is 1
	off   []uint32  // off[j] is part j's first index; off[len(parts)] is Len
	draws rng
	clk   clock
}

var _ IndexGenerator = (*Mix)(nil)

// NewMix returns a Mix generator.
func NewMix(opts MixOptions) (*Mix, error) {
	if len(opts.Parts) == 0 {
		return nil, badOption("MixOptions.Parts", opts.Parts, "required: at least one part")
	}
	rate, err := checkRate("MixOptions.Rate", opts.Rate)
	if err != nil {
		return nil, err
	}
	m := &Mix{
		parts: make([]Sampler, len(opts.Parts)),
		cum:   make([]float64, len(opts.Parts)),
		off:   make([]uint32, len(opts.Parts)+1),
		draws: newRNG(opts.Seed, streamKeys),
		clk:   newClock(rate, opts.Poisson, opts.Seed),
	}
	total, n, last := 0.0, uint64(0), -1
	for j, p := range opts.Parts {
		field := fmt.Sprintf("MixOptions.Parts[%d]", j)
		if p.Sampler == nil {
			return nil, badOption(field+".Sampler", nil, "required")
		}
		if p.Sampler.Len() < 1 {
			return nil, badOption(field+".Sampler", p.Sampler.Len(), "must have at least one key")
		}
		if !(p.Weight >= 0) || math.IsInf(p.Weight, 0) {
			return nil, badOption(field+".Weight", p.Weight, "must be finite and >= 0")
		}
		m.parts[j] = p.Sampler
		m.off[j] = uint32(n)
		n += uint64(p.Sampler.Len())
		if n > math.MaxUint32 {
			return nil, badOption(field+".Sampler", p.Sampler.Len(), "parts have more than 2^32-1 keys in all")
		}
		total += p.Weight
		if p.Weight > 0 {
			last = j
		}
	}
	m.off[len(opts.Parts)] = uint32(n)
	if last < 0 || math.IsInf(total, 0) {
		return nil, badOption("MixOptions.Parts", total, "weights must have a positive, finite sum")
	}
	acc := 0.0
	for j, p := range opts.Parts {
		acc += p.Weight
		m.cum[j] = acc / total
	}
	for j := last; j < len(m.cum); j++ {
		m.cum[j] = 1 // so rounding never lets a draw fall past the last part
	}
	return m, nil
}

// Offset returns the Mix index of part j's index 0.
func (m *Mix) Offset(part int) uint32 { return m.off[part] }

// Len returns the number of indices, the sum of the parts' Len.
func (m *Mix) Len() int { return int(m.off[len(m.parts)]) }

// Key returns the key of index i, without allocating.
func (m *Mix) Key(i uint32) string {
	j := len(m.parts) - 1
	for m.off[j] > i {
		j--
	}
	return m.parts[j].Key(i - m.off[j])
}

// Sample draws the key index of an access at stream time t.
func (m *Mix) Sample(t time.Duration) uint32 {
	u := m.draws.float64()
	j := 0
	for u >= m.cum[j] {
		j++
	}
	return m.off[j] + m.parts[j].Sample(t)
}

// Next returns the next access; Op is always Read.
func (m *Mix) Next() Access {
	at := m.clk.next()
	return Access{At: at, Key: m.Key(m.Sample(at))}
}

// NextIndex returns the key index and stream time of the next access.
func (m *Mix) NextIndex() (uint32, time.Duration) {
	at := m.clk.next()
	return m.Sample(at), at
}

// Fill sets dst to the key indices of the next len(dst) accesses.
func (m *Mix) Fill(dst []uint32) {
	for i := range dst {
		dst[i] = m.Sample(m.clk.next())
	}
}
