package command

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
)

// hostileNumbers are numkeys (and count) arguments no client should send:
// out of range for an int, an int64, a C int, signed, padded, in other
// number syntaxes, binary.
var hostileNumbers = []string{
	"-1", "0", "-0", "-2147483648", "2147483647", "2147483648", "4294967296", "4294967297",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"99999999999999999999", "+1", " 1", "1 ", "01", "0x1", "1e3", "1.0", "", "\x00", "1\x00",
	"\xff\xfe", "\u0661", "--1", "-",
}

// hostileLines are command lines whose key count comes from an argument,
// with NUM standing for one of hostileNumbers.
var hostileLines = []string{
	"EVAL s NUM k1 k2 a", "EVALSHA s NUM k1", "EVAL_RO s NUM k1 k2", "FCALL f NUM k1 k2", "FCALL_RO f NUM k1",
	"ZUNION NUM a b", "ZINTER NUM a b WITHSCORES", "ZDIFF NUM a", "ZUNIONSTORE d NUM a b", "ZINTERSTORE d NUM a",
	"ZDIFFSTORE d NUM a b", "ZINTERCARD NUM a b", "SINTERCARD NUM a b LIMIT 1", "LMPOP NUM a b LEFT",
	"BLMPOP 0 NUM a b LEFT", "ZMPOP NUM a b MIN", "BZMPOP 0 NUM a MAX", "GEORADIUS k 0 0 NUM m STORE d",
	"MIGRATE h 6379 \"\" 0 NUM KEYS a b", "XREAD COUNT NUM STREAMS a b 0 0", "SORT k LIMIT NUM 1 STORE d",
	"SORT_RO k BY NUM", "OBJECT FREQ NUM", "MEMORY USAGE NUM SAMPLES NUM",
}

// TestHostileNumkeysMatchServer sends absurd key counts to a real server's
// COMMAND GETKEYSANDFLAGS and checks that Keys finds what the server
// finds: no key past the line, none from a count the server rejects.
func TestHostileNumkeysMatchServer(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	c := srv.Client(func(o *redis.Options) { o.Protocol = 2 })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tab := Builtin()
	pipe := c.Pipeline()
	type check struct {
		args []string
		cmd  *redis.Cmd
	}
	var checks []check
	for _, l := range hostileLines {
		for _, num := range hostileNumbers {
			var args []string
			for _, f := range strings.Fields(l) {
				switch f {
				case "NUM":
					f = num
				case `""`:
					f = ""
				}
				args = append(args, f)
			}
			a := []any{"command", "getkeysandflags"}
			for _, s := range args {
				a = append(a, s)
			}
			checks = append(checks, check{args, pipe.Do(ctx, a...)})
		}
	}
	_, _ = pipe.Exec(ctx) // errors are per command
	withKeys := 0
	for _, ch := range checks {
		want, err := serverKeys(ch.cmd)
		if err != nil {
			t.Fatalf("COMMAND GETKEYSANDFLAGS %q: %v", ch.args, err)
		}
		if len(want) > 0 {
			withKeys++
		}
		if got := ourKeys(tab, ch.args); !slices.Equal(got, want) {
			t.Errorf("Keys(%q) = %q; server says %q", ch.args, got, want)
		}
	}
	t.Logf("%d hostile lines checked against the server, %d with keys", len(checks), withKeys)
	if withKeys == 0 {
		t.Errorf("no hostile line had keys: the lines do not exercise key finding")
	}
}

// hostileValues are go-redis arguments of every kind a caller can pass,
// for KeysAny: numbers at their limits, binary, nil and values go-redis
// would format itself.
var hostileValues = []any{
	"", "\x00", []byte{0xff, 0, 0xfe}, []byte(nil), nil, true, false,
	int(math.MinInt), int64(math.MaxInt64), int32(math.MinInt32), uint64(math.MaxUint64), uint8(255),
	float64(math.NaN()), math.Inf(-1), 1e300, -0.0, float32(3.5),
	time.Duration(-1), time.Unix(0, 0), struct{}{}, []string{"a"}, map[string]int{"a": 1},
	new(string),
}

// TestHostileArgLists runs every command of the builtin table on absurd
// argument lists, as strings (Keys) and as go-redis values (KeysAny):
// nothing may panic, every key found must be an argument of the line,
// never the command name, and never more keys than arguments.
func TestHostileArgLists(t *testing.T) {
	tab := Builtin()
	long := make([]string, 20_000)
	for i := range long {
		long[i] = string(rune('a' + i%26))
	}
	check := func(name string, keys []Key, n int, args any) {
		t.Helper()
		if len(keys) > n {
			t.Fatalf("%s(%.200v) found %d keys in %d arguments", name, args, len(keys), n)
		}
		for _, k := range keys {
			if k.Pos < 1 || k.Pos >= n || (k.Access != Read && k.Access != Write) {
				t.Fatalf("%s(%.200v) = key %+v; want a position in [1, %d) and an access", name, args, k, n)
			}
		}
	}
	var lines, anyLines int
	for spec := range tab.All() {
		names := [][]string{{spec.Name}}
		for _, sub := range spec.Subcommands {
			_, subName, _ := strings.Cut(sub.Name, "|") // "object|freq"
			names = append(names, []string{spec.Name, subName})
		}
		for _, head := range names {
			var shapes [][]string
			for _, num := range hostileNumbers {
				shapes = append(shapes, append(slices.Clone(head), num, num, "k", num))
				shapes = append(shapes, append(slices.Clone(head), "k", num, "STREAMS", num, "KEYS", num))
			}
			shapes = append(shapes, slices.Clone(head))
			if len(head) == 1 { // long lines once per command
				shapes = append(shapes, append(slices.Clone(head), long...))
				shapes = append(shapes, append(append(slices.Clone(head), "1"), long...))
			}
			for _, args := range shapes {
				check("Keys", tab.Keys(args, nil), len(args), args)
				lines++
			}
			for _, v := range hostileValues {
				args := []any{head[0]}
				if len(head) > 1 {
					args = append(args, head[1])
				}
				args = append(args, v, v, "k", v, "2", v, v)
				check("KeysAny", tab.KeysAny(args, nil), len(args), args)
				anyLines++
			}
		}
	}
	// Not a command at all: a binary, empty or huge name.
	for _, args := range [][]string{{""}, {"\x00\xff"}, {strings.Repeat("x", 1<<20), "k"}, {}} {
		check("Keys", tab.Keys(args, nil), len(args), args)
		check("KeysAny", tab.KeysAny(toAny(args), nil), len(args), args)
	}
	t.Logf("%d string lines and %d go-redis lines over %d commands", lines, anyLines, tab.Len())
}

func toAny(args []string) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a
	}
	return out
}
