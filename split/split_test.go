package split

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The vectors below are the cross-language contract: another
// implementation of the key layout must reproduce them.

func TestCRC16(t *testing.T) {
	tests := []struct {
		in   string
		want uint16
	}{
		{"", 0x0000},
		{"123456789", 0x31C3}, // the CRC-16/XMODEM check value
		{"a", 0x7C87},
		{"foo", 0xAF96},
	}
	for _, tc := range tests {
		if got := CRC16(tc.in); got != tc.want {
			t.Errorf("CRC16(%q) = %#04x; want %#04x", tc.in, got, tc.want)
		}
	}
}

func TestSlot(t *testing.T) {
	tests := []struct {
		name, key string
		want      int
	}{
		{"plain", "123456789", 0x31C3},
		{"tag", "{user1000}.following", Slot("user1000")},
		{"same tag", "{user1000}.followers", Slot("user1000")},
		{"empty tag hashes whole key", "foo{}{bar}", int(CRC16("foo{}{bar}")) & 16383},
		{"first brace pairs with first close", "foo{{bar}}zap", Slot("{bar")},
		{"tag in the middle", "foo{bar}{zap}", Slot("bar")},
		{"no close", "foo{bar", int(CRC16("foo{bar")) & 16383},
	}
	for _, tc := range tests {
		if got := Slot(tc.key); got != tc.want {
			t.Errorf("%s: Slot(%q) = %d; want %d", tc.name, tc.key, got, tc.want)
		}
	}
}

func TestTag(t *testing.T) {
	vectors := map[int]string{0: "3560", 1: "22179", 1469: "109757", 16383: "39296"}
	for slot, want := range vectors {
		if got := Tag(slot); got != want {
			t.Errorf("Tag(%d) = %q; want %q", slot, got, want)
		}
	}
	longest := ""
	for slot := range NumSlots {
		tag := Tag(slot)
		if got := Slot("anything{" + tag + "}"); got != slot {
			t.Fatalf("Slot(anything{Tag(%d)}) = %d; want %d", slot, got, slot)
		}
		if len(tag) > len(longest) {
			longest = tag
		}
	}
	if len(longest) > 6 {
		t.Errorf("longest tag %q; want at most 6 digits", longest)
	}
	// Smallest: no smaller integer maps to the slot.
	for _, slot := range []int{0, 1, 777, 9000, 16383} {
		n, _ := strconv.Atoi(Tag(slot))
		for m := range n {
			if Slot(strconv.Itoa(m)) == slot {
				t.Fatalf("Tag(%d) = %d, but %d also maps to the slot", slot, n, m)
			}
		}
	}
}

func TestTagPanics(t *testing.T) {
	for _, slot := range []int{-1, NumSlots} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Tag(%d) did not panic", slot)
				}
			}()
			Tag(slot)
		}()
	}
}

func TestShardOf(t *testing.T) {
	tests := []struct {
		sub  string
		n    int
		hash uint32
		want int
	}{
		{"", 12, 0x811C9DC5, 0x811C9DC5 % 12},
		{"a", 12, 0xE40C292C, 0xE40C292C % 12},
		{"foobar", 12, 0xBF9CF968, 4},
		{"user:1001", 12, fnv1a("user:1001"), 2},
		{"alice", 16, fnv1a("alice"), 7},
		{"anything", 1, fnv1a("anything"), 0},
	}
	for _, tc := range tests {
		if h := fnv1a(tc.sub); h != tc.hash {
			t.Errorf("fnv1a(%q) = %#08x; want %#08x", tc.sub, h, tc.hash)
		}
		if got := ShardOf(tc.sub, tc.n); got != tc.want {
			t.Errorf("ShardOf(%q, %d) = %d; want %d", tc.sub, tc.n, got, tc.want)
		}
	}
}

