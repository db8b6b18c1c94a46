package soak

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync/atomic"
	"time"
)

// histogram counts latencies in buckets four to a power of two of
// nanoseconds (each at most 19% wide), without locks or allocation.
type histogram struct {
	b [64 * 4]atomic.Uint64
}

func bucketOf(d time.Duration) int {
	ns := uint64(max(d, 1))
	e := bits.Len64(ns) - 1 // 2^e <= ns < 2^(e+1)
	sub := 0
	if e >= 2 {
		sub = int(ns>>(e-2)) & 3
	}
	return e*4 + sub
}

// upper returns the upper edge of bucket i in nanoseconds.
func upper(i int) float64 {
	e, sub := i/4, i%4
	return math.Ldexp(1+float64(sub+1)/4, e)
}

func (h *histogram) add(d time.Duration) { h.b[bucketOf(d)].Add(1) }

// quantilesAndReset returns the p and q quantiles in microseconds (0
// without observations) and empties the histogram.
func (h *histogram) quantilesAndReset(p, q float64) (float64, float64) {
	var counts [len(h.b)]uint64
	var n uint64
	for i := range h.b {
		counts[i] = h.b[i].Swap(0)
		n += counts[i]
	}
	if n == 0 {
		return 0, 0
	}
	at := func(f float64) float64 {
		rank := uint64(math.Ceil(f * float64(n)))
		var seen uint64
		for i, c := range counts {
			seen += c
			if seen >= rank {
				return upper(i) / 1e3
			}
		}
		return upper(len(counts)-1) / 1e3
	}
	return at(p), at(q)
}

// judge computes the growth part of the verdict from the samples: those
// after WarmUp are split in thirds, and the medians of the first and last
// thirds compared.
func judge(o Options, samples []Sample) Verdict {
	v := Verdict{Type: "verdict", Samples: len(samples), CacheBound: o.MaxBytes}
	var measured []Sample
	for _, s := range samples {
		v.CacheBytesMax = max(v.CacheBytesMax, s.CacheBytes)
		v.P50Max = max(v.P50Max, s.P50Micros)
		v.P99Max = max(v.P99Max, s.P99Micros)
		if s.T > o.WarmUp.Seconds() {
			measured = append(measured, s)
		}
	}
	if o.MaxBytes > 0 && v.CacheBytesMax > uint64(o.MaxBytes) {
		v.Reasons = append(v.Reasons, fmt.Sprintf("near cache held %d bytes; bound %d", v.CacheBytesMax, o.MaxBytes))
	}
	v.Measured = len(measured)
	if len(measured) < 3 {
		return v
	}
	third := len(measured) / 3
	first, last := measured[:third], measured[len(measured)-third:]
	heap := func(ss []Sample) uint64 {
		return median(ss, func(s Sample) uint64 { return s.HeapInuse })
	}
	gor := func(ss []Sample) int {
		return int(median(ss, func(s Sample) uint64 { return uint64(s.Goroutines) }))
	}
	v.HeapFirst, v.HeapLast = heap(first), heap(last)
	v.GoroutinesFirst, v.GoroutinesLast = gor(first), gor(last)
	v.HeapSlope = slope(measured) * 60
	if allowed := float64(v.HeapFirst)*(1+o.HeapTolerance) + float64(o.HeapSlack); float64(v.HeapLast) > allowed {
		v.Reasons = append(v.Reasons, fmt.Sprintf("heap in use grew from %d to %d bytes after warm-up (allowed %.0f)", v.HeapFirst, v.HeapLast, allowed))
	}
	if v.GoroutinesLast > v.GoroutinesFirst+o.GoroutineSlack {
		v.Reasons = append(v.Reasons, fmt.Sprintf("goroutines grew from %d to %d after warm-up", v.GoroutinesFirst, v.GoroutinesLast))
	}
	return v
}

func median(ss []Sample, f func(Sample) uint64) uint64 {
	xs := make([]uint64, len(ss))
	for i, s := range ss {
		xs[i] = f(s)
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// slope is the least-squares slope of heap in use over time, in bytes per
// second.
func slope(ss []Sample) float64 {
	var st, sh, stt, sth float64
	n := float64(len(ss))
	for _, s := range ss {
		t, h := s.T, float64(s.HeapInuse)
		st += t
		sh += h
		stt += t * t
		sth += t * h
	}
	d := n*stt - st*st
	if d == 0 {
		return 0
	}
	return (n*sth - st*sh) / d
}
