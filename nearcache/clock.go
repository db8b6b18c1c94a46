package nearcache

import (
	"sync/atomic"
	"time"
	_ "unsafe" // for go:linkname
)

// Clock is a monotonic time source in nanoseconds from an arbitrary origin.
// Inject one in Options to test expiry and staleness without sleeping.
type Clock interface {
	Now() int64
}

// nanotime is the runtime's monotonic clock, the one time.Now reads for
// its monotonic part. The runtime exports it for packages such as this one.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// coarseClock is the default clock of the hit path. Reading the monotonic
// clock costs 20 to 30 ns on a virtual machine, as much as the rest of a
// hit, so the cache's goroutine samples it every Resolution and hits read
// the sample with one atomic load. Sampled hits (one in sampleEvery) read
// the real clock and push the sample forward, so a clock goroutine that is
// starved of CPU cannot make a hit see time standing still for long.
type coarseClock struct {
	ns atomic.Int64
}

func (c *coarseClock) Now() int64 { return c.ns.Load() }

// advance moves the sample forward to now, never back. It writes only
// when the sample lags by more than the resolution, so that sampled hits
// on many cores do not fight over the clock's cache line.
func (c *coarseClock) advance(now int64) {
	for {
		old := c.ns.Load()
		if now-old <= int64(coarseResolution) || c.ns.CompareAndSwap(old, now) {
			return
		}
	}
}

// set moves the sample forward to now, never back.
func (c *coarseClock) set(now int64) {
	for {
		old := c.ns.Load()
		if now <= old || c.ns.CompareAndSwap(old, now) {
			return
		}
	}
}

// run samples the clock every resolution until stop is closed.
func (c *coarseClock) run(resolution time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(resolution)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			c.set(nanotime())
		}
	}
}
