package inspect

import (
	"strconv"
	"time"
	"unsafe"
)

// MonitorLine is one line of MONITOR output, such as
//
//	1700000000.123456 [0 127.0.0.1:53012] "SET" "user:1" "x"
//
// Source is the client's address ("127.0.0.1:53012", "[::1]:6379"),
// "lua" for commands run by a script or function, or "unix:<path>" for a
// Unix socket client.
type MonitorLine struct {
	// Time is the server's time when it ran the command.
	Time time.Time
	// DB is the database number the command ran in.
	DB int
	// Source is the client address, "lua" or "unix:<path>".
	Source string
	// Args are the command and its arguments, unescaped: Args[0] is the
	// command name as the client sent it.
	Args []string

	buf     []byte            // unescaped arguments, reused between lines
	sources map[string]string // interned Source strings
}

// MonitorLineError is returned by ParseMonitorLine for a line it cannot
// parse.
type MonitorLineError struct {
	// Offset is the byte offset in the line where parsing failed.
	Offset int
	// Reason says what was expected.
	Reason string
}

func (e *MonitorLineError) Error() string {
	return "MONITOR line: " + e.Reason + " at byte " + strconv.Itoa(e.Offset)
}

// ParseMonitorLine parses one MONITOR line into m, reusing m's memory: the
// strings of the previous line stay valid, but m.Args is overwritten. The
// line may start with the '+' of the RESP simple string and end with
// "\r\n". Arguments are unescaped as Redis escapes them (sdscatrepr): \\,
// \", \n, \r, \t, \a, \b and \xHH; any other byte stands for itself, so
// binary keys come back exactly.
func ParseMonitorLine(line []byte, m *MonitorLine) error {
	return parseMonitorLine(line, m, true)
}

// parseMonitorLine is ParseMonitorLine. Without keep, m.Args alias m's
// buffer and are valid only until the next call: Monitor uses that to
// avoid a copy per line, and copies what it retains.
func parseMonitorLine(line []byte, m *MonitorLine, keep bool) error {
	if len(line) > 0 && line[0] == '+' {
		line = line[1:]
	}
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	p := monitorParser{line: line}
	bad := func(reason string) error { return &MonitorLineError{Offset: p.i, Reason: reason} }

	// Timestamp: seconds.microseconds
	sec, ok := p.digits(18)
	if !ok {
		return bad("expected the timestamp's seconds")
	}
	var nsec int64
	if p.peek() == '.' {
		p.i++
		start := p.i
		frac, ok := p.digits(9)
		if !ok {
			return bad("expected the timestamp's fraction")
		}
		for n := p.i - start; n < 9; n++ {
			frac *= 10
		}
		nsec = frac
	}
	if !p.eat(' ') || !p.eat('[') {
		return bad("expected \" [\" after the timestamp")
	}
	db, ok := p.digits(9)
	if !ok {
		return bad("expected the database number")
	}
	if !p.eat(' ') {
		return bad("expected a space after the database number")
	}
	// The source runs to the first "] " followed by a quote, or to a
	// final "]". Addresses never contain that sequence; a Unix socket
	// path could, which is as far as anyone can tell from the line.
	start := p.i
	end := -1
	for j := p.i; j < len(line); j++ {
		if line[j] != ']' {
			continue
		}
		if j == len(line)-1 || (j+2 < len(line) && line[j+1] == ' ' && line[j+2] == '"') {
			end = j
			break
		}
	}
	if end < 0 {
		return bad("expected \"]\" after the client")
	}
	source := line[start:end]
	p.i = end + 1

	m.buf = m.buf[:0]
	var bounds [64][2]int
	spans := bounds[:0]
	for p.i < len(line) {
		if !p.eat(' ') || !p.eat('"') {
			return bad("expected a quoted argument")
		}
		from := len(m.buf)
		closed := false
		for p.i < len(line) {
			// Copy the run up to the next quote or backslash at once.
			rest := line[p.i:]
			q := 0
			for q < len(rest) && rest[q] != '"' && rest[q] != '\\' {
				q++
			}
			m.buf = append(m.buf, rest[:q]...)
			p.i += q
			if p.i >= len(line) {
				break
			}
			c := line[p.i]
			p.i++
			if c == '"' {
				closed = true
				break
			}
			// c is a backslash.
			if p.i >= len(line) {
				return bad("unfinished escape")
			}
			e := line[p.i]
			p.i++
			switch e {
			case 'n':
				m.buf = append(m.buf, '\n')
			case 'r':
				m.buf = append(m.buf, '\r')
			case 't':
				m.buf = append(m.buf, '\t')
			case 'a':
				m.buf = append(m.buf, '\a')
			case 'b':
				m.buf = append(m.buf, '\b')
			case 'x':
				if p.i+2 > len(line) {
					return bad("unfinished \\x escape")
				}
				hi, ok1 := unhex(line[p.i])
				lo, ok2 := unhex(line[p.i+1])
				if !ok1 || !ok2 {
					return bad("invalid \\x escape")
				}
				p.i += 2
				m.buf = append(m.buf, hi<<4|lo)
			default: // \\, \" and anything else
				m.buf = append(m.buf, e)
			}
		}
		if !closed {
			return bad("unterminated argument")
		}
		spans = append(spans, [2]int{from, len(m.buf)})
	}
	if len(spans) == 0 {
		return bad("expected a command")
	}
	var all string
	if keep {
		all = string(m.buf)
	} else {
		all = unsafe.String(unsafe.SliceData(m.buf), len(m.buf))
	}
	m.Args = m.Args[:0]
	for _, s := range spans {
		m.Args = append(m.Args, all[s[0]:s[1]])
	}
	m.Time = time.Unix(sec, nsec)
	m.DB = int(db)
	m.Source = m.intern(source)
	return nil
}

// intern returns s as a string, reusing the strings of earlier lines so
// that a stream of lines from the same clients does not allocate one per
// line. It keeps at most 4096 of them.
func (m *MonitorLine) intern(s []byte) string {
	if m.Source == string(s) { // runs of lines from one client are common
		return m.Source
	}
	if v, ok := m.sources[string(s)]; ok {
		return v
	}
	v := string(s)
	if m.sources == nil {
		m.sources = make(map[string]string)
	}
	if len(m.sources) < 4096 {
		m.sources[v] = v
	}
	return v
}

type monitorParser struct {
	line []byte
	i    int
}

func (p *monitorParser) peek() byte {
	if p.i < len(p.line) {
		return p.line[p.i]
	}
	return 0
}

func (p *monitorParser) eat(c byte) bool {
	if p.peek() == c && p.i < len(p.line) {
		p.i++
		return true
	}
	return false
}

// digits reads 1 to max decimal digits.
func (p *monitorParser) digits(max int) (int64, bool) {
	var v int64
	n := 0
	for p.i < len(p.line) && n < max {
		c := p.line[p.i]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
		p.i++
		n++
	}
	return v, n > 0
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
