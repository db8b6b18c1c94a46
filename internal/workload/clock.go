package workload

import (
	"math"
	"math/rand/v2"
	"time"
)

// clock issues the stream times of a generator's accesses: the first at 0,
// each later one 1/rate after the previous, or an exponential gap with
// mean 1/rate apart when Poisson.
type clock struct {
	nsPerOp float64
	poisson bool
	gaps    *rand.Rand // draws Poisson gaps; nil at a fixed rate
	n       uint64     // accesses issued so far, at a fixed rate
	t       float64    // stream time of the next access in ns, when Poisson
}

// newClock returns a clock at rate accesses per second.
func newClock(rate float64, poisson bool, seed uint64) clock {
	c := clock{nsPerOp: 1e9 / rate, poisson: poisson}
	if poisson {
		c.gaps = rand.New(rand.NewPCG(seed, streamTime))
	}
	return c
}

// next returns the stream time of the next access.
func (c *clock) next() time.Duration {
	if !c.poisson {
		at := time.Duration(math.Round(float64(c.n) * c.nsPerOp))
		c.n++
		return at
	}
	at := time.Duration(math.Round(c.t))
	c.t += c.gaps.ExpFloat64() * c.nsPerOp
	return at
}

// skip advances the clock past n accesses, as n calls of next would.
func (c *clock) skip(n int) {
	if !c.poisson {
		c.n += uint64(n)
		return
	}
	for range n {
		c.t += c.gaps.ExpFloat64() * c.nsPerOp
	}
}
