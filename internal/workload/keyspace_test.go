package workload

import (
	"strconv"
	"testing"
)

func TestKeyspace(t *testing.T) {
	tests := []struct {
		name   string
		opts   KeyspaceOptions
		checks map[uint32]string
	}{
		{"one key", KeyspaceOptions{N: 1}, map[uint32]string{0: "key:0"}},
		{"default prefix", KeyspaceOptions{N: 1001}, map[uint32]string{0: "key:0", 9: "key:9", 10: "key:10", 99: "key:99", 100: "key:100", 1000: "key:1000"}},
		{"custom prefix", KeyspaceOptions{Prefix: "user:", N: 12}, map[uint32]string{0: "user:0", 11: "user:11"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ks := newTestKeyspace(t, tt.opts)
			if ks.Len() != tt.opts.N {
				t.Errorf("Len() = %d; want %d", ks.Len(), tt.opts.N)
			}
			for i, want := range tt.checks {
				if got := ks.Key(i); got != want {
					t.Errorf("Key(%d) = %q; want %q", i, got, want)
				}
			}
		})
	}
}

func TestKeyspaceAllKeys(t *testing.T) {
	const n = 123_457
	ks := newTestKeyspace(t, KeyspaceOptions{Prefix: "p", N: n})
	for i := range uint32(n) {
		if got, want := ks.Key(i), "p"+strconv.Itoa(int(i)); got != want {
			t.Fatalf("Key(%d) = %q; want %q", i, got, want)
		}
	}
}

func TestDigitsUpTo(t *testing.T) {
	total := 0
	for n := 0; n <= 100_001; n++ {
		if got := digitsUpTo(n); got != total {
			t.Fatalf("digitsUpTo(%d) = %d; want %d", n, got, total)
		}
		total += len(strconv.Itoa(n))
	}
}

func TestKeyspaceKeyAllocatesNothing(t *testing.T) {
	ks := newTestKeyspace(t, KeyspaceOptions{N: 1000})
	i := uint32(0)
	allocs := testing.AllocsPerRun(1000, func() {
		_ = ks.Key(i % 1000)
		i++
	})
	if allocs != 0 {
		t.Errorf("Key allocates %v times per call; want 0", allocs)
	}
}

func TestNewKeyspaceOf(t *testing.T) {
	keys := []string{"a", "", "b c", "\x00\xff", "viral:1"}
	ks, err := NewKeyspaceOf(keys)
	if err != nil {
		t.Fatal(err)
	}
	keys[0] = "changed" // the keyspace must have copied the keys
	want := []string{"a", "", "b c", "\x00\xff", "viral:1"}
	if ks.Len() != len(want) {
		t.Fatalf("Len() = %d; want %d", ks.Len(), len(want))
	}
	for i, w := range want {
		if got := ks.Key(uint32(i)); got != w {
			t.Errorf("Key(%d) = %q; want %q", i, got, w)
		}
	}
}

func TestKeyspaceInvalid(t *testing.T) {
	tests := []struct {
		name  string
		build func() (*Keyspace, error)
		field string
	}{
		{"zero N", func() (*Keyspace, error) { return NewKeyspace(KeyspaceOptions{}) }, "KeyspaceOptions.N"},
		{"negative N", func() (*Keyspace, error) { return NewKeyspace(KeyspaceOptions{N: -1}) }, "KeyspaceOptions.N"},
		{"too many", func() (*Keyspace, error) { return NewKeyspace(KeyspaceOptions{N: MaxKeys + 1}) }, "KeyspaceOptions.N"},
		{"no keys", func() (*Keyspace, error) { return NewKeyspaceOf(nil) }, "len(keys)"},
		{"duplicate", func() (*Keyspace, error) { return NewKeyspaceOf([]string{"a", "b", "a"}) }, "keys[2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.build()
			checkInvalid(t, err, tt.field)
		})
	}
}
