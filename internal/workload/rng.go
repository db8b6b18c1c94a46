package workload

import (
	"math/bits"
	"math/rand/v2"
)

// Streams of randomness derived from one Seed. Each use has its own PCG
// stream, so turning on Poisson arrivals, say, does not change which keys
// are drawn.
const (
	streamKeys  = 0x6b657973_64726177 // key draws
	streamTime  = 0x74696d65_67617073 // Poisson inter-arrival gaps
	streamSetup = 0x73657475_70706572 // permutations and hot-key choices
	streamOps   = 0x6f707320_72776d78 // read/write decisions
)

// rng is a PCG generator with the few draws this package needs, called
// directly rather than through rand.Source to keep hot loops short.
type rng struct {
	pcg rand.PCG
}

// newRNG returns the generator for one stream of a seed.
func newRNG(seed, stream uint64) rng {
	var r rng
	r.pcg.Seed(seed, stream)
	return r
}

// float64 returns a uniform float64 in [0, 1) with 53 random bits.
func (r *rng) float64() float64 {
	return float64(r.pcg.Uint64()>>11) * 0x1p-53
}

// uintn returns a uniform integer in [0, n) for n > 0, by Lemire's
// multiply-shift on 64 random bits (bias below n/2^64, at most 2^-32).
func (r *rng) uintn(n uint32) uint32 {
	hi, _ := bits.Mul64(r.pcg.Uint64(), uint64(n))
	return uint32(hi)
}
