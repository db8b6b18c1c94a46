package inspect

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"
)

// maxKeyWidth is how many characters of a key a table shows; JSON shows
// keys whole.
const maxKeyWidth = 64

// QuoteKey returns k as a table shows it: as is when it is plain printable
// text without spaces, quotes or backslashes, otherwise in double quotes
// with \" \\ \n \r \t escapes and \xHH for other control characters and
// invalid UTF-8, as redis-cli prints keys. Either way the result is one
// line without tabs, so it cannot break a table or forge a row.
func QuoteKey(k string) string {
	if k != "" && plain(k) {
		return k
	}
	var b strings.Builder
	b.Grow(len(k) + 2)
	b.WriteByte('"')
	for i := 0; i < len(k); {
		r, size := utf8.DecodeRuneInString(k[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, k[i])
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80 && !unicode.IsPrint(r) && r != ' ':
			fmt.Fprintf(&b, `\x%02x`, r)
		case !unicode.IsPrint(r) && r != ' ':
			// Invisible or layout-changing characters (bidi controls,
			// zero-width spaces): show their code point.
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	b.WriteByte('"')
	return b.String()
}

func plain(k string) bool {
	for _, r := range k {
		if r == utf8.RuneError || r == ' ' || r == '"' || r == '\\' || r == '\'' || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// shortKey is QuoteKey cut to maxKeyWidth characters.
func shortKey(k string) string {
	q := QuoteKey(k)
	if utf8.RuneCountInString(q) <= maxKeyWidth {
		return q
	}
	n := 0
	for i := range q {
		if n == maxKeyWidth-1 {
			return q[:i] + "…"
		}
		n++
	}
	return q
}

// table writes aligned columns.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	io.WriteString(t.tw, strings.Join(cells, "\t")+"\n")
}

func (t *table) flush() error { return t.tw.Flush() }

// human formats a count compactly: 999, 1.2k, 45.6k, 1.23M.
func human(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case a < 100 && v != math.Trunc(v):
		return trimZero(strconv.FormatFloat(v, 'f', 1, 64))
	case a < 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a < 1e6:
		return trimZero(strconv.FormatFloat(v/1e3, 'f', 1, 64)) + "k"
	case a < 1e9:
		return trimZero(strconv.FormatFloat(v/1e6, 'f', 2, 64)) + "M"
	default:
		return trimZero(strconv.FormatFloat(v/1e9, 'f', 2, 64)) + "G"
	}
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// bytesHuman formats a byte count: 512 B, 1.5 KiB, 3.2 MiB.
func bytesHuman(n float64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatFloat(n, 'f', 0, 64) + " B"
	}
	div, exp := float64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return trimZero(strconv.FormatFloat(n/div, 'f', 1, 64)) + " " + string("KMGTP"[exp]) + "iB"
}

// pct formats a fraction as a percentage.
func pct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
	return trimZero(strconv.FormatFloat(100*f, 'f', 1, 64)) + "%"
}

// writeFooter writes the warnings and notes of h after a table.
func writeFooter(w io.Writer, h *Header) {
	for _, s := range h.Warnings {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
}

// writeTitle writes the first line of a table report.
func writeTitle(w io.Writer, h *Header, format string, args ...any) {
	fmt.Fprintf(w, "# %s: %s\n", h.Command, fmt.Sprintf(format, args...))
}

// usedNodes counts the nodes the report covers.
func usedNodes(h *Header) int {
	n := 0
	for _, ni := range h.Target.Nodes {
		if ni.Used {
			n++
		}
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
