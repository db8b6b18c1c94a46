package nearcache

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: connections'
// readers, nodes, the clock and the janitor must all stop with Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.DiscardHandler)

const pushK = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n"

// newFakeCache returns a cache on a fake server whose GET replies come from
// get, with an injected clock, once its first heartbeat has been answered.
func newFakeCache(t *testing.T, get func() string) (*Cache, *fakeServer, *fakeClock) {
	t.Helper()
	return newFakeCacheWith(t, func(int) string { return get() }, nil)
}

// newFakeCacheWith is newFakeCache with the i-th GET (from 0) answered by
// get(i), and the options changed by opts.
func newFakeCacheWith(t *testing.T, get func(i int) string, opts func(*Options)) (*Cache, *fakeServer, *fakeClock) {
	t.Helper()
	var gets atomic.Int64
	f := newFakeServer(t, func(cmd []string) string {
		if cmd[0] == "GET" {
			return get(int(gets.Add(1) - 1))
		}
		return defaultReply(cmd)
	})
	clk := newFakeClock()
	cfg := f.config()
	o := Options{
		Topology:     func(context.Context, string) (NodeConfig, error) { return cfg, nil },
		MaxStaleness: time.Hour, // heartbeats only when the test says
		TTL:          2 * time.Hour,
		Clock:        clk,
		Logger:       quiet,
	}
	if opts != nil {
		opts(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Connect(cfg); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() bool { n, _ := c.node(cfg); return n.deadline.Load() > 0 })
	return c, f, clk
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

func fillGet(t *testing.T, c *Cache) *Value {
	t.Helper()
	v, err := c.Fill(context.Background(), &Fill{Args: []string{"GET", "k"}, Keys: []string{"k"}, ID: IDGet})
	if err != nil {
		t.Fatalf("Fill: %v", err)
	}
	return v
}

// TestInvalidationOrder checks the ordering rule of the tracked connection:
// an invalidation before the read's reply concerns a write the read saw;
// one after it (before the fill's last reply) makes the value stale.
func TestInvalidationOrder(t *testing.T) {
	tests := []struct {
		name      string
		get       string
		published bool
	}{
		{"no invalidation", "$2\r\nv1\r\n", true},
		{"invalidation before the read reply", pushK + "$2\r\nv1\r\n", true},
		{"invalidation after the read reply", "$2\r\nv1\r\n" + pushK, false},
		{"null invalidation after the read reply", "$2\r\nv1\r\n>2\r\n$10\r\ninvalidate\r\n_\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := newFakeCache(t, func() string { return tt.get })
			if v := fillGet(t, c); v.Str != "v1" {
				t.Fatalf("Fill returned %+v; want v1", v)
			}
			_, _, ok := c.GetString("k")
			if ok != tt.published {
				t.Errorf("GetString(k) hit = %v; want %v (stats %+v)", ok, tt.published, c.Stats())
			}
		})
	}
}

func TestInvalidationRemovesEntry(t *testing.T) {
	c, f, _ := newFakeCache(t, func() string { return "$2\r\nv1\r\n" })
	fillGet(t, c)
	if _, _, ok := c.GetString("k"); !ok {
		t.Fatal("GetString(k) missed after the fill")
	}
	f.push(pushK)
	waitUntil(t, func() bool { _, _, ok := c.GetString("k"); return !ok })
	if st := c.Stats(); st.Invalidations != 1 {
		t.Errorf("Stats().Invalidations = %d; want 1", st.Invalidations)
	}
	fillGet(t, c)
	f.push(">2\r\n$10\r\ninvalidate\r\n_\r\n")
	waitUntil(t, func() bool { _, _, ok := c.GetString("k"); return !ok })
	if st := c.Stats(); st.Flushes[FlushServer] != 1 {
		t.Errorf("Stats().Flushes = %v; want one %v", st.Flushes, FlushServer)
	}
}

func TestExpiry(t *testing.T) {
	tests := []struct {
		name string
		pttl string
		ttl  time.Duration // how long the entry should live, at most
	}{
		// PTTL is up to a millisecond long (the server's clock is
		// truncated to the millisecond): one is taken off.
		{"server TTL shortens", ":50\r\n", 49 * time.Millisecond},
		{"no server TTL", ":-1\r\n", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t, func(cmd []string) string {
				switch cmd[0] {
				case "GET":
					return "$2\r\nv1\r\n"
				case "PTTL":
					return tt.pttl
				}
				return defaultReply(cmd)
			})
			clk := newFakeClock()
			cfg := f.config()
			c, err := New(Options{
				Topology:     func(context.Context, string) (NodeConfig, error) { return cfg, nil },
				MaxStaleness: 100 * time.Hour,
				Clock:        clk,
				TTLJitter:    -1,
				Logger:       quiet,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Connect(cfg)
			waitUntil(t, func() bool { n, _ := c.node(cfg); return n.deadline.Load() > 0 })
			fillGet(t, c)
			clk.advance(tt.ttl - time.Millisecond)
			if _, _, ok := c.GetString("k"); !ok {
				t.Fatalf("GetString(k) missed %v after the fill", tt.ttl-time.Millisecond)
			}
			clk.advance(time.Millisecond)
			if _, _, ok := c.GetString("k"); ok {
				t.Fatalf("GetString(k) hit %v after the fill; want expired", tt.ttl)
			}
		})
	}
}

// TestStalenessBound checks that entries stop being served once the last
// proof of a complete invalidation stream is older than MaxStaleness.
func TestStalenessBound(t *testing.T) {
	c, _, clk := newFakeCache(t, func() string { return "$2\r\nv1\r\n" })
	fillGet(t, c)
	if _, _, ok := c.GetString("k"); !ok {
		t.Fatal("GetString(k) missed after the fill")
	}
	clk.advance(time.Hour - time.Millisecond)
	if _, _, ok := c.GetString("k"); !ok {
		t.Fatal("GetString(k) missed before MaxStaleness")
	}
	clk.advance(time.Millisecond)
	if _, _, ok := c.GetString("k"); ok {
		t.Fatal("GetString(k) hit MaxStaleness after the last proof")
	}
}

// TestWriteGuard checks read-your-writes at the cache's level: a fill sent
// before a write through the client ended is not published, and the
// entry cached when the write ends is dropped.
func TestWriteGuard(t *testing.T) {
	release := make(chan struct{})
	sent := make(chan struct{}, 1)
	c, _, _ := newFakeCache(t, func() string {
		sent <- struct{}{}
		<-release
		return "$3\r\nold\r\n"
	})
	done := make(chan error)
	go func() {
		_, err := c.Fill(context.Background(), &Fill{Args: []string{"GET", "k"}, Keys: []string{"k"}, ID: IDGet})
		done <- err
	}()
	<-sent // the fill is on the wire
	c.BeginWrite("k")
	c.EndWrite("k")
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Fill: %v", err)
	}
	if _, _, ok := c.GetString("k"); ok {
		t.Error("a fill sent before a write ended was published")
	}
	// A fill that lands while a write is in flight serves the reads
	// concurrent with the write, and is gone when the write ends.
	c2, _, _ := newFakeCache(t, func() string { return "$3\r\nnew\r\n" })
	c2.BeginWrite("k")
	fillGet(t, c2)
	if _, _, ok := c2.GetString("k"); !ok {
		t.Error("a fill that landed while a write was in flight was not published")
	}
	c2.EndWrite("k")
	if _, _, ok := c2.GetString("k"); ok {
		t.Error("an entry filled while a write was in flight is served after the write ended")
	}
	fillGet(t, c2)
	if _, _, ok := c2.GetString("k"); !ok {
		t.Error("a fill sent after the write ended was not published")
	}
}
