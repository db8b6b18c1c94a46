package workload

import (
	"errors"
	"math"
	"testing"
)

// newTestKeyspace returns a Keyspace or fails the test.
func newTestKeyspace(tb testing.TB, opts KeyspaceOptions) *Keyspace {
	tb.Helper()
	ks, err := NewKeyspace(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return ks
}

// newTestZipf returns a Zipf generator or fails the test.
func newTestZipf(tb testing.TB, opts ZipfOptions) *Zipf {
	tb.Helper()
	z, err := NewZipf(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return z
}

// newTestUniform returns a Uniform generator or fails the test.
func newTestUniform(tb testing.TB, opts UniformOptions) *Uniform {
	tb.Helper()
	u, err := NewUniform(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// countIndices draws n indices from g and returns how often each came up.
func countIndices(g IndexGenerator, n int) []int {
	counts := make([]int, g.Len())
	buf := make([]uint32, 4096)
	for n > 0 {
		b := buf[:min(n, len(buf))]
		g.Fill(b)
		for _, i := range b {
			counts[i]++
		}
		n -= len(b)
	}
	return counts
}

// checkBinomial fails the test if count, out of n draws, is more than five
// standard deviations from the expected n·p.
func checkBinomial(tb testing.TB, what string, count, n int, p float64) {
	tb.Helper()
	want := float64(n) * p
	sd := math.Sqrt(float64(n) * p * (1 - p))
	if math.Abs(float64(count)-want) > 5*sd+1e-9 {
		tb.Errorf("%s: %d of %d draws (%.5f); want %.5f ± %.5f (5σ)",
			what, count, n, float64(count)/float64(n), p, 5*sd/float64(n))
	}
}

// checkInvalid fails the test unless err is an ErrInvalidOptions naming field.
func checkInvalid(tb testing.TB, err error, field string) {
	tb.Helper()
	if !errors.Is(err, ErrInvalidOptions) {
		tb.Fatalf("err = %v; want ErrInvalidOptions", err)
	}
	if !containsWord(err.Error(), field) {
		tb.Errorf("err = %q; want it to name %s", err, field)
	}
}

// containsWord reports whether s contains field followed by a non-field
// character, so that "Rate" does not match "Rates".
func containsWord(s, field string) bool {
	for i := 0; i+len(field) <= len(s); i++ {
		if s[i:i+len(field)] != field {
			continue
		}
		if end := i + len(field); end == len(s) || !isFieldChar(s[end]) {
			return true
		}
	}
	return false
}

func isFieldChar(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// newTestHotspot returns a Hotspot generator or fails the test.
func newTestHotspot(tb testing.TB, opts HotspotOptions) *Hotspot {
	tb.Helper()
	h, err := NewHotspot(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// newTestMix returns a Mix generator or fails the test.
func newTestMix(tb testing.TB, opts MixOptions) *Mix {
	tb.Helper()
	m, err := NewMix(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// newTestOverlay returns a function that takes NewStep's or
// NewFlashSale's results and returns the Overlay or fails the test.
func newTestOverlay(tb testing.TB) func(*Overlay, error) *Overlay {
	return func(o *Overlay, err error) *Overlay {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return o
	}
}

// newTestKeyspaceOf returns a Keyspace of keys or fails the test.
func newTestKeyspaceOf(tb testing.TB, keys ...string) *Keyspace {
	tb.Helper()
	ks, err := NewKeyspaceOf(keys)
	if err != nil {
		tb.Fatal(err)
	}
	return ks
}

// posInf returns +Inf.
func posInf() float64 { return math.Inf(1) }
