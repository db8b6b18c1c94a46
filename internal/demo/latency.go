package demo

import (
	"math"
	"sync/atomic"
	"time"
)

// histogram counts latencies in logarithmic buckets: eight per doubling
// from one microsecond, so a quantile read from it is within 9% of the
// true value. Record is safe from any goroutine and allocates nothing.
type histogram struct {
	buckets [histBuckets]atomic.Uint64
}

const (
	histPerDoubling = 8
	histBuckets     = 26 * histPerDoubling // 1 µs to about a minute
)

func bucketOf(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us <= 1 {
		return 0
	}
	b := int(math.Log2(us)*histPerDoubling) + 1
	return min(b, histBuckets-1)
}

// bucketUpper is the largest latency bucket b holds.
func bucketUpper(b int) time.Duration {
	return time.Duration(math.Exp2(float64(b)/histPerDoubling) * float64(time.Microsecond))
}

func (h *histogram) record(d time.Duration) { h.buckets[bucketOf(d)].Add(1) }

// counts is a plain copy of a histogram, for merging and quantiles.
type counts [histBuckets]uint64

func (h *histogram) snapshot() counts {
	var c counts
	for i := range h.buckets {
		c[i] = h.buckets[i].Load()
	}
	return c
}

func (c *counts) add(o *counts) {
	for i := range c {
		c[i] += o[i]
	}
}

func (c *counts) total() uint64 {
	var n uint64
	for _, v := range c {
		n += v
	}
	return n
}

// quantile returns the upper bound of the bucket holding quantile q, or 0
// when the histogram is empty.
func (c *counts) quantile(q float64) time.Duration {
	n := c.total()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var seen uint64
	for i, v := range c {
		seen += v
		if seen >= rank {
			return bucketUpper(i)
		}
	}
	return bucketUpper(histBuckets - 1)
}
