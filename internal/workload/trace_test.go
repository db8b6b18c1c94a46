package workload

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseTrace(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		input string
		want  []Access
	}{
		{"empty", "", nil},
		{"comments and blanks", "# header\n\n   \n\t# indented comment\nr a\n", []Access{{Key: "a"}}},
		{"op names", "r a\nREAD b\nGet c\nw d\nWrite e\nSET f\n", []Access{
			{Key: "a"}, {Key: "b"}, {Key: "c"}, {Key: "d", Op: Write}, {Key: "e", Op: Write}, {Key: "f", Op: Write},
		}},
		{"seconds", "0 r a\n0.000125 w b\n1.5 r c\n2.000000001 r d\n", []Access{
			{Key: "a"}, {At: 125 * time.Microsecond, Key: "b", Op: Write}, {At: 1500 * ms, Key: "c"}, {At: 2*time.Second + 1, Key: "d"},
		}},
		{"missing timestamps keep the previous", "r a\n0.5 r b\nr c\n0.25 r d\n", []Access{
			{Key: "a"}, {At: 500 * ms, Key: "b"}, {At: 500 * ms, Key: "c"}, {At: 250 * ms, Key: "d"},
		}},
		{"RFC 3339", "2025-05-01T12:00:00Z r a\n2025-05-01T12:00:01.5Z w b\n2025-05-01T14:00:00.000000001+02:00 r c\n", []Access{
			{Key: "a"}, {At: 1500 * ms, Key: "b", Op: Write}, {At: 1, Key: "c"},
		}},
		{"blanks and CRLF", "  0.1\t r \t key with  inner spaces \t\r\n", []Access{
			{At: 100 * ms, Key: "key with  inner spaces"},
		}},
		{"key that looks like an op", "r w\nw 0.5\n", []Access{{Key: "w"}, {Key: "0.5", Op: Write}}},
		{"key starting with #", "r #tag\n", []Access{{Key: "#tag"}}},
		{"quoted keys", `r ""` + "\n" + `r "a b "` + "\n" + `w "line\nbreak\t\"q\"\x00\xff"` + "  \n", []Access{
			{Key: ""}, {Key: "a b "}, {Key: "line\nbreak\t\"q\"\x00\xff", Op: Write},
		}},
		{"no final newline", "r a\nr b", []Access{{Key: "a"}, {Key: "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTrace(strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseTrace(%q) = %+v; want %+v", tt.input, got, tt.want)
			}
		})
	}
}

func TestParseTraceErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		line  int
		msg   string
	}{
		{"unknown op", "r a\nfetch b\n", 2, `unknown op "fetch"`},
		{"unknown op after timestamp", "0.1 fetch b\n", 1, `unknown op "fetch"`},
		{"missing key", "# c\nr a\n\nw\n", 4, "missing key"},
		{"missing key after timestamp", "0.5 r   \n", 1, "missing key"},
		{"missing op", "0.5\n", 1, "missing op"},
		{"bad seconds", "1.2.3 r a\n", 1, "bad timestamp"},
		{"too precise", "0.0000000001 r a\n", 1, "nine fractional digits"},
		{"too large", "99999999999 r a\n", 1, "too large"},
		{"bad RFC 3339", "2025-13-01T00:00:00Z r a\n", 1, "bad timestamp"},
		{"mixed kinds", "0.5 r a\n2025-05-01T12:00:00Z r b\n", 2, "mixes"},
		{"before first", "2025-05-01T12:00:00Z r a\n2025-05-01T11:59:59Z r b\n", 2, "before"},
		{"unterminated quote", "r a\nr a\nr \"abc\n", 3, "bad quoted key"},
		{"text after quote", "r \"abc\" d\n", 1, "after quoted key"},
		{"bad escape", `r "\q"` + "\n", 1, "bad quoted key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTrace(strings.NewReader(tt.input))
			var te *TraceError
			if !errors.As(err, &te) {
				t.Fatalf("ParseTrace(%q) = %v, %v; want a *TraceError", tt.input, got, err)
			}
			if te.Line != tt.line {
				t.Errorf("ParseTrace(%q): error on line %d; want line %d (%v)", tt.input, te.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("ParseTrace(%q) error = %q; want it to contain %q", tt.input, err, tt.msg)
			}
		})
	}
}

