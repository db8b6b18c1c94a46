package workload

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// TraceError is returned by TraceReader.Read and ParseTrace for a line
// that cannot be parsed or read.
type TraceError struct {
	// Line is the 1-based number of the offending line.
	Line int
	// Err says what is wrong with it.
	Err error
}

// Error returns "workload: trace line N: <what is wrong>".
func (e *TraceError) Error() string {
	return fmt.Sprintf("workload: trace line %d: %v", e.Line, e.Err)
}

// Unwrap returns e.Err.
func (e *TraceError) Unwrap() error { return e.Err }

// timestampKind is the kind of timestamp a trace uses.
type timestampKind uint8

const (
	noTimestamps timestampKind = iota
	relativeTimestamps
	absoluteTimestamps
)

// TraceReader reads accesses from a trace, one line at a time.
//
// # Format
//
// A trace is text with one access per line:
//
//	[<timestamp>] <op> <key>
//
// Fields are separated by spaces or tabs. Blank lines and lines whose
// first non-blank character is '#' are ignored; lines may end in "\r\n".
//
// The timestamp, optional, is the access's stream time since the start of
// the trace, in one of two forms, and a trace uses one form throughout:
//
//   - seconds with at most nine fractional digits, like "12" or
//     "0.000125";
//   - an RFC 3339 time with optional fraction, like
//     "2025-05-01T12:00:00.000125Z", measured from the trace's first
//     timestamp, which no later one may precede.
//
// Timestamps need not increase. A line without one has the previous
// line's stream time, or 0 on the first line.
//
// The op is r, read or get for Read and w, write or set for Write, in any
// case.
//
// The key is the rest of the line after the blanks that follow the op,
// less trailing blanks. A key starting with '"' is instead a Go
// double-quoted string (strconv.Unquote syntax) and must be all that
// follows the op: that is how keys that are empty, start with '"', contain
// newlines, other control characters, blanks at either end or bytes that
// are not UTF-8 are written. WriteTrace quotes every key that needs it.
//
// For example:
//
//	# recorded 2025-05-01
//	0.000000 r user:42
//	0.000020 w counter:page:home
//	0.000041 GET "key with\nnewline"
type TraceReader struct {
	r    *bufio.Reader
	line int           // number of the last line read
	kind timestampKind // the kind of the trace's first timestamp
	base time.Time     // the first RFC 3339 timestamp
	at   time.Duration // stream time of the last access
	err  error         // sticky: once set, Read returns it
}

// NewTraceReader returns a TraceReader reading from r.
func NewTraceReader(r io.Reader) *TraceReader {
	return &TraceReader{r: bufio.NewReader(r)}
}

// Read returns the next access of the trace. At the end of the trace it
// returns io.EOF; a bad line gives a *TraceError naming the line, after
// which Read keeps returning that error.
func (tr *TraceReader) Read() (Access, error) {
	if tr.err != nil {
		return Access{}, tr.err
	}
	for {
		line, err := tr.r.ReadString('\n')
		if line == "" && err != nil {
			if !errors.Is(err, io.EOF) {
				err = &TraceError{Line: tr.line + 1, Err: err}
			}
			tr.err = err
			return Access{}, err
		}
		tr.line++
		a, skip, perr := tr.parse(line)
		if perr != nil {
			tr.err = &TraceError{Line: tr.line, Err: perr}
			return Access{}, tr.err
		}
		if !skip {
			return a, nil
		}
	}
}

// isBlank reports whether c separates fields.
func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// cutField splits s, which starts with a non-blank byte, into its first
// field and the rest after the blanks that follow it.
func cutField(s string) (field, rest string) {
	i := 0
	for i < len(s) && !isBlank(s[i]) {
		i++
	}
	field, rest = s[:i], s[i:]
	return field, strings.TrimLeft(rest, " \t")
}

// parse parses one line, with or without its "\n". It reports skip for a
// blank or comment line.
func (tr *TraceReader) parse(line string) (a Access, skip bool, err error) {
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	line = strings.Trim(line, " \t")
	if line == "" || line[0] == '#' {
		return Access{}, true, nil
	}
	first, rest := cutField(line)
	op, ok := parseOp(first)
	if !ok {
		if err := tr.timestamp(first); err != nil {
			return Access{}, false, err
		}
		if rest == "" {
			return Access{}, false, errors.New("missing op after timestamp")
		}
		var opName string
		opName, rest = cutField(rest)
		if op, ok = parseOp(opName); !ok {
			return Access{}, false, fmt.Errorf("unknown op %q (want r, read, get, w, write or set)", opName)
		}
	}
	if rest == "" {
		return Access{}, false, errors.New("missing key")
	}
	key := rest
	if rest[0] == '"' {
		quoted, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return Access{}, false, fmt.Errorf("bad quoted key %s", rest)
		}
		if extra := rest[len(quoted):]; extra != "" {
			return Access{}, false, fmt.Errorf("unexpected %q after quoted key", extra)
		}
		if key, err = strconv.Unquote(quoted); err != nil {
			return Access{}, false, fmt.Errorf("bad quoted key %s", quoted)
		}
	}
	return Access{At: tr.at, Key: key, Op: op}, false, nil
}

