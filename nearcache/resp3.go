package nearcache

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Kind is the type of a reply, as RESP3 marks it with its first byte.
type Kind uint8

// The kinds of RESP3 values. Simple strings, blob strings and verbatim
// strings are all KindString; verbatim strings keep their three-letter
// format in Value.Format.
const (
	KindString    Kind = iota + 1 // + $ =
	KindError                     // - !
	KindInt                       // :
	KindNull                      // _ and the RESP2 nulls $-1 and *-1
	KindArray                     // *
	KindMap                       // %
	KindSet                       // ~
	KindPush                      // >
	KindDouble                    // ,
	KindBool                      // #
	KindBigNumber                 // (
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindError:
		return "error"
	case KindInt:
		return "integer"
	case KindNull:
		return "null"
	case KindArray:
		return "array"
	case KindMap:
		return "map"
	case KindSet:
		return "set"
	case KindPush:
		return "push"
	case KindDouble:
		return "double"
	case KindBool:
		return "boolean"
	case KindBigNumber:
		return "big number"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one decoded RESP3 (or RESP2) reply. Values held by the cache are
// shared between readers and must not be modified.
type Value struct {
	Kind Kind
	// Str is the text of a string, error, double or big number. A double
	// keeps the server's own text so that it can be handed to RESP2
	// callers unchanged.
	Str string
	// Format is the three-letter format of a verbatim string ("txt",
	// "mkd"); empty for every other value.
	Format string
	// Int is the value of an integer, 1 or 0 for a boolean.
	Int int64
	// Float is the value of a double.
	Float float64
	// Elems are the elements of an array, set or push, or the keys and
	// values of a map, alternating.
	Elems []Value
}

// Err returns the value as an error if it is one, else nil.
func (v *Value) Err() error {
	if v.Kind == KindError {
		return ReplyError(v.Str)
	}
	return nil
}

// size estimates the memory the value holds, in bytes.
func (v *Value) size() int {
	n := 64 + len(v.Str) + len(v.Format)
	for i := range v.Elems {
		n += v.Elems[i].size()
	}
	return n
}

// ReplyError is an error reply of the server, such as "WRONGTYPE Operation
// against a key holding the wrong kind of value".
type ReplyError string

func (e ReplyError) Error() string { return string(e) }

// ErrProtocol is returned (wrapped, with what was wrong) when a connection
// delivers bytes that are not RESP.
var ErrProtocol = errors.New("nearcache: protocol error")

// Limits of the reader: Redis's own proto-max-bulk-len default, and a
// nesting depth no reply of a real server comes near.
const (
	maxBulkLen  = 512 << 20
	maxAggLen   = 1 << 30
	maxDepth    = 64
	readChunk   = 64 << 10
	maxLineSize = 64 << 10
)

// reader decodes RESP3 values from a buffered stream. It is used by one
// goroutine at a time.
type reader struct {
	br  *bufio.Reader
	buf []byte
}

func newReader(r io.Reader) *reader {
	return &reader{br: bufio.NewReaderSize(r, 32<<10)}
}

// read decodes the next value. Attributes (|) that precede a value are read
// and dropped. Streamed strings and aggregates, which Redis never sends,
// are a protocol error.
func (r *reader) read() (Value, error) { return r.value(0) }

func protoErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)
}

