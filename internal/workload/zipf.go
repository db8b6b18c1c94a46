package workload

import (
	"fmt"
	"math"
	"time"
)

// ZipfOptions configures NewZipf.
type ZipfOptions struct {
	// N is the number of keys.
	// default: Keys.Len() when Keys is set; otherwise required, in
	// [1, MaxKeys].
	N int

	// S is the exponent: rank r (0-based, 0 the hottest) is drawn with
	// probability (r+1)^-S / H(N, S). Any S > 0 is allowed, including
	// S < 1 (0.9 is typical of caches) and S = 1. Required.
	S float64

	// Keys names the key indices.
	// default: keys "key:0" … "key:<N-1>" (NewKeyspace with N)
	Keys *Keyspace

	// RankOrder maps rank r to key index r, so that Key(0) is the hottest
	// key.
	// default: false: ranks are mapped to key indices by a permutation
	// drawn from Seed, so the hottest key is a random one (see Index).
	RankOrder bool

	// Seed selects the sequence; the same options give the same accesses.
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

// Zipf draws keys with Zipf-distributed popularity: rank r in [0, N) has
// probability (r+1)^-s / H(N, s), where H(N, s) is the generalized harmonic
// number Σ_{k=1..N} k^-s.
//
// Keys are drawn with a Walker alias table (in Vose's construction): one
// 64-bit random number and one table lookup per draw, whatever s and N.
// The table holds each key's probability to 32 bits, so a key's drawn
// probability is within 2^-32 of Prob (relative to the whole, far less
// for any one key). Memory is 8 bytes a key for the table, 4 more for the
// rank permutation (none with RankOrder), plus the Keyspace; building it
// takes about 70 ms per million keys, Keyspace included.
type Zipf struct {
	n     int
	s     float64
	keys  *Keyspace
	perm  []uint32 // perm[rank] is the key index; nil with RankOrder
	hsum  float64  // H(n, s)
	table []aliasSlot
	draws rng
	clk   clock
}

var _ IndexGenerator = (*Zipf)(nil)

// NewZipf returns a Zipf generator.
func NewZipf(opts ZipfOptions) (*Zipf, error) {
	if !(opts.S > 0) || math.IsInf(opts.S, 0) {
		return nil, badOption("ZipfOptions.S", opts.S, "must be a finite number > 0")
	}
	rate, err := checkRate("ZipfOptions.Rate", opts.Rate)
	if err != nil {
		return nil, err
	}
	n, keys, err := checkN("ZipfOptions", opts.N, opts.Keys)
	if err != nil {
		return nil, err
	}
	z := &Zipf{
		n:     n,
		s:     opts.S,
		keys:  keys,
		hsum:  harmonic(n, opts.S),
		draws: newRNG(opts.Seed, streamKeys),
		clk:   newClock(rate, opts.Poisson, opts.Seed),
	}
	if !opts.RankOrder {
		z.perm = permutation(n, newRNG(opts.Seed, streamSetup))
	}
	// weight[i] is key index i's probability times N, as buildAlias wants.
	weight := make([]float64, n)
	scale := float64(n) / z.hsum
	for r := range n {
		weight[z.Index(r)] = zipfWeight(r+1, z.s) * scale
	}
	z.table = buildAlias(weight)
	return z, nil
}

// permutation returns a uniformly random permutation of [0, n).
func permutation(n int, r rng) []uint32 {
	p := make([]uint32, n)
	for i := range p {
		p[i] = uint32(i)
	}
	for i := n - 1; i > 0; i-- {
		j := r.uintn(uint32(i + 1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// S returns the exponent.
func (z *Zipf) S() float64 { return z.s }

// Len returns the number of keys, N.
func (z *Zipf) Len() int { return z.n }

// Key returns the key of index i, without allocating.
func (z *Zipf) Key(i uint32) string { return z.keys.Key(i) }

// Prob returns the probability that an access is to the key of the given
// rank: (rank+1)^-s / H(N, s), or 0 outside [0, N).
func (z *Zipf) Prob(rank int) float64 {
	if rank < 0 || rank >= z.n {
		return 0
	}
	return zipfWeight(rank+1, z.s) / z.hsum
}

// Index returns the key index of the given rank; Index(0) is the hottest
// key. It panics if rank is outside [0, N).
func (z *Zipf) Index(rank int) uint32 {
	if rank < 0 || rank >= z.n {
		panic(fmt.Sprintf("workload: Zipf.Index(%d) out of range [0, %d)", rank, z.n))
	}
	if z.perm == nil {
		return uint32(rank)
	}
	return z.perm[rank]
}

// Sample draws a key index. A Zipf distribution does not change with
// time, so t is ignored.
func (z *Zipf) Sample(t time.Duration) uint32 {
	return aliasDraw(z.table, &z.draws)
}

// Next returns the next access; Op is always Read.
func (z *Zipf) Next() Access {
	at := z.clk.next()
	return Access{At: at, Key: z.keys.Key(aliasDraw(z.table, &z.draws))}
}

// NextIndex returns the key index and stream time of the next access.
func (z *Zipf) NextIndex() (uint32, time.Duration) {
	return aliasDraw(z.table, &z.draws), z.clk.next()
}

// Fill sets dst to the key indices of the next len(dst) accesses.
func (z *Zipf) Fill(dst []uint32) {
	for i := range dst {
		dst[i] = aliasDraw(z.table, &z.draws)
	}
	z.clk.skip(len(dst))
}

// harmonic returns the generalized harmonic number H(n, s) = Σ_{k=1..n} k^-s.
// The first terms are summed directly (smallest first); the tail, if any,
// by Euler–Maclaurin with two correction terms, whose error for the tail
// start used here is far below float64 resolution.
func harmonic(n int, s float64) float64 {
	const direct = 1024
	m := min(n, direct)
	sum := 0.0
	for k := m; k >= 1; k-- {
		sum += zipfWeight(k, s)
	}
	if n == m {
		return sum
	}
	a, b := float64(m+1), float64(n)
	f := func(x float64) float64 { return math.Pow(x, -s) }
	d1 := func(x float64) float64 { return -s * math.Pow(x, -s-1) }
	d3 := func(x float64) float64 { return -s * (s + 1) * (s + 2) * math.Pow(x, -s-3) }
	// ∫_a^b x^-s dx = (b^(1-s) - a^(1-s)) / (1-s), written to stay exact
	// as s approaches 1 (where it is log(b/a)).
	logRatio := math.Log(b / a)
	integral := math.Pow(a, 1-s) * logRatio * expm1Ratio((1-s)*logRatio)
	tail := integral + (f(a)+f(b))/2 + (d1(b)-d1(a))/12 - (d3(b)-d3(a))/720
	return tail + sum
}

// zipfWeight returns k^-s, computed as e^(-s·ln k): within a few ulps of
// math.Pow and several times faster, which matters when building tables of
// millions of keys.
func zipfWeight(k int, s float64) float64 {
	return math.Exp(-s * math.Log(float64(k)))
}

// expm1Ratio returns (e^x - 1)/x, and its limit 1 at 0.
func expm1Ratio(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Expm1(x) / x
	}
	return 1 + x*0.5*(1+x*(1.0/3)*(1+0.25*x))
}
