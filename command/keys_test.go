package command

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// line splits a command line on spaces; "”" stands for an empty argument.
func line(s string) []string {
	args := strings.Fields(s)
	for i, a := range args {
		if a == "''" {
			args[i] = ""
		}
	}
	return args
}

// keyString renders keys as "1:r 3:w".
func keyString(keys []Key) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(k.Pos))
		switch k.Access {
		case Read:
			b.WriteString(":r")
		case Write:
			b.WriteString(":w")
		default:
			b.WriteString(":?")
		}
	}
	return b.String()
}

var keyCases = []struct {
	name  string
	line  string
	want  string // keys as "pos:r|w", positions counted from the command name
	class Class
}{
	// Plain commands: one index/range key spec.
	{"GET", "GET k", "1:r", ClassRead},
	{"get lowercase", "get k", "1:r", ClassRead},
	{"get mixed case", "gEt k", "1:r", ClassRead},
	{"SET", "SET k v", "1:w", ClassWrite},
	{"SET with GET reads and writes", "SET k v NX GET", "1:w", ClassWrite},
	{"SET EX", "SET k v EX 10", "1:w", ClassWrite},
	{"MGET", "MGET a b c", "1:r 2:r 3:r", ClassRead},
	{"MSET steps over values", "MSET a 1 b 2 c 3", "1:w 3:w 5:w", ClassWrite},
	{"HSET", "HSET h f v f2 v2", "1:w", ClassWrite},
	{"HGET", "HGET h f", "1:r", ClassRead},
	{"HMGET", "HMGET h f g", "1:r", ClassRead},
	{"HGETALL", "HGETALL h", "1:r", ClassRead},
	{"INCR", "INCR k", "1:w", ClassWrite},
	{"ZADD", "ZADD z 1 m", "1:w", ClassWrite},
	{"ZRANGE", "ZRANGE z 0 -1 WITHSCORES", "1:r", ClassRead},
	{"DEL", "DEL a b", "1:w 2:w", ClassWrite},
	{"EXISTS", "EXISTS a b", "1:r 2:r", ClassRead},
	{"TYPE", "TYPE k", "1:r", ClassRead},
	{"EXPIRE", "EXPIRE k 10", "1:w", ClassWrite},
	{"XADD", "XADD s * f v", "1:w", ClassWrite},
	{"LCS", "LCS a b", "1:r 2:r", ClassRead},
	{"SUNIONSTORE", "SUNIONSTORE dst a b", "1:w 2:r 3:r", ClassWrite},
	{"COPY", "COPY src dst", "1:r 2:w", ClassWrite},
	{"COPY DB REPLACE", "COPY src dst DB 1 REPLACE", "1:r 2:w", ClassWrite},
	{"SMOVE", "SMOVE src dst m", "1:w 2:w", ClassWrite},
	{"LMOVE", "LMOVE src dst LEFT RIGHT", "1:w 2:w", ClassWrite},
	{"BLMOVE", "BLMOVE src dst LEFT RIGHT 0", "1:w 2:w", ClassWrite},
	{"RENAME", "RENAME a b", "1:w 2:w", ClassWrite},
	{"RENAMENX", "RENAMENX a b", "1:w 2:w", ClassWrite},
	{"GETDEL", "GETDEL k", "1:w", ClassWrite},
	{"GETEX", "GETEX k EX 10", "1:w", ClassWrite},
	{"GETEX alone", "GETEX k", "1:w", ClassWrite},
	{"BITOP", "BITOP AND dest k1 k2", "2:w 3:r 4:r", ClassWrite},
	{"BITCOUNT", "BITCOUNT k 0 -1", "1:r", ClassRead},
	// PFCOUNT is a readonly command whose keys are RW: it caches the
	// cardinality in the key and tells the server the key changed.
	{"PFCOUNT", "PFCOUNT k1 k2", "1:w 2:w", ClassRead},
	{"PFADD", "PFADD h a b", "1:w", ClassWrite},
	{"BITFIELD GET only reads", "BITFIELD k GET u8 0 OVERFLOW SAT GET i4 2", "1:r", ClassWrite},
	{"BITFIELD SET writes", "BITFIELD k GET u8 0 SET u8 0 1", "1:w", ClassWrite},
	{"BITFIELD INCRBY writes", "BITFIELD k INCRBY u8 0 1", "1:w", ClassWrite},
	{"BITFIELD syntax error counts as write", "BITFIELD k GET u8", "1:w", ClassWrite},
	{"BITFIELD_RO", "BITFIELD_RO k GET u8 0", "1:r", ClassRead},

	// Blocking commands.
	{"BLPOP", "BLPOP a b 0", "1:w 2:w", ClassWrite},
	{"BRPOPLPUSH", "BRPOPLPUSH src dst 0", "1:w 2:w", ClassWrite},
	{"BZPOPMIN", "BZPOPMIN a b 0", "1:w 2:w", ClassWrite},
	{"XREAD BLOCK", "XREAD COUNT 10 BLOCK 0 STREAMS s1 s2 0 0", "6:r 7:r", ClassRead},
	{"BLMPOP", "BLMPOP 0 2 a b LEFT COUNT 2", "3:w 4:w", ClassWrite},
	{"BZMPOP", "BZMPOP 1.5 2 a b MAX", "3:w 4:w", ClassWrite},

	// Transactions: WATCH reads its keys; the rest have none.
	{"MULTI", "MULTI", "", ClassOther},
	{"EXEC", "EXEC", "", ClassOther},
	{"DISCARD", "DISCARD", "", ClassOther},
	{"WATCH", "WATCH a b", "1:r 2:r", ClassOther},
	{"UNWATCH", "UNWATCH", "", ClassOther},

	// Scripts and functions: numkeys.
	{"EVAL", "EVAL return 2 k1 k2 a1", "3:w 4:w", ClassWrite},
	{"EVAL no keys", "EVAL return 0 a1", "", ClassWrite},
	{"EVAL numkeys negative", "EVAL return -1 k", "", ClassWrite},
	{"EVAL numkeys too large", "EVAL return 5 k", "", ClassWrite},
	{"EVAL numkeys huge", "EVAL return 99999999999999999999999 k", "", ClassWrite},
	{"EVAL numkeys not a number", "EVAL return x k", "", ClassWrite},
	{"EVALSHA", "EVALSHA abc 1 k", "3:w", ClassWrite},
	{"EVAL_RO", "EVAL_RO return 1 k", "3:r", ClassRead},
	{"EVALSHA_RO", "EVALSHA_RO abc 2 k j", "3:r 4:r", ClassRead},
	{"FCALL", "FCALL fn 2 a b x", "3:w 4:w", ClassWrite},
	{"FCALL_RO", "FCALL_RO fn 1 a", "3:r", ClassRead},
	{"FUNCTION LOAD", "FUNCTION LOAD code", "", ClassWrite},
	{"FUNCTION LIST", "FUNCTION LIST", "", ClassOther},
	{"SCRIPT LOAD", "SCRIPT LOAD return", "", ClassOther},

	// SORT: the key is read, the last STORE destination written.
	{"SORT", "SORT k", "1:r", ClassWrite},
	{"SORT STORE", "SORT k STORE dst", "1:r 3:w", ClassWrite},
	{"SORT all options", "SORT k BY w_* LIMIT 0 10 GET o_* GET # DESC ALPHA STORE dst", "1:r 14:w", ClassWrite},
	{"SORT last STORE wins", "SORT k STORE d1 STORE d2", "1:r 5:w", ClassWrite},
	{"SORT STORE as a GET pattern", "SORT k GET STORE", "1:r", ClassWrite},
	{"SORT STORE without destination", "SORT k STORE", "1:r", ClassWrite},
	{"SORT LIMIT skips its numbers", "SORT k LIMIT STORE x", "1:r", ClassWrite},
	{"SORT_RO", "SORT_RO k BY w_* GET o_*", "1:r", ClassRead},

	// MIGRATE: the key, or with KEYS the keys after it.
	{"MIGRATE one key", "MIGRATE host 6379 k 0 1000", "3:w", ClassWrite},
	{"MIGRATE KEYS", "MIGRATE host 6379 '' 0 1000 COPY REPLACE KEYS a b c", "9:w 10:w 11:w", ClassWrite},
	{"MIGRATE AUTH KEYS", "MIGRATE host 6379 '' 0 1000 AUTH keys KEYS a b", "9:w 10:w", ClassWrite},
	{"MIGRATE AUTH2 KEYS", "MIGRATE host 6379 '' 0 1000 AUTH2 keys keys KEYS a", "10:w", ClassWrite},
	{"MIGRATE KEYS with a key", "MIGRATE host 6379 k 0 1000 KEYS a b", "", ClassWrite},

	// XREAD and XREADGROUP: keys follow STREAMS, half of what remains.
	{"XREAD", "XREAD STREAMS s 0", "2:r", ClassRead},
	{"XREAD key named streams", "XREAD STREAMS streams 0", "2:r", ClassRead},
	{"XREAD odd ids", "XREAD STREAMS a b 0", "2:r", ClassRead},
	{"XREAD no STREAMS", "XREAD COUNT 1 s 0", "", ClassRead},
	{"XREADGROUP", "XREADGROUP GROUP g c COUNT 1 NOACK STREAMS s1 s2 > >", "8:r 9:r", ClassWrite},
	{"XREADGROUP group and consumer named streams", "XREADGROUP GROUP streams streams STREAMS s 0", "5:r", ClassWrite},

	// Sorted-set algebra: numkeys, and a destination for the STORE forms.
	{"ZUNION", "ZUNION 2 a b WEIGHTS 1 2", "2:r 3:r", ClassRead},
	{"ZINTER", "ZINTER 3 a b c", "2:r 3:r 4:r", ClassRead},
	{"ZDIFF", "ZDIFF 2 a b WITHSCORES", "2:r 3:r", ClassRead},
	{"ZUNION numkeys zero", "ZUNION 0 a", "", ClassRead},
	{"ZUNIONSTORE", "ZUNIONSTORE dst 2 a b", "1:w 3:r 4:r", ClassWrite},
	{"ZINTERSTORE", "ZINTERSTORE dst 2 a b AGGREGATE MAX", "1:w 3:r 4:r", ClassWrite},
	{"ZDIFFSTORE", "ZDIFFSTORE dst 1 a", "1:w 3:r", ClassWrite},
	{"ZINTERCARD", "ZINTERCARD 2 a b LIMIT 1", "2:r 3:r", ClassRead},
	{"SINTERCARD", "SINTERCARD 2 a b LIMIT 1", "2:r 3:r", ClassRead},
	{"LMPOP", "LMPOP 2 a b LEFT", "2:w 3:w", ClassWrite},
	{"ZMPOP", "ZMPOP 1 z MIN", "2:w", ClassWrite},

	// GEO: STORE and STOREDIST destinations.
	{"GEORADIUS", "GEORADIUS g 0 0 10 km", "1:r", ClassWrite},
	{"GEORADIUS STORE", "GEORADIUS g 0 0 10 km STORE dst", "1:r 7:w", ClassWrite},
	{"GEORADIUS STOREDIST", "GEORADIUS g 0 0 10 km COUNT 3 STOREDIST dst", "1:r 9:w", ClassWrite},
	{"GEORADIUSBYMEMBER STORE", "GEORADIUSBYMEMBER g m 10 km STORE d", "1:r 6:w", ClassWrite},
	{"GEORADIUS_RO", "GEORADIUS_RO g 0 0 10 km", "1:r", ClassRead},
	{"GEOSEARCHSTORE", "GEOSEARCHSTORE dst src FROMMEMBER m BYRADIUS 1 km", "1:w 2:r", ClassWrite},

	// Container commands: the subcommand decides.
	{"OBJECT FREQ", "OBJECT FREQ k", "2:r", ClassRead},
	{"OBJECT ENCODING", "OBJECT ENCODING k", "2:r", ClassRead},
	{"object freq lowercase", "object freq k", "2:r", ClassRead},
	{"OBJECT HELP", "OBJECT HELP", "", ClassOther},
	{"OBJECT alone", "OBJECT", "", ClassOther},
	{"OBJECT unknown subcommand", "OBJECT NOSUCH k", "", ClassUnknown},
	{"MEMORY USAGE", "MEMORY USAGE k SAMPLES 5", "2:r", ClassRead},
	{"MEMORY STATS", "MEMORY STATS", "", ClassOther},
	{"XINFO STREAM", "XINFO STREAM s FULL", "2:r", ClassRead},
	{"XINFO GROUPS", "XINFO GROUPS s", "2:r", ClassRead},
	{"XGROUP CREATE", "XGROUP CREATE s g $ MKSTREAM", "2:w", ClassWrite},
	{"CLIENT LIST", "CLIENT LIST", "", ClassAdmin},
	{"CLIENT KILL", "CLIENT KILL ID 1", "", ClassAdmin},
	{"CLIENT SETNAME", "CLIENT SETNAME x", "", ClassOther},
	{"COMMAND GETKEYS has no keys itself", "COMMAND GETKEYS GET k", "", ClassOther},
	{"CONFIG SET", "CONFIG SET maxmemory 1", "", ClassAdmin},

	// Keyless and administrative commands.
	{"DEBUG", "DEBUG OBJECT k", "", ClassAdmin},
	{"PING", "PING", "", ClassOther},
	{"FLUSHALL", "FLUSHALL", "", ClassWrite},
	{"PUBLISH", "PUBLISH ch msg", "", ClassOther},
	{"SPUBLISH channel is not a key", "SPUBLISH ch msg", "", ClassOther},
	{"SSUBSCRIBE", "SSUBSCRIBE a b", "", ClassOther},
	{"MONITOR", "MONITOR", "", ClassAdmin},

	// Lines the server would refuse: no keys, no panic.
	{"unknown command", "NOSUCH a b", "", ClassUnknown},
	{"GET too few arguments", "GET", "", ClassRead},
	{"GET too many arguments", "GET a b", "", ClassRead},
	{"MSET odd pairs", "MSET a 1 b", "1:w 3:w", ClassWrite},
	{"empty line", "", "", ClassUnknown},
}

