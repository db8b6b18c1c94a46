package heat

import (
	"sync/atomic"
	"time"
)

// Clock tells the tracker the time. Tests and replays inject one to drive
// the tracker on stream time without sleeping; Now must be safe for
// concurrent use and cheap, since Observe calls it on every access.
type Clock interface {
	Now() time.Time
}

// FakeClock is a Clock that moves only when told. The zero value reads as
// the Unix epoch. It is safe for concurrent use.
type FakeClock struct {
	ns atomic.Int64
}

// NewFakeClock returns a FakeClock set to t.
func NewFakeClock(t time.Time) *FakeClock {
	c := &FakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// Add moves the clock forward by d.
func (c *FakeClock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// Set moves the clock to t.
func (c *FakeClock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// coarseClock is the tracker's default time source: reading the system
// clock costs tens of nanoseconds, more than the rest of Observe, so a
// background goroutine stores the time every Resolution and Observe reads
// it with one atomic load.
type coarseClock struct {
	ns atomic.Int64
}

func (c *coarseClock) now() int64 { return c.ns.Load() }
func (c *coarseClock) set(t time.Time) {
	c.ns.Store(t.UnixNano())
}
