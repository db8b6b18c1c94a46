package command

import (
	"slices"
	"strings"
	"testing"
)

// FuzzKeys feeds arbitrary command lines, split on spaces, to the builtin
// table and to a table with one arbitrary key spec (as a module could
// declare). Nothing may panic, every position must be an argument of the
// line, every access Read or Write, and the answer must not depend on the
// call or on the form of the arguments (strings, []byte, numbers).
func FuzzKeys(f *testing.F) {
	for _, tc := range keyCases {
		f.Add(tc.line, int8(1), int8(0), int8(0), int8(1), int8(0), int8(0), int8(1), false)
	}
	f.Add("m.x a INTO b c", int8(0), int8(-1), int8(0), int8(1), int8(0), int8(0), int8(0), false)
	f.Add("m.x 2 a b c", int8(1), int8(0), int8(0), int8(1), int8(0), int8(0), int8(1), true)
	f.Add("m.x a b c d", int8(1), int8(0), int8(-1), int8(1), int8(2), int8(0), int8(0), false)
	f.Add("EVAL s 4294967297 k", int8(1), int8(0), int8(0), int8(1), int8(0), int8(0), int8(1), false)
	f.Add("EVAL s -2147483648 k", int8(1), int8(0), int8(0), int8(1), int8(0), int8(0), int8(1), false)
	f.Add("zunion 99999999999999999999 a", int8(1), int8(0), int8(0), int8(1), int8(0), int8(0), int8(1), false)

	builtin := Builtin()
	f.Fuzz(func(t *testing.T, l string, index, startFrom, lastKey, step, limit, keyNumIdx int8, firstKey int8, keynum bool) {
		args := strings.Split(l, " ")

		ks := KeySpec{
			Flags:       KeyRW,
			BeginSearch: BeginSearch{Type: SearchIndex, Index: int(index)},
			FindKeys:    FindKeys{Type: FindRange, LastKey: int(lastKey), KeyStep: int(step), Limit: int(limit)},
		}
		if startFrom != 0 {
			ks.BeginSearch = BeginSearch{Type: SearchKeyword, Keyword: "INTO", StartFrom: int(startFrom)}
		}
		if keynum {
			ks.FindKeys = FindKeys{Type: FindKeyNum, KeyNumIdx: int(keyNumIdx), FirstKey: int(firstKey), KeyStep: int(step)}
		}
		odd := New([]Spec{{Name: "m.x", Arity: -1, Flags: FlagModule, KeySpecs: []KeySpec{ks, {Flags: KeyRO}}}})

		for _, tab := range []*Table{builtin, odd} {
			keys := tab.Keys(args, nil)
			for _, k := range keys {
				if k.Pos < 0 || k.Pos >= len(args) {
					t.Fatalf("Keys(%q) = %v: position %d out of range", args, keys, k.Pos)
				}
				if k.Access != Read && k.Access != Write {
					t.Fatalf("Keys(%q) = %v: access %v", args, keys, k.Access)
				}
			}
			if again := tab.Keys(args, make([]Key, 0, 3)); !slices.Equal(again, keys) {
				t.Fatalf("Keys(%q) = %v, then %v", args, keys, again)
			}
			_ = tab.Find(args).Class()

			strs := make([]any, len(args))
			raw := make([]any, len(args))
			nums := make([]any, len(args))
			for i, a := range args {
				strs[i], raw[i], nums[i] = a, []byte(a), a
				if n, ok := parseInt(a); ok && i > 0 {
					nums[i] = n
				}
			}
			for _, in := range [][]any{strs, raw, nums} {
				if got := tab.KeysAny(in, nil); !slices.Equal(got, keys) {
					t.Fatalf("KeysAny(%v) = %v; Keys(%q) = %v", in, got, args, keys)
				}
			}
		}
	})
}
