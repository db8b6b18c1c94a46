package nearcache

import (
	"runtime"
	"sync/atomic"
	_ "unsafe" // for go:linkname
)

// counters is a set of event counters striped by processor, so that hits
// on many cores never write a shared cache line. Each stripe fills a cache
// line pair on its own.
type counters struct {
	stripes []counterStripe
}

type counterStripe struct {
	hits   atomic.Uint64
	misses atomic.Uint64
	_      [240]byte
}

func newCounters() counters {
	return counters{stripes: make([]counterStripe, runtime.GOMAXPROCS(0))}
}

// hit counts a hit and returns the stripe's hit count.
//
// The count is incremented with a plain load and store, not an atomic
// add, while the goroutine is pinned to its processor: nothing else runs
// on that processor meanwhile, so no increment is lost, and a locked
// add, which costs as much as the rest of a hit, is avoided. (If
// GOMAXPROCS grew after New, two processors share a stripe and an
// increment may be lost; the counts are statistics.)
func (c *counters) hit() uint64 {
	id := runtimeProcPin()
	st := &c.stripes[uint(id)%uint(len(c.stripes))]
	n := st.hits.Load() + 1
	st.hits.Store(n)
	runtimeProcUnpin()
	return n
}

// unhit turns the last hit counted by hit into a miss.
func (c *counters) unhit() {
	id := runtimeProcPin()
	st := &c.stripes[uint(id)%uint(len(c.stripes))]
	st.hits.Store(st.hits.Load() - 1)
	st.misses.Store(st.misses.Load() + 1)
	runtimeProcUnpin()
}

// miss counts a miss.
func (c *counters) miss() {
	id := runtimeProcPin()
	st := &c.stripes[uint(id)%uint(len(c.stripes))]
	st.misses.Store(st.misses.Load() + 1)
	runtimeProcUnpin()
}

func (c *counters) sum() (hits, misses uint64) {
	for i := range c.stripes {
		hits += c.stripes[i].hits.Load()
		misses += c.stripes[i].misses.Load()
	}
	return hits, misses
}

//go:linkname runtimeProcPin runtime.procPin
func runtimeProcPin() int

//go:linkname runtimeProcUnpin runtime.procUnpin
func runtimeProcUnpin()
