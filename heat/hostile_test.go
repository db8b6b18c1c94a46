package heat

import (
	"bytes"
	"flag"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// hostileKeys sets how many distinct keys TestHostileDistinctKeys feeds;
// `go test ./heat -run Hostile -hostile.keys 10000000` is the full run of
// issue #9 (a few seconds without -race).
var hostileKeys = flag.Int("hostile.keys", 0, "distinct keys fed by TestHostileDistinctKeys (default 1,000,000; 100,000 with -short)")

// heapInuse returns the heap in use after two collections, so that what
// remains is what is reachable.
func heapInuse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// heapSlack is the heap growth tolerated around a run that should keep
// none: the runtime's own bookkeeping and the evaluations' transient
// buffers that a collection has not returned to a span yet.
const heapSlack = 1 << 20

// TestHostileDistinctKeys feeds millions of distinct keys, each seen once,
// with a hot key among them: the tracker's memory must stay what New
// sized it to (its own report unchanged, the heap not growing), its table
// within Capacity per stripe, and the hot key still found.
func TestHostileDistinctKeys(t *testing.T) {
	n := *hostileKeys
	if n == 0 {
		n = 1_000_000
		if testing.Short() {
			n = 100_000
		}
	}
	const capacity, stripes = 256, 2
	before := heapInuse()
	tr, clk := newFake(t, Options{Capacity: capacity, Stripes: stripes, SketchCounters: 32 * capacity, MaxKeyBytes: 32})
	mem := tr.MemoryBytes()
	afterNew := heapInuse()
	if grew := afterNew - before; grew > int64(mem)+heapSlack {
		t.Errorf("New took %d bytes of heap; MemoryBytes says %d", grew, mem)
	}

	buf := make([]byte, 0, 64)
	for i := range n {
		buf = strconv.AppendInt(append(buf[:0], "distinct:"...), int64(i), 10)
		tr.ObserveBytes(buf, Op(i&1))
		if i%10 == 0 {
			tr.Observe("the-hot-one", Read)
		}
		if i%10_000 == 0 {
			clk.Add(time.Millisecond)
			tr.Evaluate()
		}
	}
	tr.Evaluate()
	grew := heapInuse() - afterNew
	st := tr.Stats()
	t.Logf("%d distinct keys: heap +%d bytes after New (MemoryBytes %d), tracked %d, evictions %d", n, grew, st.MemoryBytes, st.Tracked, st.Evictions)
	if grew > heapSlack {
		t.Errorf("heap grew by %d bytes over %d distinct keys; want at most %d", grew, n, heapSlack)
	}
	if st.MemoryBytes != mem {
		t.Errorf("MemoryBytes = %d after the keys; want %d as at New", st.MemoryBytes, mem)
	}
	if st.Tracked > capacity*stripes {
		t.Errorf("Stats().Tracked = %d; want at most Capacity × Stripes = %d", st.Tracked, capacity*stripes)
	}
	if st.Observations != uint64(n+(n+9)/10) {
		t.Errorf("Stats().Observations = %d; want %d", st.Observations, n+(n+9)/10)
	}
	if top := tr.Top(1); len(top) != 1 || top[0].Key != "the-hot-one" {
		t.Errorf("Top(1) = %+v; want the-hot-one", top)
	}
	if !tr.IsHot("the-hot-one") {
		t.Errorf("IsHot(the-hot-one) = false; it took 9%% of the traffic")
	}
}

// TestHostileHugeKeys feeds keys of a megabyte: the tracker keeps only
// their first MaxKeyBytes bytes (reported Truncated), retains none of the
// key memory, and still counts and answers IsHot for the whole key.
// Two keys differing only after MaxKeyBytes stay apart.
func TestHostileHugeKeys(t *testing.T) {
	const maxKey = 64
	tr, clk := newFake(t, Options{Capacity: 16, MaxKeyBytes: maxKey})
	a := bytes.Repeat([]byte{'a'}, 1<<20)
	b := bytes.Clone(a)
	b[len(b)-1] = 'b' // differs from a only in the last byte
	cold := bytes.Repeat([]byte{'c'}, 1<<20)
	afterKeys := heapInuse()
	for i := range 2000 {
		tr.ObserveBytes(a, Read)
		if i%2 == 0 {
			tr.ObserveBytes(b, Write)
		}
		if i%100 == 0 {
			cold[i%len(cold)]++ // a new distinct huge key
			tr.ObserveBytes(cold, Read)
			clk.Add(5 * time.Millisecond)
		}
	}
	tr.Evaluate()
	top := tr.Top(2)
	if grew := heapInuse() - afterKeys; grew > heapSlack {
		t.Errorf("heap grew by %d bytes after 1 MiB keys; the tracker must keep only %d bytes of each", grew, maxKey)
	}
	if len(top) != 2 {
		t.Fatalf("Top(2) = %d keys; want 2", len(top))
	}
	for _, k := range top {
		if len(k.Key) != maxKey || !k.Truncated || k.Key != string(a[:maxKey]) {
			t.Errorf("Top key of %d bytes, Truncated %v; want the first %d bytes, Truncated", len(k.Key), k.Truncated, maxKey)
		}
	}
	if top[0].Rate <= top[1].Rate || top[1].WriteRate == 0 || top[0].WriteRate != 0 {
		t.Errorf("Top(2) = %+v, %+v; want a (reads only) ahead of b (writes)", top[0], top[1])
	}
	if !tr.IsHot(string(a)) || !tr.IsHot(string(b)) {
		t.Errorf("IsHot(a) = %v, IsHot(b) = %v; want both hot", tr.IsHot(string(a)), tr.IsHot(string(b)))
	}
	if tr.IsHot(string(a[:maxKey])) {
		t.Errorf("IsHot of a's kept prefix = true; only the whole key is hot")
	}
	if est := tr.Estimate(string(a)); !est.Truncated || est.Rate <= 0 {
		t.Errorf("Estimate(a) = %+v; want a positive rate, Truncated", est)
	}
}

// TestHostileBinaryKeys feeds keys made of every byte value, NUL and
// invalid UTF-8 included: they are tracked and reported byte for byte.
func TestHostileBinaryKeys(t *testing.T) {
	tr, clk := newFake(t, Options{Capacity: 64, MaxKeyBytes: 16})
	var keys []string
	for c := range 256 {
		keys = append(keys, string([]byte{byte(c), 0, 0xff, byte(c)}))
	}
	keys = append(keys, "", "\x00", "\xc3\x28", "\xed\xa0\x80", "a\x00b")
	hot := "\x00\xff\xfe\r\n*3\r\n"
	for round := range 50 {
		for _, k := range keys {
			tr.Observe(k, Write)
		}
		for range 100 {
			tr.ObserveBytes([]byte(hot), Read)
		}
		if round%10 == 0 {
			clk.Add(10 * time.Millisecond)
		}
	}
	tr.Evaluate()
	top := tr.Top(64)
	if len(top) == 0 || top[0].Key != hot || top[0].Truncated {
		t.Fatalf("Top(64)[0] = %+v; want %q, whole", top, hot)
	}
	if !tr.IsHot(hot) {
		t.Errorf("IsHot(%q) = false", hot)
	}
	seen := map[string]bool{}
	for _, k := range top {
		if seen[k.Key] {
			t.Errorf("key %q reported twice", k.Key)
		}
		seen[k.Key] = true
	}
	for _, k := range keys {
		if est := tr.Estimate(k); est.Key != k || est.High <= 0 {
			t.Errorf("Estimate(%q) = %+v; want the key back with a positive bound", k, est)
		}
	}
}

// TestHostileStatsWhileObserving reads Stats and MemoryBytes while other
// goroutines fill the table with new keys; under -race it caught
// MemoryBytes reading the table's slice headers without the stripe lock.
func TestHostileStatsWhileObserving(t *testing.T) {
	tr, err := New(Options{Capacity: 64, Stripes: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	mem := tr.MemoryBytes()
	done := make(chan struct{})
	for g := range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			buf := make([]byte, 0, 32)
			for i := range 20_000 {
				buf = strconv.AppendInt(append(buf[:0], byte('a'+g)), int64(i), 10)
				tr.ObserveBytes(buf, Read)
			}
		}()
	}
	for running := 2; running > 0; {
		select {
		case <-done:
			running--
		default:
			if st := tr.Stats(); st.MemoryBytes != mem || st.Tracked > 128 {
				t.Errorf("Stats() = %+v while observing; want MemoryBytes %d and at most 128 tracked", st, mem)
			}
		}
	}
}
