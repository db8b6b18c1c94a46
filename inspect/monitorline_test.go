package inspect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// formatMonitorLine writes a line as Redis 7.0 does (replicationFeedMonitors
// with sdscatrepr), for round-trip checks.
func formatMonitorLine(at time.Time, db int, source string, args []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "+%d.%06d [%d %s]", at.Unix(), at.Nanosecond()/1000, db, source)
	for _, a := range args {
		b.WriteString(` "`)
		for i := 0; i < len(a); i++ {
			switch c := a[i]; c {
			case '\\', '"':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			case '\a':
				b.WriteString(`\a`)
			case '\b':
				b.WriteString(`\b`)
			default:
				if c >= 0x20 && c < 0x7f { // isprint in the C locale
					b.WriteByte(c)
				} else {
					fmt.Fprintf(&b, `\x%02x`, c)
				}
			}
		}
		b.WriteByte('"')
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

func TestParseMonitorLine(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		db     int
		source string
		args   []string
		time   time.Time
	}{
		{"plain", `1795679531.672876 [0 127.0.0.1:46112] "incrby" "n" "12345"`, 0, "127.0.0.1:46112",
			[]string{"incrby", "n", "12345"}, time.Unix(1795679531, 672876000)},
		{"resp prefix and crlf", "+1795679531.690323 [3 127.0.0.1:46116] \"MULTI\"\r\n", 3, "127.0.0.1:46116",
			[]string{"MULTI"}, time.Unix(1795679531, 690323000)},
		{"escapes and binary", `1795679531.649984 [0 127.0.0.1:46100] "SET" "bin\xff\x00k\"ey\n" "va l\t"`, 0, "127.0.0.1:46100",
			[]string{"SET", "bin\xff\x00k\"ey\n", "va l\t"}, time.Unix(1795679531, 649984000)},
		{"all escapes", `1.000001 [0 127.0.0.1:1] "a\\b\"c\r\n\t\a\b\x7F\x41"`, 0, "127.0.0.1:1",
			[]string{"a\\b\"c\r\n\t\a\b\x7fA"}, time.Unix(1, 1000)},
		{"lua", `1795679531.661573 [0 lua] "get" "key:1"`, 0, "lua", []string{"get", "key:1"}, time.Unix(1795679531, 661573000)},
		{"unix socket", `1795679531.5 [15 unix:/tmp/redis.sock] "PING"`, 15, "unix:/tmp/redis.sock", []string{"PING"}, time.Unix(1795679531, 500000000)},
		{"unix socket with bracket and spaces", `1795679531.5 [0 unix:/tmp/a] b/r.sock] "GET" "k"`, 0, "unix:/tmp/a] b/r.sock", []string{"GET", "k"}, time.Unix(1795679531, 500000000)},
		{"ipv6", `1795679531.000000 [0 [::1]:6379] "GET" "k"`, 0, "[::1]:6379", []string{"GET", "k"}, time.Unix(1795679531, 0)},
		{"empty argument", `1795679531.000000 [0 127.0.0.1:1] "SET" "" ""`, 0, "127.0.0.1:1", []string{"SET", "", ""}, time.Unix(1795679531, 0)},
		{"argument with quote-bracket", `1795679531.000000 [0 127.0.0.1:1] "SET" "] \"x" "y"`, 0, "127.0.0.1:1", []string{"SET", "] \"x", "y"}, time.Unix(1795679531, 0)},
	}
	var m MonitorLine
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ParseMonitorLine([]byte(tt.line), &m); err != nil {
				t.Fatalf("ParseMonitorLine(%q) = %v", tt.line, err)
			}
			if m.DB != tt.db || m.Source != tt.source || !slices.Equal(m.Args, tt.args) || !m.Time.Equal(tt.time) {
				t.Errorf("ParseMonitorLine(%q) = db %d source %q args %q time %v; want db %d source %q args %q time %v",
					tt.line, m.DB, m.Source, m.Args, m.Time, tt.db, tt.source, tt.args, tt.time)
			}
		})
	}
}