func TestShardKey(t *testing.T) {
	tests := []struct {
		key     string
		i, n    int
		cluster bool
		want    string
	}{
		{"views", 3, 12, false, "views#3/12"},
		{"views", 3, 12, true, "views#3/12{40750}"},
		{"pageviews", 0, 3, true, "pageviews#0/3{10205}"},
		{"pageviews", 1, 3, true, "pageviews#1/3{3074}"},
		{"pageviews", 2, 3, true, "pageviews#2/3{9625}"},
		{"a{b}", 0, 1, false, "a{b}#0/1"},
	}
	for _, tc := range tests {
		if got := ShardKey(tc.key, tc.i, tc.n, tc.cluster); got != tc.want {
			t.Errorf("ShardKey(%q, %d, %d, %v) = %q; want %q", tc.key, tc.i, tc.n, tc.cluster, got, tc.want)
		}
	}
	// Shard 0 is on the key's own slot; the others evenly spaced.
	for _, n := range []int{1, 2, 3, 7, 12, 100, MaxShards} {
		seen := make(map[int]bool, n)
		for i := range n {
			slot := ShardSlot("views", i, n)
			if want := (Slot("views") + i*NumSlots/n) % NumSlots; slot != want {
				t.Fatalf("ShardSlot(views, %d, %d) = %d; want %d", i, n, slot, want)
			}
			if seen[slot] {
				t.Fatalf("ShardSlot(views, %d, %d) = %d, a slot already taken", i, n, slot)
			}
			seen[slot] = true
			if n <= 12 {
				if got := Slot(ShardKey("views", i, n, true)); got != slot {
					t.Errorf("Slot(ShardKey(views, %d, %d)) = %d; want %d", i, n, got, slot)
				}
			}
		}
	}
}

// evenView returns the slot map of a cluster of p primaries owning equal
// contiguous ranges, as redistest and redis-cli create them.
func evenView(p int) *slotView {
	var slots []redis.ClusterSlot
	for i := range p {
		slots = append(slots, redis.ClusterSlot{
			Start: i * NumSlots / p, End: (i+1)*NumSlots/p - 1,
			Nodes: []redis.ClusterNode{{Addr: fmt.Sprintf("10.0.0.%d:6379", i+1)}},
		})
	}
	return newSlotView(slots)
}

// TestEvenSpread checks the placement promise for evenly split clusters:
// floor(n/p) or ceil(n/p) shards per primary, for many keys.
func TestEvenSpread(t *testing.T) {
	for _, p := range []int{1, 2, 3, 4, 5, 6, 9, 16} {
		v := evenView(p)
		for _, n := range []int{1, 2, 3, 4, 5, 8, 12, 16, 33} {
			for k := range 200 {
				key := "key:" + strconv.Itoa(k)
				count := make(map[int16]int)
				for i := range n {
					count[v.owner[ShardSlot(key, i, n)]]++
				}
				lo, hi := n/p, (n+p-1)/p
				if len(count) != min(n, p) {
					t.Fatalf("p=%d n=%d %s: %d distinct primaries; want %d", p, n, key, len(count), min(n, p))
				}
				for o, c := range count {
					if c < lo || c > hi {
						t.Fatalf("p=%d n=%d %s: primary %d holds %d shards; want %d to %d", p, n, key, o, c, lo, hi)
					}
				}
			}
		}
	}
}

func TestPlacementWarning(t *testing.T) {
	s := &Splitter{cluster: &redis.ClusterClient{}}
	uneven := newSlotView([]redis.ClusterSlot{
		{Start: 0, End: 16000, Nodes: []redis.ClusterNode{{Addr: "a:1"}}},
		{Start: 16001, End: 16200, Nodes: []redis.ClusterNode{{Addr: "b:1"}}},
		{Start: 16201, End: 16383, Nodes: []redis.ClusterNode{{Addr: "c:1"}}},
	})
	tests := []struct {
		name     string
		view     *slotView
		n        int
		distinct int
		warn     string // substring; "" for none
		spreadOK bool
	}{
		{"not read", nil, 3, 0, "not read yet", false},
		{"one per primary", evenView(3), 3, 3, "", true},
		{"fewer shards", evenView(3), 2, 2, "", true},
		{"more shards", evenView(3), 12, 3, "12 shards on 3 primaries: up to 4 shards share a primary", false},
		{"uneven map", uneven, 3, 2, "3 shards on 2 distinct primaries of 3", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.view.Store(tc.view)
			l := s.newLayout("views", tc.n)
			p := l.Placement()
			if p.Distinct != tc.distinct {
				t.Errorf("Distinct = %d; want %d", p.Distinct, tc.distinct)
			}
			if (tc.warn == "") != (p.Warning == "") || !strings.Contains(p.Warning, tc.warn) {
				t.Errorf("Warning = %q; want %q", p.Warning, tc.warn)
			}
			if err := p.Err(); (err == nil) != tc.spreadOK || (err != nil && !errors.Is(err, ErrSpread)) {
				t.Errorf("Err() = %v; want nil: %v", err, tc.spreadOK)
			}
		})
	}
}