// timestamp parses a timestamp field into tr.at.
func (tr *TraceReader) timestamp(s string) error {
	kind := absoluteTimestamps
	if s[0] >= '0' && s[0] <= '9' && strings.Trim(s, "0123456789.") == "" {
		kind = relativeTimestamps
	}
	if tr.kind != noTimestamps && kind != tr.kind {
		return fmt.Errorf("timestamp %q mixes seconds and RFC 3339 timestamps in one trace", s)
	}
	if kind == relativeTimestamps {
		at, err := parseSeconds(s)
		if err != nil {
			return err
		}
		tr.kind, tr.at = kind, at
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if !strings.ContainsAny(s, "0123456789") {
			return fmt.Errorf("unknown op %q (want r, read, get, w, write or set)", s)
		}
		return fmt.Errorf("bad timestamp %q: want seconds like 0.000125 or RFC 3339 like 2025-05-01T12:00:00.000125Z", s)
	}
	if tr.kind == noTimestamps {
		tr.kind, tr.base = kind, t
	}
	at := t.Sub(tr.base)
	if at < 0 {
		return fmt.Errorf("timestamp %s is before the trace's first timestamp %s", s, tr.base.Format(time.RFC3339Nano))
	}
	if !tr.base.Add(at).Equal(t) {
		return fmt.Errorf("timestamp %s is too far after the trace's first timestamp", s)
	}
	tr.at = at
	return nil
}

// parseSeconds parses "<digits>[.<1 to 9 digits>]" as a duration.
func parseSeconds(s string) (time.Duration, error) {
	secs, frac, hasFrac := strings.Cut(s, ".")
	bad := func(why string) error {
		return fmt.Errorf("bad timestamp %q: %s", s, why)
	}
	if secs == "" || (hasFrac && (frac == "" || strings.Contains(frac, "."))) {
		return 0, bad("want seconds like 0.000125")
	}
	if len(frac) > 9 {
		return 0, bad("more than nine fractional digits")
	}
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec > math.MaxInt64/int64(time.Second) {
		return 0, bad("too large")
	}
	ns := int64(0)
	if frac != "" {
		v, _ := strconv.ParseInt(frac, 10, 64) // at most nine digits
		for range 9 - len(frac) {
			v *= 10
		}
		ns = v
	}
	d := sec*int64(time.Second) + ns
	if d < 0 {
		return 0, bad("too large")
	}
	return time.Duration(d), nil
}

// ParseTrace reads a whole trace in the format described at TraceReader.
// A bad line gives a *TraceError naming it.
func ParseTrace(r io.Reader) ([]Access, error) {
	tr := NewTraceReader(r)
	var out []Access
	for {
		a, err := tr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
}

// WriteTrace writes accesses as a trace that ParseTrace reads back
// unchanged: one line per access, "<seconds> <r|w> <key>", with the
// timestamp to the nanosecond and the key Go-quoted when it needs to be.
// Accesses must have At >= 0 and Op Read or Write.
func WriteTrace(w io.Writer, accesses []Access) error {
	bw := bufio.NewWriter(w)
	var line []byte
	for i, a := range accesses {
		if a.At < 0 {
			return fmt.Errorf("workload: write trace: access %d: negative At %v", i, a.At)
		}
		line = appendTraceLine(line[:0], a)
		if line == nil {
			return fmt.Errorf("workload: write trace: access %d: bad op %v", i, a.Op)
		}
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("workload: write trace: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("workload: write trace: %w", err)
	}
	return nil
}

// appendTraceLine appends a's trace line to b, or returns nil if a.Op is
// neither Read nor Write.
func appendTraceLine(b []byte, a Access) []byte {
	b = strconv.AppendInt(b, int64(a.At/time.Second), 10)
	b = append(b, '.')
	ns := int64(a.At % time.Second)
	for div := int64(time.Second / 10); div > 0; div /= 10 {
		b = append(b, byte('0'+ns/div%10))
	}
	switch a.Op {
	case Read:
		b = append(b, " r "...)
	case Write:
		b = append(b, " w "...)
	default:
		return nil
	}
	if needsQuote(a.Key) {
		b = strconv.AppendQuote(b, a.Key)
	} else {
		b = append(b, a.Key...)
	}
	return append(b, '\n')
}

// needsQuote reports whether key must be written quoted: it is empty,
// starts with '"', or has a byte that is not UTF-8 or a rune that is not a
// printable non-space character.
func needsQuote(key string) bool {
	if key == "" || key[0] == '"' {
		return true
	}
	for i, r := range key {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(key[i:]); size == 1 {
				return true
			}
		}
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return true
		}
	}
	return false
}
