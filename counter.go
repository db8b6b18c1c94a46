package redhot

import (
	"runtime"
	"sync/atomic"
	_ "unsafe" // for go:linkname
)

// counter is a count striped by processor, so that goroutines on many
// cores counting at once never write a shared cache line.
type counter struct {
	stripes []counterStripe
}

type counterStripe struct {
	n atomic.Uint64
	_ [248]byte
}

func newCounter() counter {
	return counter{stripes: make([]counterStripe, runtime.GOMAXPROCS(0))}
}

// add adds d to the stripe of the caller's processor. A goroutine that
// moves right after reading its processor merely shares another's stripe
// for one addition.
func (c *counter) add(d uint64) {
	id := runtimeProcPin()
	runtimeProcUnpin()
	c.stripes[uint(id)%uint(len(c.stripes))].n.Add(d)
}

func (c *counter) load() uint64 {
	var n uint64
	for i := range c.stripes {
		n += c.stripes[i].n.Load()
	}
	return n
}

//go:linkname runtimeProcPin runtime.procPin
func runtimeProcPin() int

//go:linkname runtimeProcUnpin runtime.procUnpin
func runtimeProcUnpin()
