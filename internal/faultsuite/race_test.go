//go:build race

package faultsuite

// raceEnabled says whether the suite runs under the race detector, for
// the report's command line.
const raceEnabled = true
