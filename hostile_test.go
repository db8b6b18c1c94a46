package redhot

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
)

// hostileKeys sets how many distinct keys TestHostileDistinctKeys sends;
// the ten million of issue #9 are fed to the tracker alone in the heat
// package's test of the same name.
var hostileKeys = flag.Int("hostile.keys", 100_000, "distinct keys sent by TestHostileDistinctKeys")

// checkBound fails the test if the near cache holds more than its bound.
func checkBound(tb testing.TB, mw *Middleware, bound int64, when string) nearcache.Stats {
	tb.Helper()
	st := mw.Stats().Cache
	if st.Bytes > uint64(bound) {
		tb.Fatalf("%s: near cache holds %d bytes in %d entries; MaxBytes is %d", when, st.Bytes, st.Entries, bound)
	}
	return st
}

// TestHostileHugeKeysAndValues reads keys and values of a megabyte and
// more through a cache bounded to 4 MiB: every read is right, the cache
// never holds more than its bound, an entry that fits is served locally,
// and one bigger than the whole bound is never cached.
func TestHostileHugeKeysAndValues(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"proto-max-bulk-len 64mb"}})
	ctx := context.Background()
	const bound = 4 << 20
	rdb := srv.Client()
	other := srv.Client()
	mw := attach(t, rdb, Options{MaxBytes: bound, Patterns: []string{"big:*"}})
	waitMode(t, mw, nearcache.ModeTracking)

	mb := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	key := func(i int) string { return "big:" + strconv.Itoa(i) + ":" + string(mb) }
	value := func(i, version int) string { return strconv.Itoa(i) + "/" + strconv.Itoa(version) + ":" + string(mb) }
	const n = 8 // 8 keys of 1 MiB with values of 1 MiB: four times the bound
	for i := range n {
		if err := other.Set(ctx, key(i), value(i, 0), 0).Err(); err != nil {
			t.Fatalf("SET key %d: %v", i, err)
		}
	}
	for round := range 2 {
		for i := range n {
			for range 2 {
				got, err := rdb.Get(ctx, key(i)).Result()
				if err != nil || got != value(i, 0) {
					t.Fatalf("round %d: GET key %d = %d bytes, %v; want the %d bytes written", round, i, len(got), err, len(value(i, 0)))
				}
				checkBound(t, mw, bound, "after GET key "+strconv.Itoa(i))
			}
		}
	}
	before := mw.Stats().Cache.Hits
	for range 5 {
		got, err := mw.Get(ctx, key(0))
		if err != nil || got != value(0, 0) {
			t.Fatalf("mw.Get key 0 = %d bytes, %v", len(got), err)
		}
	}
	st := checkBound(t, mw, bound, "after repeated reads")
	if st.Hits == before {
		t.Errorf("a 2 MiB entry under a 4 MiB bound was never served from the cache: %+v", st)
	}

	// A write through another client invalidates the huge entry.
	if err := other.Set(ctx, key(0), value(0, 1), 0).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, mw, key(0), value(0, 1), time.Second)

	// A value larger than the whole cache is read right and never kept.
	huge := string(bytes.Repeat(mb, 5))
	if err := other.Set(ctx, "big:huge", huge, 0).Err(); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		got, err := rdb.Get(ctx, "big:huge").Result()
		if err != nil || got != huge {
			t.Fatalf("GET big:huge = %d bytes, %v; want %d", len(got), err, len(huge))
		}
		checkBound(t, mw, bound, "after GET big:huge")
	}
	vals, err := rdb.MGet(ctx, key(1), "big:huge", key(2)).Result()
	if err != nil || len(vals) != 3 || vals[0] != value(1, 0) || vals[1] != huge || vals[2] != value(2, 0) {
		t.Fatalf("MGET of huge keys: %d values, %v", len(vals), err)
	}
	st = checkBound(t, mw, bound, "after MGET")
	t.Logf("near cache: %d entries, %d bytes of %d; hits %d, fills %d", st.Entries, st.Bytes, bound, st.Hits, st.Fills)
}

