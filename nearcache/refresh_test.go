package nearcache

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"
)

// bulk returns s as a RESP blob string.
func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

// count returns how many commands named name the fake server received.
func (f *fakeServer) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.cmds {
		if c[0] == name {
			n++
		}
	}
	return n
}

// refreshAll is the Options change that makes every key worth refreshing.
func refreshAll(o *Options) { o.Refresh = func(string) bool { return true } }

// gate answers GETs from vals, the i-th with vals[i] (the last for later
// ones); the GETs listed in block wait until their channel is closed and
// report on arrived when they reach the server.
type gate struct {
	vals    []string
	block   map[int]chan struct{}
	arrived chan int
}

func newGate(vals ...string) *gate {
	return &gate{vals: vals, block: map[int]chan struct{}{}, arrived: make(chan int, 16)}
}

func (g *gate) hold(i int) chan struct{} {
	ch := make(chan struct{})
	g.block[i] = ch
	return ch
}

func (g *gate) get(i int) string {
	if ch, ok := g.block[i]; ok {
		g.arrived <- i
		<-ch
	}
	return bulk(g.vals[min(i, len(g.vals)-1)])
}

// hit returns the value GetString serves for k, or "" on a miss.
func hit(c *Cache, k string) string {
	v, _, ok := c.GetString(k)
	if !ok {
		return ""
	}
	return v
}

// TestRefreshOnInvalidation checks that a cached key that the server says
// changed is read again at once, without a miss asking for it.
func TestRefreshOnInvalidation(t *testing.T) {
	g := newGate("v1", "v2")
	c, f, _ := newFakeCacheWith(t, g.get, refreshAll)
	fillGet(t, c)
	f.push(pushK)
	waitUntil(t, func() bool { return hit(c, "k") == "v2" })
	st := c.Stats()
	if st.Refreshes != 1 || st.Invalidations != 1 || st.Fills != 2 {
		t.Errorf("Stats: refreshes %d, invalidations %d, fills %d; want 1, 1, 2", st.Refreshes, st.Invalidations, st.Fills)
	}

	// Without Options.Refresh, nothing is read until a miss fills.
	g2 := newGate("v1", "v2")
	c2, f2, _ := newFakeCacheWith(t, g2.get, nil)
	fillGet(t, c2)
	f2.push(pushK)
	waitUntil(t, func() bool { return c2.Stats().Invalidations == 1 })
	if got := c2.Stats().Refreshes; got != 0 || f2.count("GET") != 1 {
		t.Errorf("without Refresh: %d refreshes, %d GETs; want 0, 1", got, f2.count("GET"))
	}
}

// TestRefreshRacingWrite checks that a refresh in flight when a write
// through the client ends is not published (it may have read the value
// from before the write), and that the key is read again after the write.
func TestRefreshRacingWrite(t *testing.T) {
	g := newGate("v0", "v1", "v2")
	first, second := g.hold(1), g.hold(2)
	c, f, _ := newFakeCacheWith(t, g.get, refreshAll)
	fillGet(t, c)
	f.push(pushK)
	<-g.arrived // the refresh is at the server
	c.BeginWrite("k")
	c.EndWrite("k")
	close(first)
	waitUntil(t, func() bool { return c.Stats().Discarded == 1 })
	if v := hit(c, "k"); v != "" {
		t.Fatalf("GetString(k) = %q after a refresh raced with a write; want a miss", v)
	}
	<-g.arrived // the refresh sent by EndWrite
	close(second)
	waitUntil(t, func() bool { return hit(c, "k") == "v2" })
	if st := c.Stats(); st.Refreshes != 2 {
		t.Errorf("Stats().Refreshes = %d; want 2", st.Refreshes)
	}
}

// TestRefreshInvalidatedAfterRead checks the ordering rule for refreshes:
// an invalidation after the refresh's read reply (and before its last
// reply) keeps it from being published, and starts no further refresh
// while no entry exists (no refresh storm for a key written
// continuously).
func TestRefreshInvalidatedAfterRead(t *testing.T) {
	c, f, _ := newFakeCacheWith(t, func(i int) string {
		if i == 1 {
			return bulk("v1") + pushK + pushK
		}
		return bulk("v" + strconv.Itoa(i))
	}, refreshAll)
	fillGet(t, c)
	f.push(pushK)
	waitUntil(t, func() bool { return c.Stats().Discarded == 1 })
	if v := hit(c, "k"); v != "" {
		t.Errorf("GetString(k) = %q; want a miss: the refresh was invalidated after its read", v)
	}
	if st := c.Stats(); st.Refreshes != 1 || f.count("GET") != 2 {
		t.Errorf("%d refreshes, %d GETs; want 1, 2", st.Refreshes, f.count("GET"))
	}
}

// TestRefreshWaitsForWrite checks that a key invalidated while a write
// through the client is in flight is refreshed when the write ends, not
// before (the refresh could not be published).
func TestRefreshWaitsForWrite(t *testing.T) {
	g := newGate("v0", "v1", "v2")
	c, f, _ := newFakeCacheWith(t, g.get, refreshAll)
	fillGet(t, c)
	c.BeginWrite("k")
	if v := hit(c, "k"); v != "v0" {
		t.Errorf("GetString(k) during the write = %q; want v0 (a read concurrent with a write may see either)", v)
	}
	f.push(pushK)
	waitUntil(t, func() bool { return c.Stats().Invalidations == 1 })
	if n := f.count("GET"); n != 1 {
		t.Errorf("%d GETs while the write is in flight; want 1", n)
	}
	c.EndWrite("k")
	waitUntil(t, func() bool { return hit(c, "k") == "v1" })

	// The write's own end drops the entry and refreshes it, whether or
	// not the server's invalidation has arrived.
	c.BeginWrite("k")
	c.EndWrite("k")
	if v := hit(c, "k"); v == "v1" {
		t.Error("the entry from before the write is served after EndWrite")
	}
	waitUntil(t, func() bool { return hit(c, "k") == "v2" && c.Stats().Refreshes == 2 })
}