func TestKeys(t *testing.T) {
	tab := Builtin()
	for _, tc := range keyCases {
		t.Run(tc.name, func(t *testing.T) {
			args := line(tc.line)
			if got := keyString(tab.Keys(args, nil)); got != tc.want {
				t.Errorf("Keys(%q) = %q; want %q", tc.line, got, tc.want)
			}
			if got := tab.Find(args).Class(); got != tc.class {
				t.Errorf("Find(%q).Class() = %v; want %v", tc.line, got, tc.class)
			}
			anyArgs := make([]any, len(args))
			for i, a := range args {
				anyArgs[i] = a
			}
			if got := keyString(tab.KeysAny(anyArgs, nil)); got != tc.want {
				t.Errorf("KeysAny(%q) = %q; want %q", tc.line, got, tc.want)
			}
			for i, a := range args {
				anyArgs[i] = []byte(a)
			}
			if got := keyString(tab.KeysAny(anyArgs, nil)); got != tc.want {
				t.Errorf("KeysAny(%q as []byte) = %q; want %q", tc.line, got, tc.want)
			}
		})
	}
}

// TestKeysFlags checks the key spec flags reported with the keys, which
// the near cache and the MONITOR report use to tell overwrites from updates.
func TestKeysFlags(t *testing.T) {
	tab := Builtin()
	tests := []struct {
		line string
		want string // flags of each key, space separated
	}{
		{"GET k", "RO|access"},
		{"SET k v", "OW|update"},
		{"SET k v GET", "RW|access|update"},
		{"COPY a b", "RO|access OW|update"},
		{"RENAME a b", "RW|access|delete OW|update"},
		{"LMOVE a b LEFT LEFT", "RW|access|delete RW|insert"},
		{"DEL a", "RM|delete"},
		{"SORT k STORE d", "RO|access OW|update"},
		{"EVAL s 1 k", "RW|access|update"},
		{"MIGRATE h 1 '' 0 0 KEYS a", "RW|access|delete"},
	}
	for _, tc := range tests {
		var got []string
		for _, k := range tab.Keys(line(tc.line), nil) {
			got = append(got, k.Flags.String())
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("Keys(%q) flags = %q; want %q", tc.line, g, tc.want)
		}
	}
}

