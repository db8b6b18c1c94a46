package nearcache

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestReadValue(t *testing.T) {
	str := func(s string) Value { return Value{Kind: KindString, Str: s} }
	tests := []struct {
		name string
		in   string
		want Value
	}{
		{"simple string", "+OK\r\n", str("OK")},
		{"blob string", "$5\r\nhello\r\n", str("hello")},
		{"empty blob", "$0\r\n\r\n", str("")},
		{"binary blob", "$4\r\na\r\nb\r\n", str("a\r\nb")},
		{"simple error", "-ERR bad\r\n", Value{Kind: KindError, Str: "ERR bad"}},
		{"blob error", "!9\r\nERR bad x\r\n", Value{Kind: KindError, Str: "ERR bad x"}},
		{"integer", ":-42\r\n", Value{Kind: KindInt, Int: -42}},
		{"max integer", ":9223372036854775807\r\n", Value{Kind: KindInt, Int: math.MaxInt64}},
		{"min integer", ":-9223372036854775808\r\n", Value{Kind: KindInt, Int: math.MinInt64}},
		{"null", "_\r\n", Value{Kind: KindNull}},
		{"resp2 null blob", "$-1\r\n", Value{Kind: KindNull}},
		{"resp2 null array", "*-1\r\n", Value{Kind: KindNull}},
		{"double", ",1.5\r\n", Value{Kind: KindDouble, Str: "1.5", Float: 1.5}},
		{"double exponent", ",1e+30\r\n", Value{Kind: KindDouble, Str: "1e+30", Float: 1e30}},
		{"double inf", ",inf\r\n", Value{Kind: KindDouble, Str: "inf", Float: math.Inf(1)}},
		{"double -inf", ",-inf\r\n", Value{Kind: KindDouble, Str: "-inf", Float: math.Inf(-1)}},
		{"true", "#t\r\n", Value{Kind: KindBool, Int: 1}},
		{"false", "#f\r\n", Value{Kind: KindBool}},
		{"big number", "(3492890328409238509324850943850943825024385\r\n", Value{Kind: KindBigNumber, Str: "3492890328409238509324850943850943825024385"}},
		{"verbatim", "=15\r\ntxt:Some string\r\n", Value{Kind: KindString, Format: "txt", Str: "Some string"}},
		{"array", "*2\r\n$1\r\na\r\n:1\r\n", Value{Kind: KindArray, Elems: []Value{str("a"), {Kind: KindInt, Int: 1}}}},
		{"empty array", "*0\r\n", Value{Kind: KindArray, Elems: []Value{}}},
		{"array with null", "*2\r\n_\r\n$1\r\nb\r\n", Value{Kind: KindArray, Elems: []Value{{Kind: KindNull}, str("b")}}},
		{"map", "%1\r\n+f\r\n$1\r\nv\r\n", Value{Kind: KindMap, Elems: []Value{str("f"), str("v")}}},
		{"set", "~2\r\n+a\r\n+b\r\n", Value{Kind: KindSet, Elems: []Value{str("a"), str("b")}}},
		{"push", ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n", Value{Kind: KindPush, Elems: []Value{str("invalidate"), {Kind: KindArray, Elems: []Value{str("k")}}}}},
		{"push null", ">2\r\n$10\r\ninvalidate\r\n_\r\n", Value{Kind: KindPush, Elems: []Value{str("invalidate"), {Kind: KindNull}}}},
		{"nested", "*1\r\n*1\r\n%0\r\n", Value{Kind: KindArray, Elems: []Value{{Kind: KindArray, Elems: []Value{{Kind: KindMap, Elems: []Value{}}}}}}},
		{"attribute skipped", "|1\r\n+key-popularity\r\n%0\r\n:7\r\n", Value{Kind: KindInt, Int: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newReader(strings.NewReader(tt.in)).read()
			if err != nil {
				t.Fatalf("read(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("read(%q) = %+v; want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestReadValueErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"unknown type", "?x\r\n", ErrProtocol},
		{"no CRLF", "+OK\n", ErrProtocol},
		{"empty line", "\r\n", ErrProtocol},
		{"bad integer", ":12a\r\n", ErrProtocol},
		{"integer overflow", ":9223372036854775808\r\n", ErrProtocol},
		{"bad double", ",0x1p3\r\n", ErrProtocol},
		{"bad boolean", "#x\r\n", ErrProtocol},
		{"bad big number", "(12x\r\n", ErrProtocol},
		{"negative length", "$-2\r\n", ErrProtocol},
		{"streamed string", "$?\r\n", ErrProtocol},
		{"blob without CRLF", "$1\r\nabcd", ErrProtocol},
		{"null map", "%-1\r\n", ErrProtocol},
		{"verbatim without format", "=2\r\nab\r\n", ErrProtocol},
		{"truncated blob", "$10\r\nabc", io.ErrUnexpectedEOF},
		{"truncated array", "*2\r\n:1\r\n", io.EOF},
		{"huge length, no bytes", "$536870912\r\n", io.ErrUnexpectedEOF},
		{"too deep", strings.Repeat("*1\r\n", maxDepth+2) + ":1\r\n", ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newReader(strings.NewReader(tt.in)).read()
			if !errors.Is(err, tt.want) {
				t.Errorf("read(%q) error = %v; want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestReadSequence(t *testing.T) {
	in := ">2\r\n$10\r\ninvalidate\r\n_\r\n+OK\r\n$3\r\nabc\r\n:5\r\n"
	r := newReader(strings.NewReader(in))
	var kinds []Kind
	for {
		v, err := r.read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, v.Kind)
	}
	want := []Kind{KindPush, KindString, KindString, KindInt}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds = %v; want %v", kinds, want)
	}
}

func TestLongSimpleString(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	if _, err := newReader(strings.NewReader("+" + long + "\r\n")).read(); !errors.Is(err, ErrProtocol) {
		t.Errorf("a 100 KiB simple string: error %v; want ErrProtocol", err)
	}
	mid := strings.Repeat("y", 40<<10)
	v, err := newReader(strings.NewReader("-" + mid + "\r\n")).read()
	if err != nil || v.Str != mid {
		t.Errorf("a 40 KiB error: %v, %d bytes", err, len(v.Str))
	}
	big := strings.Repeat("z", 200<<10)
	v, err = newReader(strings.NewReader("$" + itoa(len(big)) + "\r\n" + big + "\r\n")).read()
	if err != nil || v.Str != big {
		t.Errorf("a 200 KiB blob: %v, %d bytes", err, len(v.Str))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestAppendCommand(t *testing.T) {
	got := string(appendCommand(nil, "GET", "a\r\nb", ""))
	want := "*3\r\n$3\r\nGET\r\n$4\r\na\r\nb\r\n$0\r\n\r\n"
	if got != want {
		t.Errorf("appendCommand = %q; want %q", got, want)
	}
}

// FuzzReader checks that the reader never panics on arbitrary input and
// that whatever it decodes encodes back to bytes it decodes the same way.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"+OK\r\n", "$5\r\nhello\r\n", ":1\r\n", "_\r\n", ",1.5\r\n", "#t\r\n",
		"(123\r\n", "=7\r\ntxt:abc\r\n", "*2\r\n+a\r\n:1\r\n", "%1\r\n+k\r\n+v\r\n",
		"~1\r\n+a\r\n", ">2\r\n$10\r\ninvalidate\r\n*1\r\n+k\r\n", "|1\r\n+a\r\n+b\r\n:1\r\n",
		"!3\r\nERR\r\n", "$-1\r\n", "*-1\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newReader(bytes.NewReader(data))
		for range 16 {
			v, err := r.read()
			if err != nil {
				return
			}
			enc := appendValue(nil, &v)
			back, err := newReader(bytes.NewReader(enc)).read()
			if err != nil {
				t.Fatalf("re-reading %q (from %+v): %v", enc, v, err)
			}
			if !sameValue(&v, &back) {
				t.Fatalf("round trip changed %+v into %+v", v, back)
			}
		}
	})
}

// sameValue compares values, treating NaN doubles as equal and nil and
// empty element lists alike.
func sameValue(a, b *Value) bool {
	if a.Kind != b.Kind || a.Str != b.Str || a.Format != b.Format || a.Int != b.Int || len(a.Elems) != len(b.Elems) {
		return false
	}
	if a.Float != b.Float && !(math.IsNaN(a.Float) && math.IsNaN(b.Float)) {
		return false
	}
	for i := range a.Elems {
		if !sameValue(&a.Elems[i], &b.Elems[i]) {
			return false
		}
	}
	return true
}