func (r *reader) value(depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, protoErr("replies nested deeper than %d", maxDepth)
	}
	line, err := r.line()
	if err != nil {
		return Value{}, err
	}
	if len(line) == 0 {
		return Value{}, protoErr("empty line")
	}
	typ, rest := line[0], line[1:]
	switch typ {
	case '+':
		return Value{Kind: KindString, Str: string(rest)}, nil
	case '-':
		return Value{Kind: KindError, Str: string(rest)}, nil
	case ':':
		n, err := parseInt(rest)
		if err != nil {
			return Value{}, err
		}
		return Value{Kind: KindInt, Int: n}, nil
	case '_':
		if len(rest) != 0 {
			return Value{}, protoErr("null with payload %q", rest)
		}
		return Value{Kind: KindNull}, nil
	case ',':
		f, err := parseDouble(rest)
		if err != nil {
			return Value{}, err
		}
		return Value{Kind: KindDouble, Str: string(rest), Float: f}, nil
	case '#':
		switch string(rest) {
		case "t":
			return Value{Kind: KindBool, Int: 1}, nil
		case "f":
			return Value{Kind: KindBool}, nil
		}
		return Value{}, protoErr("boolean %q", rest)
	case '(':
		if !isBigNumber(rest) {
			return Value{}, protoErr("big number %q", rest)
		}
		return Value{Kind: KindBigNumber, Str: string(rest)}, nil
	case '$', '!', '=':
		n, err := r.length(rest, maxBulkLen, typ == '$')
		if err != nil {
			return Value{}, err
		}
		if n < 0 {
			return Value{Kind: KindNull}, nil
		}
		b, err := r.blob(n)
		if err != nil {
			return Value{}, err
		}
		switch typ {
		case '!':
			return Value{Kind: KindError, Str: string(b)}, nil
		case '=':
			if len(b) < 4 || b[3] != ':' {
				return Value{}, protoErr("verbatim string without format")
			}
			return Value{Kind: KindString, Format: string(b[:3]), Str: string(b[4:])}, nil
		}
		return Value{Kind: KindString, Str: string(b)}, nil
	case '*', '~', '>', '%', '|':
		n, err := r.length(rest, maxAggLen, typ == '*')
		if err != nil {
			return Value{}, err
		}
		if n < 0 {
			return Value{Kind: KindNull}, nil
		}
		if typ == '%' || typ == '|' {
			n *= 2
		}
		elems := make([]Value, 0, min(n, 1024))
		for range n {
			e, err := r.value(depth + 1)
			if err != nil {
				return Value{}, err
			}
			elems = append(elems, e)
		}
		switch typ {
		case '|':
			// An attribute annotates the value that follows it; the cache
			// has no use for it.
			return r.value(depth)
		case '*':
			return Value{Kind: KindArray, Elems: elems}, nil
		case '~':
			return Value{Kind: KindSet, Elems: elems}, nil
		case '>':
			return Value{Kind: KindPush, Elems: elems}, nil
		}
		return Value{Kind: KindMap, Elems: elems}, nil
	}
	return Value{}, protoErr("unknown type byte %q", typ)
}

// line returns the next line without its CRLF. The slice is valid until
// the next read.
func (r *reader) line() ([]byte, error) {
	b, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A line longer than the buffer: only simple strings and errors
		// can be, and Redis keeps those short.
		r.buf = append(r.buf[:0], b...)
		for err == bufio.ErrBufferFull && len(r.buf) < maxLineSize {
			b, err = r.br.ReadSlice('\n')
			r.buf = append(r.buf, b...)
		}
		if err == bufio.ErrBufferFull {
			return nil, protoErr("line longer than %d bytes", maxLineSize)
		}
		b = r.buf
	}
	if err != nil {
		if err == io.EOF && len(b) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(b) < 2 || b[len(b)-2] != '\r' {
		return nil, protoErr("line not terminated by CRLF")
	}
	return b[:len(b)-2], nil
}

// length parses the length of a blob or aggregate. With nullable, -1 is
// the RESP2 null and is returned as -1.
func (r *reader) length(b []byte, limit int, nullable bool) (int, error) {
	if len(b) == 1 && b[0] == '?' {
		return 0, protoErr("streamed replies are not supported")
	}
	n, err := parseInt(b)
	if err != nil {
		return 0, err
	}
	if n == -1 && nullable {
		return -1, nil
	}
	if n < 0 || n > int64(limit) {
		return 0, protoErr("length %d out of range", n)
	}
	return int(n), nil
}

