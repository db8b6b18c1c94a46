package heat

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchKeys returns n keys in Zipf(1.01) access order over a million-key
// space, laid out in access order as a caller that just built each key
// would hold it.
func benchKeys(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.01, 1, 1_000_000-1)
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user:%d:profile", z.Uint64())
	}
	return out
}

func BenchmarkObserve(b *testing.B) {
	keys := benchKeys(1 << 18)
	tr := Must(Options{})
	defer tr.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Observe(keys[i&(1<<18-1)], Read)
	}
}

func BenchmarkObserveParallel(b *testing.B) {
	keys := benchKeys(1 << 18)
	tr := Must(Options{})
	defer tr.Close()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(1 << 18)
		for pb.Next() {
			tr.Observe(keys[i&(1<<18-1)], Read)
			i++
		}
	})
}

func BenchmarkIsHot(b *testing.B) {
	keys := benchKeys(1 << 18)
	tr := Must(Options{})
	defer tr.Close()
	for _, k := range keys {
		tr.Observe(k, Read)
	}
	tr.Evaluate()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = tr.IsHot(keys[i&(1<<18-1)])
	}
}

func BenchmarkTop100(b *testing.B) {
	keys := benchKeys(1 << 18)
	tr := Must(Options{})
	defer tr.Close()
	for _, k := range keys {
		tr.Observe(k, Read)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = tr.Top(100)
	}
}
