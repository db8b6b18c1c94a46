package heat

import _ "unsafe" // for go:linkname

// procID returns the index of the processor (the scheduler's P) the calling
// goroutine runs on. Observe uses it only to pick a stripe, so a goroutine
// that moves to another processor right after the call merely takes the
// slower path once; nothing depends on it for correctness.
//
// The runtime exports procPin and procUnpin for packages that need exactly
// this (see the runtime's comments on them and go.dev/issue/67401); they cost
// a couple of nanoseconds, against about ten for a sync.Pool round trip.
func procID() int {
	id := runtimeProcPin()
	runtimeProcUnpin()
	return id
}

//go:linkname runtimeProcPin runtime.procPin
func runtimeProcPin() int

//go:linkname runtimeProcUnpin runtime.procUnpin
func runtimeProcUnpin()
