package workload

import (
	"strconv"
	"strings"
	"testing"
)

func TestRWMixRatios(t *testing.T) {
	var keys []string
	for i := range 100 {
		for _, class := range []string{"counter:", "product:", "session:", "page:"} {
			keys = append(keys, class+strconv.Itoa(i))
		}
	}
	ks := newTestKeyspaceOf(t, keys...)
	src := newTestUniform(t, UniformOptions{Keys: ks, Seed: 1})
	isSession := func(k string) bool { return strings.HasPrefix(k, "session:") }
	m, err := NewRWMix(RWMixOptions{
		Source: src,
		Classes: []KeyClass{
			{Name: "counters", Prefix: "counter:", WriteRatio: 0.95},
			{Name: "products", Prefix: "product:", WriteRatio: 0.02},
			{Name: "sessions", Match: isSession, WriteRatio: 0.5},
			{Name: "shadowed", Prefix: "counter:", WriteRatio: 0},
		},
		WriteRatio: 0.1,
		Seed:       2,
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		prefix string
		want   float64
	}{
		{"counter:", 0.95},
		{"product:", 0.02},
		{"session:", 0.5},
	}
	for _, tt := range tests {
		if got := m.WriteRatio(tt.prefix + "zz"); got != tt.want {
			t.Errorf("WriteRatio(%q) = %v; want %v", tt.prefix+"zz", got, tt.want)
		}
	}
	if got := m.WriteRatio("other"); got != 0.1 {
		t.Errorf("WriteRatio(other) = %v; want 0.1", got)
	}

	const draws = 300_000
	writes := map[string]int{}
	total := map[string]int{}
	for range draws {
		a := m.Next()
		class := a.Key[:strings.IndexByte(a.Key, ':')+1]
		total[class]++
		if a.Op == Write {
			writes[class]++
		}
	}
	for _, tt := range tests {
		checkBinomial(t, tt.prefix+" writes", writes[tt.prefix], total[tt.prefix], tt.want)
	}
	checkBinomial(t, "page: writes (default)", writes["page:"], total["page:"], 0.1)
}

func TestRWMixDefault(t *testing.T) {
	for _, ratio := range []float64{0, 1} {
		m, err := NewRWMix(RWMixOptions{Source: newTestUniform(t, UniformOptions{N: 10}), WriteRatio: ratio})
		if err != nil {
			t.Fatal(err)
		}
		want := Read
		if ratio == 1 {
			want = Write
		}
		for range 1000 {
			if a := m.Next(); a.Op != want {
				t.Fatalf("WriteRatio %v: Op = %v; want %v", ratio, a.Op, want)
			}
		}
	}
}

func TestRWMixInvalid(t *testing.T) {
	u := newTestUniform(t, UniformOptions{N: 10})
	match := func(string) bool { return true }
	tests := []struct {
		name  string
		opts  RWMixOptions
		field string
	}{
		{"no source", RWMixOptions{}, "RWMixOptions.Source"},
		{"ratio above 1", RWMixOptions{Source: u, WriteRatio: 1.5}, "RWMixOptions.WriteRatio"},
		{"class ratio negative", RWMixOptions{Source: u, Classes: []KeyClass{{Prefix: "a", WriteRatio: -0.1}}}, "RWMixOptions.Classes[0].WriteRatio"},
		{"class without rule", RWMixOptions{Source: u, Classes: []KeyClass{{Prefix: "a"}, {Name: "b"}}}, "RWMixOptions.Classes[1].Prefix"},
		{"class with both rules", RWMixOptions{Source: u, Classes: []KeyClass{{Prefix: "a", Match: match}}}, "RWMixOptions.Classes[0].Prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRWMix(tt.opts)
			checkInvalid(t, err, tt.field)
		})
	}
}