// TestMaxRefreshes checks the per-node bound on refreshes in flight.
func TestMaxRefreshes(t *testing.T) {
	g := newGate("a0", "b0", "a1", "b1")
	release := g.hold(2)
	c, f, _ := newFakeCacheWith(t, g.get, func(o *Options) {
		refreshAll(o)
		o.MaxRefreshes = 1
	})
	for _, k := range []string{"a", "b"} {
		if _, err := c.Fill(context.Background(), &Fill{Args: []string{"GET", k}, Keys: []string{k}, ID: IDGet}); err != nil {
			t.Fatal(err)
		}
	}
	f.push(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n")
	<-g.arrived // a's refresh holds the only slot
	f.push(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nb\r\n")
	waitUntil(t, func() bool { return c.Stats().Invalidations == 2 })
	close(release)
	waitUntil(t, func() bool { return hit(c, "a") == "a1" })
	st := c.Stats()
	if st.Refreshes != 1 || st.RefreshesLimited != 1 || hit(c, "b") != "" {
		t.Errorf("refreshes %d, limited %d, b cached %q; want 1, 1, none", st.Refreshes, st.RefreshesLimited, hit(c, "b"))
	}
}

// TestSingleFlight checks that concurrent misses of a key share one read.
func TestSingleFlight(t *testing.T) {
	g := newGate("v1")
	release := g.hold(0)
	c, f, _ := newFakeCacheWith(t, g.get, nil)
	const n = 8
	var wg sync.WaitGroup
	vals := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			v, err := c.Fill(context.Background(), &Fill{Args: []string{"GET", "k"}, Keys: []string{"k"}, ID: IDGet})
			if err == nil {
				vals[i] = v.Str
			}
			errs[i] = err
		})
	}
	waitUntil(t, func() bool { return c.Stats().Joined == n-1 })
	close(release)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || vals[i] != "v1" {
			t.Errorf("Fill %d = %q, %v; want v1", i, vals[i], errs[i])
		}
	}
	if got := f.count("GET"); got != 1 {
		t.Errorf("%d GETs for %d concurrent misses; want 1", got, n)
	}
	if v := hit(c, "k"); v != "v1" {
		t.Errorf("GetString(k) = %q; want v1", v)
	}
}

// queued returns the number of requests waiting for replies on the fill
// connection of c's only node.
func queued(c *Cache) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		s, _ := n.session()
		if s == nil {
			return 0
		}
		s.fill.mu.Lock()
		defer s.fill.mu.Unlock()
		return len(s.fill.queue)
	}
	return 0
}

// TestNoJoin checks when a miss must send its own read rather than share
// the one in flight: a write through the client ended after that read was
// sent (read-your-writes), or it was sent MaxStaleness/2 ago or more.
func TestNoJoin(t *testing.T) {
	tests := []struct {
		name  string
		after func(*Cache, *fakeClock)
	}{
		{"write ended since", func(c *Cache, _ *fakeClock) { c.BeginWrite("k"); c.EndWrite("k") }},
		{"sent too long ago", func(c *Cache, clk *fakeClock) { clk.advance(30 * time.Minute) }}, // MaxStaleness is an hour
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGate("old", "new")
			release := g.hold(0)
			c, f, clk := newFakeCacheWith(t, g.get, nil)
			first := make(chan string)
			go func() {
				v, _ := c.Fill(context.Background(), &Fill{Args: []string{"GET", "k"}, Keys: []string{"k"}, ID: IDGet})
				first <- v.Str
			}()
			<-g.arrived
			tt.after(c, clk)
			second := make(chan string)
			go func() {
				v, _ := c.Fill(context.Background(), &Fill{Args: []string{"GET", "k"}, Keys: []string{"k"}, ID: IDGet})
				second <- v.Str
			}()
			waitUntil(t, func() bool { return queued(c) == 2 })
			close(release)
			if a, b := <-first, <-second; a != "old" || b != "new" {
				t.Errorf("fills = %q, %q; want old, new", a, b)
			}
			if st := c.Stats(); st.Joined != 0 || f.count("GET") != 2 {
				t.Errorf("joined %d, GETs %d; want 0, 2", st.Joined, f.count("GET"))
			}
		})
	}
}

// TestRefreshOverlappingWrites checks that the end of each write through
// the client reads the key again at once, even while another write to it
// is in flight: the value serves the reads concurrent with that write,
// and its end drops it and reads the key again.
func TestRefreshOverlappingWrites(t *testing.T) {
	g := newGate("v0", "v1", "v2")
	c, _, _ := newFakeCacheWith(t, g.get, refreshAll)
	fillGet(t, c)
	c.BeginWrite("k")
	c.BeginWrite("k")
	c.EndWrite("k")
	waitUntil(t, func() bool { return hit(c, "k") == "v1" })
	c.EndWrite("k")
	if v := hit(c, "k"); v == "v1" {
		t.Fatal("the value read while the second write was in flight is served after it ended")
	}
	waitUntil(t, func() bool { return hit(c, "k") == "v2" })
	if st := c.Stats(); st.Refreshes != 2 {
		t.Errorf("Stats().Refreshes = %d; want 2, one per write", st.Refreshes)
	}
}
