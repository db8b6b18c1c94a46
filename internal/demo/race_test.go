//go:build race

package demo

// raceEnabled reports that the race detector is on: it slows the clients
// several times, so the quick test offers less traffic.
const raceEnabled = true
