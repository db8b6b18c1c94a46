package inspect

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestInferPattern(t *testing.T) {
	tests := []struct{ key, want string }{
		{"user:1001:profile", "user:*:profile"},
		{"user:77:profile", "user:*:profile"},
		{"session:550e8400-e29b-41d4-a716-446655440000", "session:*"},
		{"session:550E8400-E29B-41D4-A716-446655440000:data", "session:*:data"},
		{"cache:page:d41d8cd98f00b204e9800998ecf8427e", "cache:page:*"},
		{"blob:deadbeefdeadbeef", "blob:*"},
		{"word:deadbeef", "word:deadbeef"}, // 8 hex letters and no digit: a word
		{"log:2024-01-31", "log:*"},
		{"log:2024-01-31T10:00:00Z:errors", "log:*:errors"},
		{"log:2024-01-31T10:00:00.123+02:00", "log:*"},
		{"daily:20240131", "daily:*"},
		{"rate:user1001", "rate:user*"},
		{"api:v2:users", "api:v2:users"},
		{"item_1001_price", "item_*_price"},
		{"order-2024-01-31-55", "order-*-*"},
		{"tok:aZ3kP9qL2mN8xR4t", "tok:*"},
		{"img/2024/01/cat.png", "img/*/*/cat.png"},
		{"plain", "plain"},
		{"", ""},
		{"a*b?c[d]e\\f:12", `a\*b\?c\[d\]e\\f:*`},
		{"bin\xff\x00:42", "bin\xff\x00:*"},
		{"::", "::"},
		{"42", "*"},
	}
	for _, tt := range tests {
		if got := InferPattern(tt.key); got != tt.want {
			t.Errorf("InferPattern(%q) = %q; want %q", tt.key, got, tt.want)
		}
		if !MatchPattern(InferPattern(tt.key), tt.key) {
			t.Errorf("MatchPattern(InferPattern(%q)) = false; want true", tt.key)
		}
	}
}

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, key string
		want         bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"user:*", "user:1", true},
		{"user:*", "users:1", false},
		{"user:*:profile", "user:1:2:profile", true},
		{"user:?", "user:12", false},
		{"user:?", "user:1", true},
		{"h[ae]llo", "hello", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[a-b]llo", "hcllo", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{`a\\b`, `a\b`, true},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"a*", "b", false},
		{"", "", true},
		{"", "a", false},
		{"bin\xff*", "bin\xff\x00", true},
	}
	for _, tt := range tests {
		if got := MatchPattern(tt.pattern, tt.key); got != tt.want {
			t.Errorf("MatchPattern(%q, %q) = %v; want %v", tt.pattern, tt.key, got, tt.want)
		}
	}
}

func TestMergeVariants(t *testing.T) {
	all := map[string]*patAgg{}
	names := []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
		"ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil"}
	for _, n := range names {
		all["user:"+n+":profile"] = &patAgg{keys: 1, bytes: 10, max: 10, largest: "user:" + n + ":profile"}
	}
	all["config:main"] = &patAgg{keys: 1, bytes: 5}
	all["config:backup"] = &patAgg{keys: 1, bytes: 5}
	got := mergeVariants(all, 16)
	if len(got) != 3 {
		t.Fatalf("mergeVariants left %d patterns (%v); want 3", len(got), keysOf(got))
	}
	m := got["user:*:profile"]
	if m == nil || m.keys != 16 || m.bytes != 160 {
		t.Fatalf("merged user:*:profile = %+v; want 16 keys of 160 bytes", m)
	}
	if got["config:main"] == nil || got["config:backup"] == nil {
		t.Errorf("config patterns were merged with only 2 variants: %v", keysOf(got))
	}
}

func keysOf(m map[string]*patAgg) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func FuzzInferPattern(f *testing.F) {
	for _, s := range []string{
		"user:1001:profile", "session:550e8400-e29b-41d4-a716-446655440000",
		"log:2024-01-31T10:00:00Z:errors", "a*b?c[d]e\\f", "bin\xff\x00", "rate:user1001",
		"x:2024-01-31T", "[", "\\", "2024-01-31T10:00:00+0",
	} {
		f.Add(s, uint64(1001), uint64(77))
	}
	f.Fuzz(func(t *testing.T, key string, a, b uint64) {
		p := InferPattern(key)
		if !MatchPattern(p, key) {
			t.Fatalf("InferPattern(%q) = %q, which does not match the key", key, p)
		}
		if utf8.ValidString(key) && !utf8.ValidString(p) {
			t.Fatalf("InferPattern(%q) = %q is not valid UTF-8 though the key is", key, p)
		}
		// Keys that differ only in a numeric id between separators group
		// together, whatever surrounds the id (when that has no digits of
		// its own to form dates with).
		if strings.ContainsAny(key, "0123456789") {
			return
		}
		prefix, suffix, _ := strings.Cut(key, "|")
		k1 := prefix + ":" + strconv.FormatUint(a, 10) + ":" + suffix
		k2 := prefix + ":" + strconv.FormatUint(b, 10) + ":" + suffix
		if p1, p2 := InferPattern(k1), InferPattern(k2); p1 != p2 {
			t.Fatalf("InferPattern(%q) = %q but InferPattern(%q) = %q; want the same", k1, p1, k2, p2)
		}
	})
}
