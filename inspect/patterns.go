package inspect

import (
	"strings"

	"github.com/redhot/redhot/internal/glob"
)

// InferPattern returns the glob pattern that groups key with keys of the
// same shape: parts that look like identifiers become '*' and the rest is
// kept. So "user:1001:profile" and "user:77:profile" both give
// "user:*:profile".
//
// The key is split at the separators ':' '/' '|' '.' '#' ',' '=' and ' ',
// and each part at '-' and '_'. A part becomes '*' when it is a number, a
// UUID, a hexadecimal hash (8 or more hex digits with at least one digit,
// or 16 or more), a date or timestamp (2024-01-31, 2024-01-31T10:00:00Z),
// or a long random-looking token (16 or more letters and digits, with at
// least four changes between letters and digits). A word followed by three
// or more digits ("user1001") keeps the word: "user*". Characters special
// to globs ('*', '?', '[', ']', '\') are escaped with '\', so the pattern
// always matches the key it came from (see MatchPattern). Invalid UTF-8 is
// kept byte for byte.
func InferPattern(key string) string {
	var b strings.Builder
	b.Grow(len(key))
	i, segEnd := 0, 0
	for i < len(key) {
		// A timestamp may span separators (10:00:00), so it is matched
		// first wherever a part starts.
		if n := matchTimestamp(key[i:]); n > 0 {
			b.WriteByte('*')
			i += n
			continue
		}
		j := i
		for j < len(key) && !isSeparator(key[j]) && !isSubSeparator(key[j]) {
			j++
		}
		if j > i {
			// A UUID has dashes: try it on the rest of the segment
			// first. The segment's end is found once per segment, so
			// long keys take linear time.
			if i >= segEnd {
				segEnd = segmentEnd(key, i)
			}
			if segEnd-i == 36 && isUUID(key[i:segEnd]) {
				b.WriteByte('*')
				i = segEnd
				continue
			}
			writePart(&b, key[i:j])
			i = j
			continue
		}
		b.WriteByte(key[i]) // a separator; none is special to globs
		i++
	}
	return collapseStars(b.String())
}

func isSeparator(c byte) bool {
	switch c {
	case ':', '/', '|', '.', '#', ',', '=', ' ':
		return true
	}
	return false
}

func isSubSeparator(c byte) bool { return c == '-' || c == '_' }

// segmentEnd returns the end of the segment starting at i (up to the next
// separator, dashes and underscores included).
func segmentEnd(key string, i int) int {
	for i < len(key) && !isSeparator(key[i]) {
		i++
	}
	return i
}

// writePart writes one part: '*' for an identifier, word+'*' for a word
// with a numeric suffix, else the part escaped.
func writePart(b *strings.Builder, p string) {
	switch {
	case isNumber(p), isHexHash(p), isRandomToken(p):
		b.WriteByte('*')
		return
	}
	if w := wordWithNumber(p); w > 0 {
		writeEscaped(b, p[:w])
		b.WriteByte('*')
		return
	}
	writeEscaped(b, p)
}

func writeEscaped(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
}

// collapseStars replaces runs of unescaped "*" joined by nothing ("**")
// with one, which matches the same keys.
func collapseStars(s string) string {
	if !strings.Contains(s, "**") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			b.WriteByte(c)
			b.WriteByte(s[i+1])
			i++
			continue
		}
		if c == '*' && i+1 < len(s) && s[i+1] == '*' {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isHex(c byte) bool    { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isNumber(p string) bool {
	if p == "" {
		return false
	}
	for i := 0; i < len(p); i++ {
		if !isDigit(p[i]) {
			return false
		}
	}
	return true
}

func isHexHash(p string) bool {
	if len(p) < 8 {
		return false
	}
	digit := false
	for i := 0; i < len(p); i++ {
		if !isHex(p[i]) {
			return false
		}
		digit = digit || isDigit(p[i])
	}
	return digit || len(p) >= 16
}

func isRandomToken(p string) bool {
	if len(p) < 16 {
		return false
	}
	changes := 0
	for i := 0; i < len(p); i++ {
		if !isDigit(p[i]) && !isLetter(p[i]) {
			return false
		}
		if i > 0 && isDigit(p[i]) != isDigit(p[i-1]) {
			changes++
		}
	}
	return changes >= 4
}

// wordWithNumber returns the length of the word of a part made of letters
// followed by at least three digits ("user1001" gives 4), else 0.
func wordWithNumber(p string) int {
	w := 0
	for w < len(p) && isLetter(p[w]) {
		w++
	}
	if w == 0 || len(p)-w < 3 {
		return 0
	}
	for i := w; i < len(p); i++ {
		if !isDigit(p[i]) {
			return 0
		}
	}
	return w
}

// isUUID reports whether s is 8-4-4-4-12 hex digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}

// matchTimestamp returns the length of an ISO 8601 date or timestamp at
// the start of s (YYYY-MM-DD, optionally followed by THH:MM[:SS[.frac]]
// and Z or ±HH:MM), or 0. The date must end the part: "2024-01-31x" is
// not a date.
func matchTimestamp(s string) int {
	if len(s) < 10 || !digitsAt(s, 0, 4) || s[4] != '-' || !digitsAt(s, 5, 2) || s[7] != '-' || !digitsAt(s, 8, 2) {
		return 0
	}
	n := 10
	if n+6 <= len(s) && (s[n] == 'T' || s[n] == 't') && digitsAt(s, n+1, 2) && s[n+3] == ':' && digitsAt(s, n+4, 2) {
		n += 6
		if n+3 <= len(s) && s[n] == ':' && digitsAt(s, n+1, 2) {
			n += 3
			if n < len(s) && s[n] == '.' && n+1 < len(s) && isDigit(s[n+1]) {
				n++
				for n < len(s) && isDigit(s[n]) {
					n++
				}
			}
		}
		switch {
		case n < len(s) && (s[n] == 'Z' || s[n] == 'z'):
			n++
		case n+6 <= len(s) && (s[n] == '+' || s[n] == '-') && digitsAt(s, n+1, 2) && s[n+3] == ':' && digitsAt(s, n+4, 2):
			n += 6
		}
	}
	if n < len(s) && !isSeparator(s[n]) && !isSubSeparator(s[n]) {
		return 0
	}
	return n
}

func digitsAt(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for j := i; j < i+n; j++ {
		if !isDigit(s[j]) {
			return false
		}
	}
	return true
}

// MatchPattern reports whether key matches the glob pattern as Redis
// matches it (KEYS, SCAN MATCH): '*' is any run of bytes, '?' one byte,
// [abc], [^abc] and [a-z] a byte of a set, and '\' escapes the next byte.
// It works on bytes, so binary keys match too. It is package
// internal/glob's matcher, shared with the library.
func MatchPattern(pattern, key string) bool { return glob.Match(pattern, key) }
