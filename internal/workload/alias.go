package workload

import (
	"math"
	"math/bits"
)

// aliasSlot is one slot of a Walker alias table: a draw that lands in slot
// i returns i when its 32-bit fraction is below keep, and alias otherwise.
type aliasSlot struct {
	keep  uint32
	alias uint32
}

// buildAlias returns the alias table of a discrete distribution given as
// weights scaled to average 1 (weight[i] = N·p[i]); it overwrites weight.
// It follows Vose ("A linear algorithm for generating random numbers with
// a given distribution", IEEE TSE 17(9), 1991), which stays exact under
// rounding: slots left over at the end keep their own index.
func buildAlias(weight []float64) []aliasSlot {
	n := len(weight)
	table := make([]aliasSlot, n)
	// One work array holds both stacks: small grows from the front, large
	// from the back, and together they never hold more than n indices.
	work := make([]uint32, n)
	ns, nl := 0, n
	for i, w := range weight {
		if w < 1 {
			work[ns] = uint32(i)
			ns++
		} else {
			nl--
			work[nl] = uint32(i)
		}
	}
	for ns > 0 && nl < n {
		ns--
		small := work[ns]
		large := work[nl]
		nl++
		table[small] = aliasSlot{keep: fraction32(weight[small]), alias: large}
		weight[large] = (weight[large] + weight[small]) - 1
		if weight[large] < 1 {
			work[ns] = large
			ns++
		} else {
			nl--
			work[nl] = large
		}
	}
	// What is left has weight 1 up to rounding: it always keeps itself.
	for _, i := range work[:ns] {
		table[i] = aliasSlot{keep: math.MaxUint32, alias: i}
	}
	for _, i := range work[nl:] {
		table[i] = aliasSlot{keep: math.MaxUint32, alias: i}
	}
	return table
}

// fraction32 returns w in [0, 1) as a 32-bit fixed-point fraction.
func fraction32(w float64) uint32 {
	if !(w > 0) {
		return 0
	}
	return uint32(min(w*(1<<32), math.MaxUint32))
}

// aliasDraw draws an index from an alias table. The high word of
// x·len(table) picks the slot without modulo bias worth mentioning (below
// len/2^64), and the low word, uniform over the slot's share of x, gives
// the fraction compared with keep.
func aliasDraw(table []aliasSlot, r *rng) uint32 {
	slot, frac := bits.Mul64(r.pcg.Uint64(), uint64(len(table)))
	s := table[slot]
	i := s.alias
	if uint32(frac>>32) < s.keep { // compiled branch-free, so misses overlap
		i = uint32(slot)
	}
	return i
}
