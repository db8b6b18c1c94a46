package redhot

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/redhot/redhot/internal/redistest"
)

func TestMatchGlob(t *testing.T) {
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
		if got := matchGlob(tt.pattern, tt.key); got != tt.want {
			t.Errorf("matchGlob(%q, %q) = %v; want %v", tt.pattern, tt.key, got, tt.want)
		}
	}
}

// TestMatchGlobAgainstRedis compares matchGlob with the server's own
// matcher (KEYS) on random patterns and keys over a small alphabet.
func TestMatchGlobAgainstRedis(t *testing.T) {
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
			if matchGlob(p, k) {
				want = append(want, k)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pattern %q: KEYS %q, matchGlob %q", p, got, want)
		}
	}
}
