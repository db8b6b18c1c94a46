package heat

import (
	"testing"
	"time"
)

// FuzzObserve feeds arbitrary keys and weights and checks that the tracker
// neither panics nor loses a key that dominates the stream.
func FuzzObserve(f *testing.F) {
	f.Add([]byte("user:1"), []byte("x"), 1.0, uint8(3))
	f.Add([]byte{0, 0xff, '\n', '"'}, []byte(""), 1e300, uint8(255))
	f.Add([]byte(""), []byte("\xc3\x28"), -1.0, uint8(0))
	f.Fuzz(func(t *testing.T, hot, other []byte, w float64, rounds uint8) {
		tr, clk := newFake(t, Options{Capacity: 4, MaxKeyBytes: 8, SketchCounters: 512})
		for i := 0; i < int(rounds)+1; i++ {
			tr.ObserveBytes(hot, Read)
			tr.ObserveBytes(hot, Write)
			tr.ObserveWeighted(string(other), Read, w)
			clk.Add(time.Millisecond)
		}
		tr.Evaluate()
		top := tr.Top(10)
		if len(top) == 0 {
			t.Fatal("Top is empty after observations")
		}
		want := string(hot)
		if len(want) > 8 {
			want = want[:8]
		}
		found := false
		for _, k := range top {
			if k.Key == want && k.Truncated == (len(hot) > 8) {
				found = true
			}
			if k.Rate < 0 || k.High < k.Low || k.Share < 0 || k.Share > 1+1e-9 {
				t.Fatalf("inconsistent stat %+v", k)
			}
		}
		if !found && string(hot) != string(other) {
			t.Fatalf("hot key %q missing from Top: %+v", hot, top)
		}
	})
}
