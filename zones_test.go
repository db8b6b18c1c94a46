package redhot

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/anishathalye/porcupine"
)

// checkZones decides whether ops, the history of one register in which
// every write writes a value no other write writes, is linearizable, in
// O(n log n): Gibbons and Korach's zones ("Testing shared memories", SIAM
// J. Comput. 26(4), 1997). The write of a value and the reads that return
// it form a cluster, which any linearization places as one block: the
// write, then its reads. The block covers at least the cluster's zone,
// from the earliest return among its operations to the latest call: a
// forward zone if the first comes before the second, else a backward one,
// within which the whole cluster can be placed at one instant. The
// history is linearizable if and only if no operation returns before its
// cluster's write is called, no two forward zones overlap, and no
// backward zone lies inside a forward one. Intervals are closed, as
// porcupine takes them: touching is not overlapping.
//
// It reports applicable = false, and decides nothing, when two writes
// write the same value.
func checkZones(ops []porcupine.Operation) (ok, applicable bool, why string) {
	type cluster struct {
		write  *porcupine.Operation
		f, s   int64 // earliest return, latest call
		nReads int
	}
	clusters := map[int64]*cluster{}
	get := func(v int64) *cluster {
		c := clusters[v]
		if c == nil {
			c = &cluster{f: math.MaxInt64, s: math.MinInt64}
			clusters[v] = c
		}
		return c
	}
	for i := range ops {
		op := &ops[i]
		in := op.Input.(regOp)
		v := op.Output.(int64)
		if in.write {
			v = in.value
		}
		c := get(v)
		if in.write {
			if c.write != nil {
				return false, false, ""
			}
			c.write = op
		} else {
			c.nReads++
		}
		c.f = min(c.f, op.Return)
		c.s = max(c.s, op.Call)
	}
	type zone struct {
		from, to int64
		v        int64
	}
	var fwd, bwd []zone
	for v, c := range clusters {
		switch {
		case c.write == nil:
			return false, true, fmt.Sprintf("%d reads return %d, which nothing wrote", c.nReads, v)
		case c.f < c.write.Call:
			return false, true, fmt.Sprintf("a read of %d returns at %d, before its write is called at %d", v, c.f, c.write.Call)
		case c.f < c.s:
			fwd = append(fwd, zone{c.f, c.s, v})
		default:
			bwd = append(bwd, zone{c.s, c.f, v})
		}
	}
	slices.SortFunc(fwd, func(a, b zone) int { return cmpInt64(a.from, b.from) })
	for i := 1; i < len(fwd); i++ {
		if fwd[i].from < fwd[i-1].to {
			return false, true, fmt.Sprintf("the zones of %d and %d overlap", fwd[i-1].v, fwd[i].v)
		}
	}
	for _, b := range bwd {
		// The forward zone that starts last before b does is the only
		// one that can hold it: they do not overlap.
		i, _ := slices.BinarySearchFunc(fwd, b.from, func(z zone, t int64) int { return cmpInt64(z.from, t) })
		if i > 0 && fwd[i-1].from < b.from && b.to < fwd[i-1].to {
			return false, true, fmt.Sprintf("the cluster of %d must go inside that of %d", b.v, fwd[i-1].v)
		}
	}
	return true, true, ""
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestCheckZones checks checkZones against porcupine on random small
// histories of one register with unique writes, linearizable or not.
func TestCheckZones(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	counts := map[bool]int{}
	for n := range 10000 {
		ops := randomHistory(rng)
		want := porcupine.CheckOperations(registerModel, ops)
		got, applicable, why := checkZones(ops)
		if !applicable {
			t.Fatalf("history %d: not applicable, yet every write is unique", n)
		}
		if got != want {
			t.Fatalf("history %d: checkZones = %v (%s); porcupine says %v\n%v", n, got, why, want, ops)
		}
		counts[want]++
	}
	t.Logf("random histories: %d linearizable, %d not", counts[true], counts[false])
	if counts[true] < 2000 || counts[false] < 2000 {
		t.Errorf("random histories: %d linearizable, %d not; want many of each", counts[true], counts[false])
	}
	dup := []porcupine.Operation{
		{Input: regOp{key: "k", write: true, value: 0}, Output: int64(0), Call: 0, Return: 1},
		{Input: regOp{key: "k", write: true, value: 0}, Output: int64(0), Call: 2, Return: 3},
	}
	if _, applicable, _ := checkZones(dup); applicable {
		t.Error("checkZones applies to a history with two writes of one value")
	}
}

// randomHistory returns a short history of one register: writes of
// distinct values run at random times, and reads return the value at a
// random moment near their window, sometimes outside it.
func randomHistory(rng *rand.Rand) []porcupine.Operation {
	type write struct {
		at    int64
		value int64
	}
	ops := []porcupine.Operation{{ClientId: 0, Input: regOp{key: "k", write: true, value: 0}, Output: int64(0), Call: 0, Return: 0}}
	writes := []write{{0, 0}}
	n := 2 + rng.IntN(8)
	for i := range n {
		call := 1 + rng.Int64N(100)
		ret := call + rng.Int64N(30)
		if rng.IntN(2) == 0 {
			at := call + rng.Int64N(ret-call+1)
			v := int64(i + 1)
			writes = append(writes, write{at, v})
			ops = append(ops, porcupine.Operation{ClientId: i + 1, Input: regOp{key: "k", write: true, value: v}, Output: int64(0), Call: call, Return: ret})
			continue
		}
		ops = append(ops, porcupine.Operation{ClientId: i + 1, Input: regOp{key: "k"}, Call: call, Return: ret})
	}
	slices.SortFunc(writes, func(a, b write) int { return cmpInt64(a.at, b.at) })
	valueAt := func(t int64) int64 {
		v := int64(0)
		for _, w := range writes {
			if w.at <= t {
				v = w.value
			}
		}
		return v
	}
	for i := range ops {
		if ops[i].Input.(regOp).write {
			continue
		}
		at := ops[i].Call + rng.Int64N(ops[i].Return-ops[i].Call+1)
		if rng.IntN(2) == 0 {
			at += rng.Int64N(121) - 60 // maybe outside the window
		}
		ops[i].Output = valueAt(at)
	}
	return ops
}