// blob reads n bytes and the CRLF that follows them. The result is valid
// until the next read. It grows its buffer as the bytes arrive, so a
// length that the stream does not back costs no more memory than the
// bytes that did arrive.
func (r *reader) blob(n int) ([]byte, error) {
	r.buf = r.buf[:0]
	for len(r.buf) < n+2 {
		want := min(n+2-len(r.buf), readChunk)
		start := len(r.buf)
		r.buf = append(r.buf, make([]byte, want)...)
		if _, err := io.ReadFull(r.br, r.buf[start:]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	if r.buf[n] != '\r' || r.buf[n+1] != '\n' {
		return nil, protoErr("blob not terminated by CRLF")
	}
	return r.buf[:n], nil
}

// parseInt parses a RESP integer: an optional sign and decimal digits.
func parseInt(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, protoErr("integer %q", b)
	}
	neg := false
	i := 0
	switch b[0] {
	case '-':
		neg, i = true, 1
	case '+':
		i = 1
	}
	if i == len(b) {
		return 0, protoErr("integer %q", b)
	}
	var n uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, protoErr("integer %q", b)
		}
		d := uint64(c - '0')
		if n > (1<<63-d)/10 {
			return 0, protoErr("integer %q overflows", b)
		}
		n = n*10 + d
	}
	if neg {
		return -int64(n), nil
	}
	if n > 1<<63-1 {
		return 0, protoErr("integer %q overflows", b)
	}
	return int64(n), nil
}

// parseDouble parses a RESP3 double, including inf, -inf and nan.
func parseDouble(b []byte) (float64, error) {
	switch string(b) {
	case "inf", "+inf":
		return strconv.ParseFloat("+Inf", 64)
	case "-inf":
		return strconv.ParseFloat("-Inf", 64)
	case "nan", "-nan":
		return strconv.ParseFloat("NaN", 64)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || len(b) == 0 || !isDecimalFloat(b) {
		return 0, protoErr("double %q", b)
	}
	return f, nil
}

// isDecimalFloat rejects the spellings ParseFloat accepts that RESP does
// not: hexadecimal floats, underscores, "Inf", "NaN".
func isDecimalFloat(b []byte) bool {
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9', c == '.', c == 'e', c == 'E', c == '-', c == '+':
		default:
			return false
		}
	}
	return true
}

func isBigNumber(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// appendCommand appends args as a RESP array of blob strings, the form in
// which clients send commands.
func appendCommand(dst []byte, args ...string) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// appendValue appends v in RESP3. It is the inverse of reader.read, used by
// tests and the fuzz target.
func appendValue(dst []byte, v *Value) []byte {
	agg := func(typ byte, n int) []byte {
		dst = append(dst, typ)
		dst = strconv.AppendInt(dst, int64(n), 10)
		return append(dst, '\r', '\n')
	}
	switch v.Kind {
	case KindString:
		if v.Format != "" {
			dst = agg('=', len(v.Format)+1+len(v.Str))
			dst = append(dst, v.Format...)
			dst = append(dst, ':')
		} else {
			dst = agg('$', len(v.Str))
		}
		dst = append(dst, v.Str...)
		return append(dst, '\r', '\n')
	case KindError:
		dst = agg('!', len(v.Str))
		dst = append(dst, v.Str...)
		return append(dst, '\r', '\n')
	case KindInt:
		return agg(':', int(v.Int))
	case KindNull:
		return append(dst, '_', '\r', '\n')
	case KindDouble:
		dst = append(dst, ',')
		dst = append(dst, v.Str...)
		return append(dst, '\r', '\n')
	case KindBool:
		if v.Int != 0 {
			return append(dst, '#', 't', '\r', '\n')
		}
		return append(dst, '#', 'f', '\r', '\n')
	case KindBigNumber:
		dst = append(dst, '(')
		dst = append(dst, v.Str...)
		return append(dst, '\r', '\n')
	case KindArray, KindSet, KindPush, KindMap:
		n := len(v.Elems)
		typ := map[Kind]byte{KindArray: '*', KindSet: '~', KindPush: '>', KindMap: '%'}[v.Kind]
		if v.Kind == KindMap {
			n /= 2
		}
		dst = agg(typ, n)
		for i := range v.Elems[:n*(1+btoi(v.Kind == KindMap))] {
			dst = appendValue(dst, &v.Elems[i])
		}
		return dst
	}
	return dst
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
