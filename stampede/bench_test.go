package stampede

import (
	"context"
	"testing"
	"time"
)

// BenchmarkFetchHit measures a Fetch that finds a fresh value: one GET and
// a decode, from parallel callers. The allocations reported with
// -benchmem are go-redis's command and reply plus the caller's copy of the
// value.
func BenchmarkFetchHit(b *testing.B) {
	s := newServer(b)
	c := newCache(b, newClient(s), Options{})
	value := make([]byte, 1024)
	load := func(context.Context) ([]byte, error) { return value, nil }
	if _, err := c.Fetch(b.Context(), "k", time.Hour, load); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Fetch(context.Background(), "k", time.Hour, load); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if st := c.Stats(); st.LoaderCalls != 1 {
		b.Fatalf("%d loader calls; want 1", st.LoaderCalls)
	}
}