// TestHostileBinaryKeys caches keys and values of arbitrary bytes (NUL,
// CR LF, invalid UTF-8, every byte value) and checks every read, local
// or not, and every invalidation.
func TestHostileBinaryKeys(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	rdb := srv.Client()
	other := srv.Client()
	mw := attach(t, rdb, Options{Patterns: []string{"\x00*"}})
	waitMode(t, mw, nearcache.ModeTracking)

	var keys []string
	for c := range 256 {
		keys = append(keys, string([]byte{0, byte(c), '\r', '\n', 0xff}))
	}
	keys = append(keys, "\x00", "\x00*3\r\n$3\r\nSET\r\n", "\x00\xc3\x28", "\x00\xed\xa0\x80")
	pinned := []string{"", "\xff\xfe", "plain\x00nul", "*", "[a-z]"}
	for _, k := range pinned {
		mw.Pin(k)
	}
	keys = append(keys, pinned...)
	val := func(k string, v int) string { return "\x00" + k + "\r\n" + strconv.Itoa(v) }
	for _, k := range keys {
		if err := other.Set(ctx, k, val(k, 0), 0).Err(); err != nil {
			t.Fatalf("SET %q: %v", k, err)
		}
	}
	for range 3 {
		for _, k := range keys {
			if got, err := rdb.Get(ctx, k).Result(); err != nil || got != val(k, 0) {
				t.Fatalf("GET %q = %q, %v; want %q", k, got, err, val(k, 0))
			}
			if got, err := mw.Get(ctx, k); err != nil || got != val(k, 0) {
				t.Fatalf("mw.Get(%q) = %q, %v; want %q", k, got, err, val(k, 0))
			}
		}
	}
	st := mw.Stats().Cache
	if st.Hits == 0 || st.Entries == 0 {
		t.Fatalf("binary keys were never cached: %+v", st)
	}
	for _, k := range keys {
		if err := other.Set(ctx, k, val(k, 1), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		eventually(t, mw, k, val(k, 1), time.Second)
	}
	args := make([]string, 0, len(keys))
	args = append(args, keys...)
	vals, err := rdb.MGet(ctx, args...).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if vals[i] != val(k, 1) {
			t.Errorf("MGET[%d] (%q) = %q; want %q", i, k, vals[i], val(k, 1))
		}
	}
	// Keys the middleware has never seen, binary and absent.
	if _, err := mw.Get(ctx, "\x00never\xff"); !errors.Is(err, redis.Nil) {
		t.Errorf("mw.Get of an absent binary key: %v; want redis.Nil", err)
	}
	t.Logf("%d binary keys: %d hits, %d entries", len(keys), mw.Stats().Cache.Hits, mw.Stats().Cache.Entries)
}

// TestHostileDistinctKeys sends a flood of distinct keys (each read once,
// in pipelines and MGETs) with a hot key among them: the tracker keeps
// its fixed size and at most Capacity keys per stripe, the near cache
// stays within MaxEntries, and the hot key is still found and cached.
func TestHostileDistinctKeys(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	ctx := context.Background()
	rdb := srv.Client()
	const maxEntries = 64
	mw := attach(t, rdb, Options{
		MaxEntries: maxEntries,
		Tracker:    heat.Options{Capacity: 128, Stripes: 2},
		Patterns:   []string{"flood:*"}, // every flood key is cacheable: the bound must hold
	})
	waitMode(t, mw, nearcache.ModeTracking)
	mem := mw.Stats().Tracker.MemoryBytes
	n := *hostileKeys
	const batch = 500
	keys := make([]string, batch)
	for start := 0; start < n; start += batch {
		pipe := rdb.Pipeline()
		for j := range keys {
			keys[j] = "flood:" + strconv.Itoa(start+j)
			pipe.Get(ctx, keys[j])
		}
		for range batch / 10 {
			pipe.Get(ctx, "hot")
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("pipeline: %v", err)
		}
		// Unpipelined reads go through the near cache.
		for j := 0; j < batch; j += 50 {
			if err := rdb.Get(ctx, keys[j]).Err(); !errors.Is(err, redis.Nil) {
				t.Fatalf("GET %s: %v; want redis.Nil", keys[j], err)
			}
		}
		if st := mw.Stats().Cache; st.Entries > maxEntries {
			t.Fatalf("near cache holds %d entries; MaxEntries is %d", st.Entries, maxEntries)
		}
	}
	st := mw.Stats()
	t.Logf("%d distinct keys: tracker %d bytes (at start %d), %d tracked, %d evictions; cache %d entries, %d bytes",
		n, st.Tracker.MemoryBytes, mem, st.Tracker.Tracked, st.Tracker.Evictions, st.Cache.Entries, st.Cache.Bytes)
	if st.Tracker.MemoryBytes != mem {
		t.Errorf("tracker memory %d bytes after the flood; %d at start", st.Tracker.MemoryBytes, mem)
	}
	if st.Tracker.Tracked > 128*2 {
		t.Errorf("tracker tracks %d keys; want at most Capacity × Stripes = 256", st.Tracker.Tracked)
	}
	if st.Keys < uint64(n) {
		t.Errorf("Stats().Keys = %d; want at least the %d flood keys", st.Keys, n)
	}
	if top := mw.Top(1); len(top) != 1 || top[0].Key != "hot" {
		t.Errorf("Top(1) = %+v; want the hot key", top)
	}
}
