package command

import (
	"math"
	"time"
)

// argv is the read-only view of a command line that key finding needs. It
// is implemented by strArgs (MONITOR lines, redis-cli style) and anyArgs
// (go-redis cmd.Args()); the key finders are generic over it so neither
// form is converted, which would allocate.
type argv interface {
	len() int
	// is reports whether argument i equals word, ignoring ASCII case as
	// Redis's strcasecmp does.
	is(i int, word string) bool
	// integer parses argument i as Redis's string2ll does: an optional
	// minus, no leading zeros, no spaces, within int64.
	integer(i int) (int64, bool)
	// atoi parses argument i as C's atoi does, which some of Redis's
	// key-finding code uses: leading space, a sign, digits up to the first
	// non-digit, the result truncated to a C int.
	atoi(i int) int64
	// empty reports whether argument i is the empty string.
	empty(i int) bool
	// find looks argument i up in ix as a command name.
	find(ix *index, i int) *Spec
}

// strArgs is a command line of strings.
type strArgs []string

func (a strArgs) len() int                    { return len(a) }
func (a strArgs) is(i int, word string) bool  { return foldEqual(a[i], word) }
func (a strArgs) integer(i int) (int64, bool) { return parseInt(a[i]) }
func (a strArgs) atoi(i int) int64            { return atoi(a[i]) }
func (a strArgs) empty(i int) bool            { return a[i] == "" }
func (a strArgs) find(ix *index, i int) *Spec { return ix.lookup(a[i]) }

// anyArgs is a go-redis argument list.
type anyArgs []any

func (a anyArgs) len() int { return len(a) }

func (a anyArgs) is(i int, word string) bool {
	switch v := a[i].(type) {
	case string:
		return foldEqual(v, word)
	case []byte:
		return foldEqual(v, word)
	case *string:
		return v != nil && foldEqual(*v, word)
	}
	return false // numbers and other values never spell a keyword
}

func (a anyArgs) integer(i int) (int64, bool) {
	switch v := a[i].(type) {
	case string:
		return parseInt(v)
	case []byte:
		return parseInt(v)
	case *string:
		if v == nil {
			return 0, false
		}
		return parseInt(*v)
	}
	return number(a[i])
}

func (a anyArgs) atoi(i int) int64 {
	switch v := a[i].(type) {
	case string:
		return atoi(v)
	case []byte:
		return atoi(v)
	case *string:
		if v == nil {
			return 0
		}
		return atoi(*v)
	}
	if n, ok := number(a[i]); ok {
		return int64(int32(n))
	}
	return 0
}

func (a anyArgs) empty(i int) bool {
	switch v := a[i].(type) {
	case nil:
		return true // go-redis writes nil as ""
	case string:
		return v == ""
	case []byte:
		return len(v) == 0
	case *string:
		return v == nil || *v == ""
	}
	return false
}

func (a anyArgs) find(ix *index, i int) *Spec {
	switch v := a[i].(type) {
	case string:
		return ix.lookup(v)
	case []byte:
		return ix.lookupBytes(v)
	case *string:
		if v != nil {
			return ix.lookup(*v)
		}
	}
	return nil
}

// number returns the integer go-redis writes for v, for the non-string
// types it supports, and false for values whose text is not an integer
// Redis's string2ll accepts (fractions, -0, integers beyond int64, times).
func number(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case uint:
		return unsigned(uint64(v))
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		return unsigned(v)
	case uintptr:
		return unsigned(uint64(v))
	case float32:
		return integral(float64(v))
	case float64:
		return integral(v)
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case time.Duration:
		return v.Nanoseconds(), true
	case *int:
		if v == nil {
			return 0, true
		}
		return int64(*v), true
	case *int64:
		if v == nil {
			return 0, true
		}
		return *v, true
	}
	return 0, false
}

func unsigned(u uint64) (int64, bool) {
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// integral reports the integer go-redis's float formatting ('f', -1)
// produces for f, if it is one string2ll accepts.
func integral(f float64) (int64, bool) {
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 || (f == 0 && math.Signbit(f)) {
		return 0, false
	}
	return int64(f), true
}

// text is the argument representations that are searched as text.
type text interface{ ~string | ~[]byte }

// parseInt parses s as Redis's string2ll does.
func parseInt[T text](s T) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := s[0] == '-'
	i := 0
	if neg {
		i = 1
	}
	if i == len(s) || s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var u uint64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return int64(-u), true // -(1<<63) wraps to itself, as intended
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// atoi parses s as glibc's atoi does: (int)strtol(s, NULL, 10).
func atoi[T text](s T) int64 {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var u uint64
	over := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if over || u > (math.MaxUint64-9)/10 {
			over = true
			continue
		}
		u = u*10 + uint64(s[i]-'0')
	}
	var l int64 // strtol saturates at LONG_MIN and LONG_MAX
	switch {
	case neg && (over || u > 1<<63):
		l = math.MinInt64
	case neg:
		l = int64(-u)
	case over || u > math.MaxInt64:
		l = math.MaxInt64
	default:
		l = int64(u)
	}
	return int64(int32(l)) // the cast to int keeps the low 32 bits
}

// foldEqual reports whether s equals word ignoring ASCII case.
func foldEqual[T text](s T, word string) bool {
	if len(s) != len(word) {
		return false
	}
	for i := 0; i < len(word); i++ {
		if lower(s[i]) != lower(word[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
