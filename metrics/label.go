package metrics

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ellipsis ends a label that was cut.
const ellipsis = "…"

// KeyLabel returns the "key" label value for key: printable UTF-8 is kept,
// a backslash becomes \\, and every other byte becomes \xNN (a
// non-printable character is written as its UTF-8 bytes), so that any
// binary key gives a valid label and distinct keys give distinct labels.
// A label longer than maxBytes is cut at a character boundary and ends in
// "…", as is the label of a key the tracker kept only a prefix of
// (truncated). maxBytes below 8 counts as 8.
func KeyLabel(key string, truncated bool, maxBytes int) string {
	maxBytes = max(maxBytes, 8)
	plain := !truncated && len(key) <= maxBytes
	for i := 0; plain && i < len(key); {
		r, n := utf8.DecodeRuneInString(key[i:])
		plain = r != '\\' && !(r == utf8.RuneError && n == 1) && unicode.IsPrint(r)
		i += n
	}
	if plain {
		return key
	}
	if full, whole := escape(key, maxBytes); whole && !truncated {
		return full
	}
	cut, _ := escape(key, maxBytes-len(ellipsis))
	return cut + ellipsis
}

// escape returns the escaped form of key (see KeyLabel), stopping before
// the first character whose escape would take it past limit bytes, and
// whether it escaped all of key.
func escape(key string, limit int) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(key); {
		r, n := utf8.DecodeRuneInString(key[i:])
		var piece string
		switch {
		case r == '\\':
			piece = `\\`
		case (r == utf8.RuneError && n == 1) || !unicode.IsPrint(r):
			piece = hexBytes(key[i : i+n])
		default:
			piece = key[i : i+n]
		}
		if b.Len()+len(piece) > limit {
			return b.String(), false
		}
		b.WriteString(piece)
		i += n
	}
	return b.String(), true
}

// hexBytes writes each byte of s as \xNN.
func hexBytes(s string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 4*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, '\\', 'x', hex[s[i]>>4], hex[s[i]&15])
	}
	return string(b)
}