func TestNearest(t *testing.T) {
	v := evenView(3)
	v.rtt = []time.Duration{5 * time.Millisecond, time.Millisecond, 9 * time.Millisecond}
	slots := make([]int, 6)
	for i := range slots {
		slots[i] = ShardSlot("views", i, 6)
	}
	got := v.nearest(slots)
	for _, i := range got {
		if v.owner[slots[i]] != 1 {
			t.Errorf("nearest picked copy %d on primary %d; want primary 1", i, v.owner[slots[i]])
		}
	}
	if len(got) != 2 {
		t.Errorf("nearest = %v; want the 2 copies on primary 1", got)
	}
	var none *slotView
	if got := none.nearest(slots); got != nil {
		t.Errorf("nearest without a map = %v; want nil", got)
	}
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		field string
	}{
		{"negative refresh", Options{RefreshInterval: -1}, "RefreshInterval"},
		{"negative wait replicas", Options{WaitReplicas: -1}, "WaitReplicas"},
		{"negative wait timeout", Options{WaitTimeout: -1}, "WaitTimeout"},
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	for _, tc := range tests {
		_, err := New(rdb, tc.opts)
		if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: New error = %v; want ErrInvalidOptions naming %s", tc.name, err, tc.field)
		}
	}
	ring := redis.NewRing(&redis.RingOptions{})
	defer ring.Close()
	if _, err := New(ring, Options{}); !errors.Is(err, ErrUnsupportedClient) {
		t.Errorf("New(ring) error = %v; want ErrUnsupportedClient", err)
	}
}

func TestObjectValidation(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	s, err := New(rdb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct {
		name  string
		make  func() error
		field string
	}{
		{"empty key", func() error { _, err := s.Counter("", CounterOptions{}); return err }, "key is empty"},
		{"negative shards", func() error { _, err := s.Counter("c", CounterOptions{Shards: -1}); return err }, "CounterOptions.Shards"},
		{"too many shards", func() error { _, err := s.Counter("c", CounterOptions{Shards: MaxShards + 1}); return err }, "CounterOptions.Shards"},
		{"negative ttl", func() error { _, err := s.Counter("c", CounterOptions{TTL: -1}); return err }, "CounterOptions.TTL"},
		{"sub-ms ttl", func() error { _, err := s.Counter("c", CounterOptions{TTL: 10}); return err }, "CounterOptions.TTL"},
		{"bad pick", func() error { _, err := s.Counter("c", CounterOptions{Pick: 7}); return err }, "CounterOptions.Pick"},
		{"client id without sticky", func() error { _, err := s.Counter("c", CounterOptions{ClientID: "x"}); return err }, "CounterOptions.ClientID"},
		{"value copies", func() error { _, err := s.Value("v", ValueOptions{Copies: -3}); return err }, "ValueOptions.Copies"},
		{"value read", func() error { _, err := s.Value("v", ValueOptions{Read: 9}); return err }, "ValueOptions.Read"},
		{"value tombstone", func() error { _, err := s.Value("v", ValueOptions{TombstoneTTL: -1}); return err }, "ValueOptions.TombstoneTTL"},
		{"set shards", func() error { _, err := s.Set("s", ShardedOptions{Shards: -1}); return err }, "ShardedOptions.Shards"},
		{"hash shards", func() error { _, err := s.Hash("h", ShardedOptions{Shards: MaxShards + 1}); return err }, "ShardedOptions.Shards"},
	}
	for _, tc := range tests {
		err := tc.make()
		if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: error = %v; want ErrInvalidOptions naming %s", tc.name, err, tc.field)
		}
	}
	// A standalone server takes keys with braces, and the default count.
	c, err := s.Counter("user:{42}:views", CounterOptions{})
	if err != nil {
		t.Fatalf("standalone Counter with a hash tag: %v", err)
	}
	if keys := c.Keys(); len(keys) != DefaultShards || keys[5] != "user:{42}:views#5/12" {
		t.Errorf("Keys() = %v; want %d keys like user:{42}:views#5/12", keys, DefaultShards)
	}
	if p := c.Placement(); p.Slots != nil || p.Warning != "" || p.Err() != nil {
		t.Errorf("standalone Placement() = %+v; want keys only", p)
	}
}
