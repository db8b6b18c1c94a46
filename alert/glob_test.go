package alert

import (
	"strings"
	"testing"

	"github.com/redhot/redhot/internal/redistest"
)

var globCases = []struct {
	pattern, key string
	want         bool
}{
	{"", "", true},
	{"", "a", false},
	{"*", "", true},
	{"*", "anything", true},
	{"user:*", "user:42", true},
	{"user:*", "users:42", false},
	{"*:viral", "product:viral", true},
	{"*:viral", "product:viral:x", false},
	{"a*b*c", "aXXbYYc", true},
	{"a*b*c", "aXXbYY", false},
	{"h?llo", "hello", true},
	{"h?llo", "hllo", false},
	{"h[ae]llo", "hallo", true},
	{"h[ae]llo", "hillo", false},
	{"h[^e]llo", "hallo", true},
	{"h[^e]llo", "hello", false},
	{"h[a-c]llo", "hbllo", true},
	{"h[c-a]llo", "hbllo", true}, // reversed range
	{"h[a-c]llo", "hdllo", false},
	{`h\*llo`, "h*llo", true},
	{`h\*llo`, "hallo", false},
	{`h[\]]llo`, "h]llo", true},
	{`a\`, `a\`, true},  // a trailing backslash is literal
	{"[abc", "b", true}, // unterminated class runs to the end
	{"k\x00*", "k\x00\xff\xfe", true},
	{"k[\x80-\xff]", "k\xc3", true},
	{"k[\x80-\xff]", "k\x7f", false},
	{"\xff?\xfe", "\xff\x00\xfe", true},
	{"**a**", "bab", true},
	{"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
}

func TestMatchGlob(t *testing.T) {
	for _, c := range globCases {
		if got := matchGlob(c.pattern, c.key); got != c.want {
			t.Errorf("matchGlob(%q, %q) = %v; want %v", c.pattern, c.key, got, c.want)
		}
	}
}

// TestMatchGlobAgainstRedis checks the matcher against the server's own
// KEYS on every case: the rules must select what an operator's SCAN MATCH
// would.
func TestMatchGlobAgainstRedis(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	c := srv.Client()
	ctx := t.Context()
	for _, cs := range globCases {
		if cs.key == "" {
			continue // nothing to SET
		}
		if err := c.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Set(ctx, cs.key, 1, 0).Err(); err != nil {
			t.Fatal(err)
		}
		keys, err := c.Keys(ctx, cs.pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		if redisSays := len(keys) == 1; redisSays != matchGlob(cs.pattern, cs.key) {
			t.Errorf("KEYS %q on %q matches: %v; matchGlob says %v", cs.pattern, cs.key, redisSays, !redisSays)
		}
	}
}

func FuzzMatchGlob(f *testing.F) {
	for _, c := range globCases {
		f.Add(c.pattern, c.key)
	}
	f.Fuzz(func(t *testing.T, pattern, key string) {
		if len(pattern) > 64 || len(key) > 256 {
			return
		}
		got := matchGlob(pattern, key)
		// A pattern without special bytes matches exactly itself.
		plain := true
		for i := 0; i < len(pattern); i++ {
			switch pattern[i] {
			case '*', '?', '[', '\\':
				plain = false
			}
		}
		if plain && got != (pattern == key) {
			t.Errorf("matchGlob(%q, %q) = %v for a plain pattern", pattern, key, got)
		}
		if !matchGlob("*", key) {
			t.Errorf("matchGlob(\"*\", %q) = false", key)
		}
		// Appending a star only widens a pattern whose end is not inside
		// an escape or a class.
		if got && !strings.ContainsAny(pattern, "[\\") && !matchGlob(pattern+"*", key) {
			t.Errorf("matchGlob(%q, %q) but not with a star appended", pattern, key)
		}
	})
}