func TestTraceReaderStopsAtError(t *testing.T) {
	tr := NewTraceReader(strings.NewReader("r a\nbad line\nr c\n"))
	if a, err := tr.Read(); err != nil || a.Key != "a" {
		t.Fatalf("Read() = %+v, %v; want key a", a, err)
	}
	_, err1 := tr.Read()
	_, err2 := tr.Read()
	if err1 == nil || err2 != err1 {
		t.Errorf("Read() after a bad line = %v, then %v; want the same error twice", err1, err2)
	}
	tr = NewTraceReader(strings.NewReader(""))
	if _, err := tr.Read(); err != io.EOF {
		t.Errorf("Read() of an empty trace = %v; want io.EOF", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestTraceReaderIOError(t *testing.T) {
	_, err := ParseTrace(io.MultiReader(strings.NewReader("r a\n"), failingReader{}))
	var te *TraceError
	if !errors.As(err, &te) || te.Line != 2 || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("ParseTrace of a failing reader = %v; want a line 2 error wrapping the read error", err)
	}
}

func TestTraceRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		accesses []Access
	}{
		{"plain", []Access{{Key: "a"}, {At: time.Millisecond, Key: "user:42", Op: Write}, {At: 90 * time.Minute, Key: "ключ"}}},
		{"binary keys", []Access{
			{Key: ""},
			{Key: " leading"},
			{Key: "trailing "},
			{Key: "inner space"},
			{Key: "tab\tand\nnewline\r"},
			{Key: `"quoted"`},
			{Key: `half"quote`},
			{Key: "\x00\x01\x7f"},
			{Key: "\xff\xfe invalid utf-8 \xc3"},
			{Key: "#not a comment"},
			{Key: "r"},
			{Key: "\u00a0nbsp\u2028"},
			{Key: strings.Repeat("long", 100_000)},
		}},
		{"times", []Access{{At: 0}, {At: 1}, {At: 999_999_999}, {At: time.Second}, {At: 1<<63 - 1}, {At: 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteTrace(&buf, tt.accesses); err != nil {
				t.Fatal(err)
			}
			got, err := ParseTrace(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.accesses) {
				t.Errorf("ParseTrace(WriteTrace(%+.60v)) = %+.60v", tt.accesses, got)
			}
		})
	}
}

func TestWriteTraceFormat(t *testing.T) {
	var buf bytes.Buffer
	err := WriteTrace(&buf, []Access{
		{At: 125 * time.Microsecond, Key: "user:42"},
		{At: 1500 * time.Millisecond, Key: "a b", Op: Write},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "0.000125000 r user:42\n1.500000000 w \"a b\"\n"
	if buf.String() != want {
		t.Errorf("WriteTrace wrote %q; want %q", buf.String(), want)
	}
}

func TestWriteTraceErrors(t *testing.T) {
	tests := []struct {
		name     string
		accesses []Access
		msg      string
	}{
		{"negative time", []Access{{Key: "a"}, {At: -1, Key: "b"}}, "access 1: negative At"},
		{"bad op", []Access{{Key: "a", Op: 7}}, "access 0: bad op"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteTrace(io.Discard, tt.accesses)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("WriteTrace = %v; want an error containing %q", err, tt.msg)
			}
		})
	}
}

func TestParseOp(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Op
	}{{"r", Read}, {"Read", Read}, {"GET", Read}, {"W", Write}, {"write", Write}, {"set", Write}} {
		if got, err := ParseOp(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseOp(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "del", "reads", "writes"} {
		if _, err := ParseOp(in); err == nil {
			t.Errorf("ParseOp(%q) succeeded; want an error", in)
		}
	}
	if Read.String() != "read" || Write.String() != "write" || Op(9).String() != "Op(9)" {
		t.Errorf("Op strings = %q, %q, %q", Read, Write, Op(9))
	}
}

// FuzzParseTrace checks that ParseTrace never panics, reports errors
// with a line number, and that what it parses survives WriteTrace and
// ParseTrace unchanged.
func FuzzParseTrace(f *testing.F) {
	f.Add([]byte("0.000125 r key:1\n0.5 W \"a\\nb\"\n# c\n\nget k k\n"))
	f.Add([]byte("2025-05-01T12:00:00Z r a\n2025-05-01T12:00:01.000000001+01:00 set b\r\n"))
	f.Add([]byte("r \"\\xff\\x00\"\nw\t\t x \n"))
	f.Add([]byte("1.2.3 r a\n"))
	f.Add([]byte("9223372036.854775807 r a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		accesses, err := ParseTrace(bytes.NewReader(data))
		if err != nil {
			var te *TraceError
			if !errors.As(err, &te) || te.Line < 1 {
				t.Fatalf("ParseTrace error %v is not a *TraceError with a line number", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := WriteTrace(&buf, accesses); err != nil {
			t.Fatalf("WriteTrace of parsed accesses: %v", err)
		}
		again, err := ParseTrace(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("ParseTrace of written trace %q: %v", buf.String(), err)
		}
		if !slices.Equal(accesses, again) {
			t.Fatalf("round trip changed accesses:\nparsed %+v\nwrote  %q\nreread %+v", accesses, buf.String(), again)
		}
	})
}
