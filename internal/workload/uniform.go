package workload

import "time"

// UniformOptions configures NewUniform.
type UniformOptions struct {
	// N is the number of keys.
	// default: Keys.Len() when Keys is set; otherwise required, in
	// [1, MaxKeys].
	N int

	// Keys names the key indices.
	// default: keys "key:0" … "key:<N-1>" (NewKeyspace with N)
	Keys *Keyspace

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

// Uniform draws every key with the same probability, 1/N.
type Uniform struct {
	n     uint32
	keys  *Keyspace
	draws rng
	clk   clock
}

var _ IndexGenerator = (*Uniform)(nil)

// NewUniform returns a Uniform generator.
func NewUniform(opts UniformOptions) (*Uniform, error) {
	rate, err := checkRate("UniformOptions.Rate", opts.Rate)
	if err != nil {
		return nil, err
	}
	n, keys, err := checkN("UniformOptions", opts.N, opts.Keys)
	if err != nil {
		return nil, err
	}
	return &Uniform{
		n:     uint32(n),
		keys:  keys,
		draws: newRNG(opts.Seed, streamKeys),
		clk:   newClock(rate, opts.Poisson, opts.Seed),
	}, nil
}

// Len returns the number of keys, N.
func (u *Uniform) Len() int { return int(u.n) }

// Key returns the key of index i, without allocating.
func (u *Uniform) Key(i uint32) string { return u.keys.Key(i) }

// Sample draws a key index; t is ignored.
func (u *Uniform) Sample(t time.Duration) uint32 { return u.draws.uintn(u.n) }

// Next returns the next access; Op is always Read.
func (u *Uniform) Next() Access {
	at := u.clk.next()
	return Access{At: at, Key: u.keys.Key(u.draws.uintn(u.n))}
}

// NextIndex returns the key index and stream time of the next access.
func (u *Uniform) NextIndex() (uint32, time.Duration) {
	return u.draws.uintn(u.n), u.clk.next()
}

// Fill sets dst to the key indices of the next len(dst) accesses.
func (u *Uniform) Fill(dst []uint32) {
	for i := range dst {
		dst[i] = u.draws.uintn(u.n)
	}
	u.clk.skip(len(dst))
}
