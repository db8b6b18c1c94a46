package command

import (
	"testing"
)

// hotLines are command lines as go-redis builds them (cmd.Args()), the
// middleware's hot path.
var hotLines = []struct {
	name string
	args []any
}{
	{"GET", []any{"get", "product:42"}},
	{"MGET", []any{"mget", "a", "b", "c", "d", "e", "f", "g", "h"}},
	{"HSET", []any{"hset", "user:1", "name", "x", "age", 42}},
	{"EVAL", []any{"eval", "return redis.call('get', KEYS[1])", 2, "k1", "k2", "arg"}},
	{"SET_GET", []any{"set", "k", "v", "get"}},
	{"OBJECT_FREQ", []any{"object", "freq", "k"}},
	{"XREAD", []any{"xread", "count", 10, "streams", "s1", "s2", "0", "0"}},
	{"SORT_STORE", []any{"sort", "k", "by", "w_*", "get", "o_*", "store", "dst"}},
	{"GET_upper_bytes", []any{[]byte("GET"), []byte("product:42")}},
}

// TestKeysAnyAllocs is the promise the middleware relies on: finding keys
// of a go-redis command allocates nothing once dst has room.
func TestKeysAnyAllocs(t *testing.T) {
	tab := Builtin()
	dst := make([]Key, 0, 16)
	for _, l := range hotLines {
		if len(tab.KeysAny(l.args, dst)) == 0 {
			t.Fatalf("KeysAny(%v) found no keys", l.args)
		}
		allocs := testing.AllocsPerRun(200, func() {
			dst = tab.KeysAny(l.args, dst)
		})
		if allocs != 0 {
			t.Errorf("KeysAny(%s) allocates %.1f times per call; want 0", l.name, allocs)
		}
	}
}

func TestKeysAllocs(t *testing.T) {
	tab := Builtin()
	dst := make([]Key, 0, 16)
	for _, l := range []string{"GET k", "get k", "MGET a b c", "HSET h f v", "EVAL s 2 a b", "Object Freq k", "XREADGROUP GROUP g c STREAMS s >", "MIGRATE h 1 '' 0 0 KEYS a b", "NOSUCH x"} {
		args := line(l)
		allocs := testing.AllocsPerRun(200, func() {
			dst = tab.Keys(args, dst)
			_ = tab.Find(args).Class()
		})
		if allocs != 0 {
			t.Errorf("Keys(%q) allocates %.1f times per call; want 0", l, allocs)
		}
	}
}

func BenchmarkKeysAny(b *testing.B) {
	tab := Builtin()
	for _, l := range hotLines {
		b.Run(l.name, func(b *testing.B) {
			dst := make([]Key, 0, 16)
			b.ReportAllocs()
			for b.Loop() {
				dst = tab.KeysAny(l.args, dst)
			}
		})
	}
}

func BenchmarkKeysAnyParallel(b *testing.B) {
	tab := Builtin()
	args := []any{"get", "product:42"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		dst := make([]Key, 0, 4)
		for pb.Next() {
			dst = tab.KeysAny(args, dst)
		}
	})
}

// BenchmarkKeys is the MONITOR sampler's path: string arguments as parsed
// from a MONITOR line, command names in any case.
func BenchmarkKeys(b *testing.B) {
	tab := Builtin()
	for _, l := range []string{"GET product:42", "get product:42", "MSET a 1 b 2 c 3", "ZUNIONSTORE d 3 a b c WEIGHTS 1 2 3", "Object Freq k", "NOSUCH a b"} {
		args := line(l)
		b.Run(args[0], func(b *testing.B) {
			dst := make([]Key, 0, 16)
			b.ReportAllocs()
			for b.Loop() {
				dst = tab.Keys(args, dst)
			}
		})
	}
}
