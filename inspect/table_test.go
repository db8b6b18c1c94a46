package inspect

import (
	"strings"
	"testing"
)

func TestQuoteKey(t *testing.T) {
	tests := []struct{ key, want string }{
		{"user:1", "user:1"},
		{"héllo", "héllo"},
		{"", `""`},
		{"with space", `"with space"`},
		{`quo"te`, `"quo\"te"`},
		{"new\nline", `"new\nline"`},
		{"tab\there", `"tab\there"`},
		{`back\slash`, `"back\\slash"`},
		{"bin\xff\x00", `"bin\xff\x00"`},
		{"bidi\u202eevil", `"bidi\u202eevil"`},
		{"it's", `"it's"`},
	}
	for _, tt := range tests {
		got := QuoteKey(tt.key)
		if got != tt.want {
			t.Errorf("QuoteKey(%q) = %s; want %s", tt.key, got, tt.want)
		}
		if strings.ContainsAny(got, "\n\r\t") {
			t.Errorf("QuoteKey(%q) = %q spans lines or columns", tt.key, got)
		}
	}
}

func TestShortKey(t *testing.T) {
	long := strings.Repeat("x", 200)
	got := shortKey(long)
	if n := len([]rune(got)); n != maxKeyWidth || !strings.HasSuffix(got, "…") {
		t.Errorf("shortKey(200 x) = %q (%d runes); want %d runes ending in …", got, n, maxKeyWidth)
	}
}

func TestHuman(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{{0, "0"}, {999, "999"}, {1.5, "1.5"}, {1000, "1k"}, {45_600, "45.6k"}, {1_234_567, "1.23M"}, {2e9, "2G"}}
	for _, tt := range tests {
		if got := human(tt.v); got != tt.want {
			t.Errorf("human(%v) = %q; want %q", tt.v, got, tt.want)
		}
	}
}