func TestParseMonitorLineErrors(t *testing.T) {
	bad := []string{
		``,
		`OK`,
		`1795679531.6 0 127.0.0.1:1] "GET"`,
		`1795679531.6 [x 127.0.0.1:1] "GET"`,
		`1795679531.6 [0 127.0.0.1:1 "GET"`,
		`1795679531.6 [0 127.0.0.1:1] GET`,
		`1795679531.6 [0 127.0.0.1:1] "GET`,
		`1795679531.6 [0 127.0.0.1:1] "GET" "k\`,
		`1795679531.6 [0 127.0.0.1:1] "GET" "k\x4"`,
		`1795679531.6 [0 127.0.0.1:1] "GET" "k\xzz"`,
		`1795679531.6 [0 127.0.0.1:1]`,
		`1795679531.6 [0 127.0.0.1:1] "GET""k"`,
	}
	var m MonitorLine
	for _, line := range bad {
		if err := ParseMonitorLine([]byte(line), &m); err == nil {
			t.Errorf("ParseMonitorLine(%q) = nil, args %q; want an error", line, m.Args)
		}
	}
}

// TestParseMonitorLineKeepsStrings checks that the strings of one line
// survive parsing the next, since callers keep keys.
func TestParseMonitorLineKeepsStrings(t *testing.T) {
	var m MonitorLine
	if err := ParseMonitorLine([]byte(`1.0 [0 a:1] "GET" "first"`), &m); err != nil {
		t.Fatal(err)
	}
	key := m.Args[1]
	if err := ParseMonitorLine([]byte(`1.0 [0 a:1] "GET" "other"`), &m); err != nil {
		t.Fatal(err)
	}
	if key != "first" {
		t.Errorf("key of the first line = %q after parsing the second; want %q", key, "first")
	}
}

func TestParseMonitorLineAllocs(t *testing.T) {
	line := []byte(`1795679531.672876 [0 127.0.0.1:46112] "GET" "user:1001:profile"`)
	var m MonitorLine
	if err := ParseMonitorLine(line, &m); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() { _ = ParseMonitorLine(line, &m) })
	if allocs > 1 {
		t.Errorf("ParseMonitorLine allocates %v times per line; want at most 1 (the arguments' string)", allocs)
	}
}

func FuzzParseMonitorLine(f *testing.F) {
	for _, s := range []string{
		`1795679531.647860 [0 127.0.0.1:46100] "COMMAND" "DOCS"`,
		`1795679531.649984 [0 127.0.0.1:46100] "SET" "bin\xff\x00k\"ey\n" "va l\t"`,
		`1795679531.661521 [0 127.0.0.1:46104] "eval" "redis.call('get', KEYS[1]); return redis.call('incr', 'cnt')" "1" "key:1"`,
		`1795679531.661573 [0 lua] "get" "key:1"`,
		`1795679531.5 [15 unix:/tmp/redis.sock] "PING"`,
		"+1795679531.690323 [0 [::1]:46116] \"MULTI\"\r\n",
		`1.0 [0 a:1] "\a\b\r\\"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var m MonitorLine
		if err := ParseMonitorLine(line, &m); err != nil {
			return
		}
		if len(m.Args) == 0 {
			t.Fatalf("ParseMonitorLine(%q) succeeded with no arguments", line)
		}
		// What parses must survive a round trip through Redis's format.
		if strings.Contains(m.Source, "] \"") {
			return // ambiguous by construction: the source ends at the first `] "`
		}
		args := slices.Clone(m.Args)
		src, db, at := m.Source, m.DB, m.Time.Truncate(time.Microsecond)
		out := formatMonitorLine(at, db, src, args)
		var m2 MonitorLine
		if err := ParseMonitorLine(out, &m2); err != nil {
			t.Fatalf("ParseMonitorLine(format(%q)) = %v; line %q", line, err, out)
		}
		if !slices.Equal(m2.Args, args) || m2.Source != src || m2.DB != db || !m2.Time.Equal(at) {
			t.Fatalf("round trip of %q: got db %d source %q args %q time %v; want db %d source %q args %q time %v",
				line, m2.DB, m2.Source, m2.Args, m2.Time, db, src, args, at)
		}
	})
}
