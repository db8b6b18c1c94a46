package glob

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/redhot/redhot/internal/redistest"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, key string
		want         bool
	}{
		{"trending:*", "trending:42", true},
		{"trending:*", "trending:", true},
		{"trending:*", "trending:a/b/c", true},
		{"trending:*", "Trending:42", false},
		{"trending:*", "news:1", false},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"*:hot", "user:1:hot", true},
		{"user:[0-9]", "user:7", true},
		{"user:[0-9]", "user:x", false},
		{"user:[9-0]", "user:5", true},
		{"user:[^0-9]", "user:x", true},
		{"user:[^0-9]", "user:5", false},
		{"user:[abc]", "user:b", true},
		{"user:[a\\]]", "user:]", true},
		{"flag\\*", "flag*", true},
		{"flag\\*", "flagx", false},
		{"flag\\", "flag\\", true},
		{"bin:\x00\xff*", "bin:\x00\xff\x01", true},
		{"bin:?", "bin:\xff", true},
		{"[abc", "a", true},
		{"**a", "xa", true},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.key); got != tt.want {
			t.Errorf("Match(%q, %q) = %v; want %v", tt.pattern, tt.key, got, tt.want)
		}
	}
}

// TestMatchAgainstRedis compares Match with the server's own
// matcher (KEYS) on random patterns and keys over a small alphabet.
func TestMatchAgainstRedis(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	rdb := srv.Client()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	alpha := []byte("kab:[]-^*?\\\x00")
	randStr := func(n int, from []byte) string {
		b := make([]byte, rng.IntN(n+1))
		for i := range b {
			b[i] = from[rng.IntN(len(from))]
		}
		return string(b)
	}
	var keys []string
	for range 200 {
		k := "k" + randStr(5, []byte("ab:-^\\\x00"))
		keys = append(keys, k)
		rdb.Set(ctx, k, "1", 0)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	for range 3000 {
		p := randStr(6, alpha)
		got, err := rdb.Keys(ctx, p).Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		var want []string
		for _, k := range keys {
			if Match(p, k) {
				want = append(want, k)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pattern %q: KEYS %q, Match %q", p, got, want)
		}
	}
}

// FuzzMatch checks properties any glob matcher must have on arbitrary
// patterns and keys; TestMatchAgainstRedis checks the semantics.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"trending:*", "trending:42"}, {"user:[0-9]", "user:7"}, {"[abc", "a"}, {"flag\\*", "flag*"}, {"bin:?", "bin:\xff"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, key string) {
		if len(pattern) > 64 || len(key) > 256 {
			return
		}
		got := Match(pattern, key)
		// A pattern without special bytes matches exactly itself.
		if !strings.ContainsAny(pattern, "*?[\\") && got != (pattern == key) {
			t.Errorf("Match(%q, %q) = %v for a plain pattern", pattern, key, got)
		}
		if !Match("*", key) {
			t.Errorf("Match(\"*\", %q) = false", key)
		}
		// Appending a star only widens a pattern whose end is not inside
		// an escape or a class.
		if got && !strings.ContainsAny(pattern, "[\\") && !Match(pattern+"*", key) {
			t.Errorf("Match(%q, %q) but not with a star appended", pattern, key)
		}
	})
}