// TestKeysAnyTypes checks the go-redis argument types: numkeys as Go
// numbers, keywords as []byte, nil and pointers.
func TestKeysAnyTypes(t *testing.T) {
	tab := Builtin()
	two := "2"
	tests := []struct {
		name string
		args []any
		want string
	}{
		{"numkeys int", []any{"eval", "return", 2, "a", "b"}, "3:w 4:w"},
		{"numkeys int64", []any{"evalsha", "abc", int64(1), "a"}, "3:w"},
		{"numkeys uint8", []any{"zunion", uint8(2), "a", "b"}, "2:r 3:r"},
		{"numkeys float64 integral", []any{"fcall", "fn", 1.0, "a"}, "3:w"},
		{"numkeys float64 fraction", []any{"fcall", "fn", 1.5, "a"}, ""},
		{"numkeys negative zero", []any{"fcall", "fn", negZero(), "a"}, ""},
		{"numkeys uint64 beyond int64", []any{"zunion", uint64(1) << 63, "a"}, ""},
		{"numkeys bool", []any{"eval", "s", true, "a"}, "3:w"},
		{"numkeys *string", []any{"eval", "s", &two, "a", "b"}, "3:w 4:w"},
		{"numkeys []byte", []any{"lmpop", []byte("1"), "a", "left"}, "2:w"},
		{"numkeys negative int", []any{"eval", "s", -1, "a"}, ""},
		{"name []byte", []any{[]byte("GET"), "k"}, "1:r"},
		{"name and sub []byte", []any{[]byte("Object"), []byte("FREQ"), "k"}, "2:r"},
		{"name not text", []any{42, "k"}, ""},
		{"name nil", []any{nil, "k"}, ""},
		{"keyword []byte", []any{"xread", []byte("streams"), "s", "0"}, "2:r"},
		{"keyword *string", []any{"sort", "k", ptr("store"), "d"}, "1:r 3:w"},
		{"number never a keyword", []any{"sort", "k", 7, "d"}, "1:r"},
		{"migrate nil key", []any{"migrate", "h", 1, nil, 0, 10, "keys", "a"}, "7:w"},
		{"migrate int key", []any{"migrate", "h", 1, 5, 0, 10, "keys", "a"}, ""},
		{"set get []byte", []any{"set", "k", "v", []byte("GET")}, "1:w"},
		{"key values of any type", []any{"mget", 1, 2.5, []byte("c")}, "1:r 2:r 3:r"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := keyString(tab.KeysAny(tc.args, nil)); got != tc.want {
				t.Errorf("KeysAny(%v) = %q; want %q", tc.args, got, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func negZero() float64 {
	z := 0.0
	return -z
}

func TestKeysReusesDst(t *testing.T) {
	tab := Builtin()
	dst := make([]Key, 0, 8)
	dst = tab.Keys(line("MGET a b c"), dst)
	dst = tab.Keys(line("GET x"), dst)
	if got := keyString(dst); got != "1:r" {
		t.Errorf("Keys after reuse = %q; want %q", got, "1:r")
	}
}

func TestNilAndZero(t *testing.T) {
	var nilTable *Table
	if got := nilTable.Keys(line("GET k"), nil); len(got) != 0 {
		t.Errorf("nil Table Keys = %v; want none", got)
	}
	if s := nilTable.Find(line("GET k")); s != nil {
		t.Errorf("nil Table Find = %v; want nil", s)
	}
	var zero Table
	if got := zero.KeysAny([]any{"get", "k"}, nil); len(got) != 0 {
		t.Errorf("zero Table KeysAny = %v; want none", got)
	}
	if _, ok := zero.Lookup("get"); ok {
		t.Errorf("zero Table Lookup(get) found a command")
	}
	var s *Spec
	if s.Class() != ClassUnknown || s.IsReadOnly() || s.IsWrite() || len(s.Keys(line("GET k"), nil)) != 0 {
		t.Errorf("nil Spec is not an unknown command without keys")
	}
}

func TestLookup(t *testing.T) {
	tab := Builtin()
	tests := []struct {
		name     string
		want     string // spec name, "" if not found
		readOnly bool
		class    Class
	}{
		{"get", "get", true, ClassRead},
		{"GET", "get", true, ClassRead},
		{"set", "set", false, ClassWrite},
		{"object|freq", "object|freq", true, ClassRead},
		{"OBJECT FREQ", "object|freq", true, ClassRead},
		{"object", "object", false, ClassOther},
		{"object|nosuch", "", false, ClassUnknown},
		{"nosuch", "", false, ClassUnknown},
		{"", "", false, ClassUnknown},
		{strings.Repeat("x", 200), "", false, ClassUnknown},
		{"eval", "eval", false, ClassWrite},
		{"eval_ro", "eval_ro", true, ClassRead},
		{"config|set", "config|set", false, ClassAdmin},
	}
	for _, tc := range tests {
		s, ok := tab.Lookup(tc.name)
		if ok != (tc.want != "") || (ok && s.Name != tc.want) {
			t.Errorf("Lookup(%q) = %v, %v; want %q", tc.name, s, ok, tc.want)
		}
		if got := tab.IsReadOnly(tc.name); got != tc.readOnly {
			t.Errorf("IsReadOnly(%q) = %v; want %v", tc.name, got, tc.readOnly)
		}
		if got := tab.Class(tc.name); got != tc.class {
			t.Errorf("Class(%q) = %v; want %v", tc.name, got, tc.class)
		}
	}
	obj, _ := tab.Lookup("object")
	if sub, ok := obj.Subcommand("FREQ"); !ok || sub.Name != "object|freq" {
		t.Errorf("object.Subcommand(FREQ) = %v, %v; want object|freq", sub, ok)
	}
}

// TestBuiltinComplete checks the generated table: every command of Redis
// 7.0, and every key spec Redis cannot apply alone backed by the command's
// own key-finding code, as in Redis.
func TestBuiltinComplete(t *testing.T) {
	tab := Builtin()
	if tab.Len() < 200 {
		t.Fatalf("Builtin().Len() = %d; want the ~240 commands of Redis 7.0", tab.Len())
	}
	for _, name := range []string{"get", "set", "client|list", "xinfo|stream", "memory|usage", "function|load", "lmpop", "zintercard", "spublish"} {
		if _, ok := tab.Lookup(name); !ok {
			t.Errorf("Builtin().Lookup(%q) found nothing", name)
		}
	}
	var check func(s *Spec)
	check = func(s *Spec) {
		for _, ks := range s.KeySpecs {
			needsCode := !ks.complete() || ks.Flags&KeyVariableFlags != 0
			if needsCode && ks.Flags&KeyNotKey == 0 && s.getkeys == gkNone {
				t.Errorf("%s: key spec %v needs key-finding code and has none", s.Name, ks)
			}
		}
		if s.Flags&FlagMovableKeys != 0 && s.getkeys == gkNone {
			t.Errorf("%s: movablekeys but no key-finding code", s.Name)
		}
		for i := range s.Subcommands {
			check(&s.Subcommands[i])
		}
	}
	for s := range tab.All() {
		check(s)
	}
}

func TestNewCopiesAndOverrides(t *testing.T) {
	specs := []Spec{
		{Name: "MyGet", Arity: 2, Flags: FlagReadonly, KeySpecs: []KeySpec{{
			Flags:       KeyRO | KeyAccess,
			BeginSearch: BeginSearch{Type: SearchIndex, Index: 1},
			FindKeys:    FindKeys{Type: FindRange, KeyStep: 1},
		}}},
		{Name: "myget", Arity: 3, Flags: FlagWrite, KeySpecs: []KeySpec{{
			Flags:       KeyOW,
			BeginSearch: BeginSearch{Type: SearchIndex, Index: 2},
			FindKeys:    FindKeys{Type: FindRange, KeyStep: 1},
		}}},
	}
	tab := New(specs)
	specs[1].KeySpecs[0].BeginSearch.Index = 1 // must not reach the table
	if got := keyString(tab.Keys(line("MYGET a b"), nil)); got != "2:w" {
		t.Errorf("Keys(MYGET a b) = %q; want %q (the later spec, copied)", got, "2:w")
	}
	if tab.Len() != 1 {
		t.Errorf("Len() = %d; want 1", tab.Len())
	}
}

// TestModuleLikeSpecs covers specs only a module or a future server would
// give: keyword searches backwards, limits, unknown and malformed specs
// without key-finding code.
func TestModuleLikeSpecs(t *testing.T) {
	idx := func(i int) BeginSearch { return BeginSearch{Type: SearchIndex, Index: i} }
	rng := func(last, step, limit int) FindKeys {
		return FindKeys{Type: FindRange, LastKey: last, KeyStep: step, Limit: limit}
	}
	tab := New([]Spec{
		{Name: "m.back", Arity: -2, Flags: FlagModule | FlagWrite, KeySpecs: []KeySpec{
			{Flags: KeyRW, BeginSearch: BeginSearch{Type: SearchKeyword, Keyword: "INTO", StartFrom: -1}, FindKeys: rng(0, 1, 0)},
		}},
		{Name: "m.partial", Arity: -2, Flags: FlagModule | FlagWrite | FlagMovableKeys, KeySpecs: []KeySpec{
			{Flags: KeyRO, BeginSearch: idx(1), FindKeys: rng(0, 1, 0)},
			{Flags: KeyRW, BeginSearch: BeginSearch{Type: SearchUnknown}, FindKeys: FindKeys{Type: FindUnknown}},
			{Flags: KeyOW | KeyIncomplete, BeginSearch: BeginSearch{Type: SearchKeyword, Keyword: "TO", StartFrom: 2}, FindKeys: rng(0, 1, 0)},
		}},
		{Name: "m.limit", Arity: -2, Flags: FlagModule | FlagReadonly, KeySpecs: []KeySpec{
			{Flags: KeyRO, BeginSearch: idx(1), FindKeys: rng(-1, 1, 3)},
		}},
		{Name: "m.noflags", Arity: -2, Flags: FlagModule, KeySpecs: []KeySpec{
			{BeginSearch: idx(1), FindKeys: rng(-1, 2, 0)},
		}},
		{Name: "m.bad", Arity: -1, Flags: FlagModule, KeySpecs: []KeySpec{
			{Flags: KeyRO, BeginSearch: idx(-3), FindKeys: rng(0, 1, 0)},
			{Flags: KeyRO, BeginSearch: idx(1), FindKeys: rng(0, 0, 0)},
			{Flags: KeyRO, BeginSearch: idx(1), FindKeys: FindKeys{Type: FindKeyNum, KeyNumIdx: -5, FirstKey: 1, KeyStep: 1}},
			{Flags: KeyRO, BeginSearch: idx(1 << 40), FindKeys: rng(1<<40, 1, 0)},
		}},
		{Name: "m.bigstep", Arity: -1, Flags: FlagModule, KeySpecs: []KeySpec{
			{Flags: KeyRO, BeginSearch: idx(1), FindKeys: rng(-1, math.MaxInt, 0)},
		}},
	})
	tests := []struct{ line, want string }{
		{"m.back a INTO b INTO c", "5:w"},
		{"m.back INTO", ""},
		{"m.back INTO a", ""}, // Redis stops before index 1
		{"m.partial a TO b", "1:r 3:w"},
		{"m.partial a", "1:r"},
		{"m.limit a b c x y z", "1:r 2:r"},
		{"m.noflags a 1 b 2", "1:w 3:w"},
		{"m.bad a b c", ""},
		{"m.bad", ""},
		{"m.bigstep a b c", "1:r"},
	}
	for _, tc := range tests {
		if got := keyString(tab.Keys(line(tc.line), nil)); got != tc.want {
			t.Errorf("Keys(%q) = %q; want %q", tc.line, got, tc.want)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	tests := []struct {
		in       string
		strict   int64
		strictOK bool
		atoi     int64
	}{
		{"0", 0, true, 0},
		{"1", 1, true, 1},
		{"-1", -1, true, -1},
		{"01", 0, false, 1},
		{"-0", 0, false, 0},
		{"+1", 0, false, 1},
		{" 3", 0, false, 3},
		{"3x", 0, false, 3},
		{"", 0, false, 0},
		{"9223372036854775807", 9223372036854775807, true, -1},
		{"-9223372036854775808", -9223372036854775808, true, 0},
		{"9223372036854775808", 0, false, -1},
		{"4294967297", 4294967297, true, 1},
		{"99999999999999999999999", 0, false, -1},
	}
	for _, tc := range tests {
		n, ok := parseInt(tc.in)
		if n != tc.strict || ok != tc.strictOK {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.strict, tc.strictOK)
		}
		if got := atoi(tc.in); got != tc.atoi {
			t.Errorf("atoi(%q) = %d; want %d", tc.in, got, tc.atoi)
		}
		if got := atoi([]byte(tc.in)); got != tc.atoi {
			t.Errorf("atoi([]byte(%q)) = %d; want %d", tc.in, got, tc.atoi)
		}
	}
}

func TestStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{(FlagWrite | FlagDenyOOM).String(), "write|denyoom"},
		{(KeyRW | KeyAccess | KeyDelete).String(), "RW|access|delete"},
		{(CatRead | CatString).String(), "read|string"},
		{Read.String(), "read"},
		{Write.String(), "write"},
		{ClassAdmin.String(), "admin"},
		{Key{Pos: 2, Access: Write}.String(), "2:write"},
		{KeySpec{Flags: KeyRO, BeginSearch: BeginSearch{Type: SearchKeyword, Keyword: "STREAMS", StartFrom: 1}, FindKeys: FindKeys{Type: FindRange, LastKey: -1, KeyStep: 1, Limit: 2}}.String(),
			`RO keyword("STREAMS",1) range(-1,1,2)`},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("String() = %q; want %q", tc.got, tc.want)
		}
	}
}
