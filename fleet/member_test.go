package fleet_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
)

// manual returns options for a member on an injected clock: no
// goroutines, Publish and Sync by hand.
func manual(name string, clk heat.Clock) fleet.Options {
	return fleet.Options{Instance: name, Clock: clk, Stream: "test:fleet", Interval: 100 * time.Millisecond,
		Rules: fleet.Rules{MinRate: 60, MinShare: -1, MinHot: 100 * time.Millisecond}}
}

// TestWarmEverywhereHotFleetWide: a key at 30 ops/s on each of three
// instances is warm on each but hot across the fleet (90 ops/s against a
// fleet rule of 60), on every member, with events.
func TestWarmEverywhereHotFleetWide(t *testing.T) {
	c := redistest.NewServer(t, redistest.ServerOptions{}).Client()
	clk := heat.NewFakeClock(time.Now())
	var ms []*fleet.Member
	var subs []*fleet.Subscription
	for i := range 3 {
		src := newSource(1000, ks("cart:config", 30), ks(fmt.Sprintf("user:%d", i), 40))
		m := join(t, c, src, manual(fmt.Sprintf("api-%d", i), clk))
		ms = append(ms, m)
		subs = append(subs, m.Subscribe(8))
	}
	publish(t, ms...)
	syncAll(t, ms...)
	for i, m := range ms {
		if !m.IsHot("cart:config") || m.IsHot("user:0") || m.IsHot("cart:config:x") {
			t.Errorf("member %d: IsHot cart:config %v, user:0 %v, cart:config:x %v; want true, false, false",
				i, m.IsHot("cart:config"), m.IsHot("user:0"), m.IsHot("cart:config:x"))
		}
		top := m.Top(2)
		want := heat.KeyStat{Key: "cart:config", Rate: 90, Low: 90, High: 90, ReadRate: 90, Share: 0.03, Hot: true, HotSince: clk.Now()}
		if len(top) != 2 || !sameStat(top[0], want) || top[1].Rate != 40 || top[1].High != 40+40+40 {
			t.Errorf("member %d: Top(2) = %+v; want %+v first, then a user key at 40 (High 120)", i, top, want)
		}
		if tot := m.Totals(); tot.Rate != 3000 {
			t.Errorf("member %d: Totals().Rate = %v; want 3000", i, tot.Rate)
		}
		if got := ids(m.Instances()); !slices.Equal(got, []string{"api-0", "api-1", "api-2"}) {
			t.Errorf("member %d: instances %v", i, got)
		}
		select {
		case ev := <-subs[i].C:
			if ev.Kind != heat.Hot || ev.Key != "cart:config" || ev.Instances != 3 || ev.Rate != 90 {
				t.Errorf("member %d: event %+v; want cart:config hot on 3 instances at 90/s", i, ev)
			}
		default:
			t.Errorf("member %d: no hot event", i)
		}
	}

	// One instance's traffic for the key stops: 60 is still hot (the
	// hysteresis keeps it down to 30); at 20 it cools.
	ms[0].Close()
	clk.Add(200 * time.Millisecond)
	syncAll(t, ms[1:]...)
	if !ms[1].IsHot("cart:config") {
		t.Error("cart:config cooled at 60 ops/s; want it hot until below 30")
	}
	// The rest leave and a new instance sees the key at 10 ops/s.
	src := newSource(1000, ks("cart:config", 10))
	m3 := join(t, c, src, manual("api-3", clk))
	for _, m := range ms[1:] {
		m.Close()
	}
	publish(t, m3)
	clk.Add(200 * time.Millisecond) // past MinHot
	syncAll(t, m3)
	if m3.IsHot("cart:config") || m3.Stats().Left != 3 {
		t.Errorf("cart:config hot %v with %d instances gone; want cooled after 3 left", m3.IsHot("cart:config"), m3.Stats().Left)
	}
	for ev := range subs[1].C { // closed by the member's Close
		t.Errorf("member 1: event %+v after the first", ev)
	}
}

func sameStat(a, b heat.KeyStat) bool {
	return a.Key == b.Key && a.Hot == b.Hot && a.HotSince.Equal(b.HotSince) &&
		near(a.Rate, b.Rate) && near(a.High, b.High) && near(a.Share, b.Share) && near(a.ReadRate, b.ReadRate)
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestJoinAndLeave runs real members: one that joins sees the fleet as
// soon as Join returns, the others see it within a few intervals, and one
// that leaves is dropped at once, long before its TTL.
func TestJoinAndLeave(t *testing.T) {
	c := redistest.NewServer(t, redistest.ServerOptions{}).Client()
	opts := func(name string) fleet.Options {
		return fleet.Options{Instance: name, Interval: 20 * time.Millisecond, TTL: 30 * time.Second}
	}
	a := join(t, c, newSource(100, ks("a", 10)), opts("a"))
	waitFor(t, "a sees itself", func() bool { return len(a.Instances()) == 1 })
	b := join(t, c, newSource(100, ks("b", 10)), opts("b"))
	if got := ids(b.Instances()); !slices.Contains(got, "a") {
		t.Errorf("b's instances right after Join: %v; want a among them", got)
	}
	waitFor(t, "a sees b", func() bool { return slices.Equal(ids(a.Instances()), []string{"a", "b"}) })
	obs := join(t, c, nil, opts("observer"))
	if err := obs.Publish(t.Context()); !errors.Is(err, fleet.ErrNoSource) {
		t.Errorf("observer's Publish = %v; want ErrNoSource", err)
	}
	start := time.Now()
	b.Close()
	waitFor(t, "a drops b", func() bool { return slices.Equal(ids(a.Instances()), []string{"a"}) })
	waitFor(t, "the observer drops b", func() bool { return slices.Equal(ids(obs.Instances()), []string{"a"}) })
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("b dropped after %v; want at once, not after its 30s TTL", d)
	}
	if st := a.Stats(); st.Left != 1 || st.Joined != 2 || st.Expired != 0 || st.Published == 0 || st.PublishErrors != 0 {
		t.Errorf("a's stats %+v; want 2 joined, 1 left, none expired, publishes without errors", st)
	}
}

// TestDeadInstanceAgesOut: an instance that stops publishing without
// leaving (a crash) drops out TTL after its last summary, with its keys.
func TestDeadInstanceAgesOut(t *testing.T) {
	c := redistest.NewServer(t, redistest.ServerOptions{}).Client()
	t.Run("injected clock", func(t *testing.T) {
		clk := heat.NewFakeClock(time.Now())
		o := manual("a", clk)
		o.TTL = time.Second
		a := join(t, c, newSource(100), o)
		dead := join(t, c, newSource(1000, ks("k", 100)), manual("dead", heat.NewFakeClock(time.Now())))
		sub := a.Subscribe(8)
		publish(t, a, dead)
		syncAll(t, a)
		if !a.IsHot("k") || len(a.Instances()) != 2 {
			t.Fatalf("k hot %v with instances %v; want hot with 2", a.IsHot("k"), ids(a.Instances()))
		}
		clk.Add(500 * time.Millisecond)
		publish(t, a) // a lives on; dead publishes no more
		syncAll(t, a)
		if len(a.Instances()) != 2 {
			t.Errorf("dead dropped after half its TTL")
		}
		clk.Add(600 * time.Millisecond)
		syncAll(t, a)
		if got := ids(a.Instances()); !slices.Equal(got, []string{"a"}) || a.IsHot("k") {
			t.Errorf("after TTL: instances %v, k hot %v; want [a] and not hot", got, a.IsHot("k"))
		}
		if st := a.Stats(); st.Expired != 1 {
			t.Errorf("Stats().Expired = %d; want 1", st.Expired)
		}
		<-sub.C // hot
		if ev := <-sub.C; ev.Kind != heat.Cooled || ev.Key != "k" || ev.HotFor != 1100*time.Millisecond {
			t.Errorf("event %+v; want k cooled after 1.1s", ev)
		}
	})
	t.Run("real clock", func(t *testing.T) {
		// A TTL of a few hundred milliseconds, so that a hiccup of the
		// race detector cannot age a summary before a first reads it.
		a := join(t, c, newSource(100), fleet.Options{Instance: "a", Stream: "test:dead", Interval: 50 * time.Millisecond, TTL: 400 * time.Millisecond})
		if err := c.XAdd(t.Context(), &redis.XAddArgs{Stream: "test:dead", Values: []any{"v", "9"}}).Err(); err != nil {
			t.Fatal(err)
		}
		o := manual("dead", heat.NewFakeClock(time.Now()))
		o.Stream = "test:dead"
		dead := join(t, c, newSource(100), o)
		publish(t, dead) // once: then it dies
		waitFor(t, "a sees dead", func() bool { return len(a.Instances()) == 2 })
		waitFor(t, "dead ages out", func() bool { return len(a.Instances()) == 1 })
		if st := a.Stats(); st.Expired != 1 || st.UnknownVersion != 1 {
			t.Errorf("Stats() = %+v; want 1 expired, 1 unknown version", st)
		}
	})
}

// TestMalformedEntries: entries another version (or a bug) wrote are
// skipped and counted; the members carry on.
func TestMalformedEntries(t *testing.T) {
	c := redistest.NewServer(t, redistest.ServerOptions{}).Client()
	clk := heat.NewFakeClock(time.Now())
	a := join(t, c, newSource(100, ks("k", 90)), manual("a", clk))
	bad := [][]any{
		{"v", "2", "payload", "{\"json\": true}"},
		{"hello", "world"},
		{"v", "1"},
		{"v", "1", "i", "x", "q", "1", "t", "0", "d", "\x00\x05"},
		{"v", "1", "i", "x", "q", "1", "t", "0", "d", "\x00\x00\x00\xff\xff\xff\xff\x0f"},
		{"v", "1", "i", "", "q", "1", "t", "0", "d", "\x00\x00\x00\x00"},
	}
	for _, v := range bad {
		if err := c.XAdd(t.Context(), &redis.XAddArgs{Stream: "test:fleet", Values: v}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	publish(t, a)
	syncAll(t, a)
	st := a.Stats()
	if st.UnknownVersion != 1 || st.Malformed != 5 || st.Received != 1 {
		t.Errorf("Stats() = %+v; want 1 unknown version, 5 malformed, 1 received", st)
	}
	if !a.IsHot("k") || len(a.Instances()) != 1 {
		t.Errorf("k hot %v, instances %v; want the good summary applied", a.IsHot("k"), ids(a.Instances()))
	}
	// A member joining now reads the same entries at Join.
	b := join(t, c, nil, manual("b", clk))
	if st := b.Stats(); st.UnknownVersion != 1 || st.Malformed != 5 || !b.IsHot("k") {
		t.Errorf("joining member: Stats() = %+v, k hot %v; want the same counts and k hot", st, b.IsHot("k"))
	}
}

// TestSkewedClocks: instances whose clocks are an hour ahead or behind
// (and a reader whose own clock is a day behind) are merged and aged by
// the server's clock, not by theirs.
func TestSkewedClocks(t *testing.T) {
	c := redistest.NewServer(t, redistest.ServerOptions{}).Client()
	now := time.Now()
	readerClk := heat.NewFakeClock(now.Add(-24 * time.Hour))
	o := manual("reader", readerClk)
	o.TTL = time.Second
	reader := join(t, c, nil, o)
	ahead := join(t, c, newSource(500, ks("k", 40)), manual("ahead", heat.NewFakeClock(now.Add(time.Hour))))
	behind := join(t, c, newSource(500, ks("k", 40)), manual("behind", heat.NewFakeClock(now.Add(-time.Hour))))
	publish(t, ahead, behind)
	syncAll(t, reader)
	infos := reader.Instances()
	if len(infos) != 2 || !reader.IsHot("k") {
		t.Fatalf("instances %+v, k hot %v; want both instances and k hot at 80/s", infos, reader.IsHot("k"))
	}
	for _, in := range infos {
		if in.Age > 500*time.Millisecond {
			t.Errorf("%s: Age %v; want the time since its summary reached the server", in.ID, in.Age)
		}
		if skew := in.SentAt.Sub(now); (in.ID == "ahead") != (skew > 30*time.Minute) {
			t.Errorf("%s: SentAt %v off by %v; want it shown as sent", in.ID, in.SentAt, skew)
		}
	}
	readerClk.Add(500 * time.Millisecond)
	syncAll(t, reader)
	if len(reader.Instances()) != 2 {
		t.Errorf("instances dropped within their TTL")
	}
	readerClk.Add(time.Second)
	syncAll(t, reader)
	if n := len(reader.Instances()); n != 0 || reader.IsHot("k") {
		t.Errorf("%d instances and k hot %v after the TTL; want none", n, reader.IsHot("k"))
	}
}

// TestStreamTrimming: the stream stays near MaxLen, a reader that fell
// behind the trimmed part counts the summaries it missed, and a member
// joining later reads the recent ones.
func TestStreamTrimming(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"stream-node-max-entries 10"}})
	c := srv.Client()
	clk := heat.NewFakeClock(time.Now())
	o := manual("writer", clk)
	o.MaxLen = 20
	w := join(t, c, newSource(100, ks("k", 100)), o)
	o = manual("reader", clk)
	o.TTL = time.Hour
	r := join(t, c, nil, o)
	publish(t, w)
	syncAll(t, r)
	for range 200 {
		publish(t, w)
	}
	n, err := c.XLen(t.Context(), "test:fleet").Result()
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 || n > 30 {
		t.Errorf("XLEN = %d after 201 publishes with MaxLen 20; want 20 to 30", n)
	}
	syncAll(t, r)
	st := r.Stats()
	if st.Gaps < 170 || st.Received != 1+uint64(n) || len(r.Instances()) != 1 {
		t.Errorf("reader: Stats() = %+v; want about 180 gaps, %d received, the writer live", st, 1+n)
	}
	if got := r.Instances()[0].Seq; got != 201 {
		t.Errorf("reader sees summary %d; want 201", got)
	}
	late := join(t, c, nil, manual("late", clk))
	if !late.IsHot("k") {
		t.Errorf("a member joining after trimming does not see k hot")
	}
	if st := w.Stats(); st.Published != 201 || st.LastSummaryBytes == 0 || st.PublishedBytes < 201*uint64(st.LastSummaryBytes-2) {
		t.Errorf("writer: Stats() = %+v", st)
	}
}

// TestTruncatedKeys: keys the trackers kept a prefix of are hot for every
// key with that prefix.
func TestTruncatedKeys(t *testing.T) {
	c := redistest.NewServer(t, redistest.ServerOptions{}).Client()
	clk := heat.NewFakeClock(time.Now())
	prefix := strings.Repeat("p", 64)
	k := ks(prefix, 100)
	k.Truncated = true
	a := join(t, c, newSource(200, k, ks("\x00\xffbin", 100)), manual("a", clk))
	publish(t, a)
	syncAll(t, a)
	for key, want := range map[string]bool{prefix + "-tail": true, prefix + "-other": true, prefix: false, "\x00\xffbin": true, "\x00\xff": false} {
		if got := a.IsHot(key); got != want {
			t.Errorf("IsHot(%q) = %v; want %v", key, got, want)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() {
		a.IsHot(prefix + "-tail"[:0])
		a.IsHot("\x00\xffbin")
		a.IsHot("cold")
	}); allocs != 0 {
		t.Errorf("IsHot allocates %v times per call; want 0", allocs)
	}
}

// TestCluster: the stream on one slot of a Redis Cluster, named with a
// hash tag.
func TestCluster(t *testing.T) {
	cl := redistest.NewCluster(t, redistest.ClusterOptions{})
	clk := heat.NewFakeClock(time.Now())
	var ms []*fleet.Member
	for i := range 2 {
		o := manual(fmt.Sprint(i), clk)
		o.Stream = "{app}:redhot:fleet"
		ms = append(ms, join(t, cl.Client(), newSource(100, ks("k", 40)), o))
	}
	publish(t, ms...)
	syncAll(t, ms...)
	for i, m := range ms {
		if !m.IsHot("k") || len(m.Instances()) != 2 {
			t.Errorf("member %d: k hot %v, instances %v; want hot with 2", i, m.IsHot("k"), ids(m.Instances()))
		}
	}
}

func TestJoinInvalid(t *testing.T) {
	cases := []struct {
		name  string
		opts  fleet.Options
		field string
	}{
		{"interval", fleet.Options{Interval: time.Millisecond}, "Interval"},
		{"ttl", fleet.Options{Interval: time.Second, TTL: time.Millisecond}, "TTL"},
		{"max len", fleet.Options{MaxLen: -1}, "MaxLen"},
		{"top k", fleet.Options{TopK: 10_001}, "TopK"},
		{"instance", fleet.Options{Instance: strings.Repeat("x", 257)}, "Instance"},
		{"min rate", fleet.Options{MinRate: -1}, "MinRate"},
		{"share", fleet.Options{Rules: fleet.Rules{MinShare: 2}}, "Rules.MinShare"},
		{"no rule", fleet.Options{Rules: fleet.Rules{MinShare: -1, MinRate: -1}}, "Rules"},
		{"cool ratio", fleet.Options{Rules: fleet.Rules{CoolRatio: -1}}, "Rules.CoolRatio"},
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer c.Close()
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			_, err := fleet.Join(t.Context(), c, nil, cs.opts)
			if !errors.Is(err, fleet.ErrInvalidOptions) || !strings.Contains(err.Error(), "Options."+cs.field) {
				t.Errorf("Join = %v; want ErrInvalidOptions naming %s", err, cs.field)
			}
		})
	}
	if _, err := fleet.Join(t.Context(), nil, nil, fleet.Options{}); !errors.Is(err, fleet.ErrInvalidOptions) {
		t.Errorf("Join(nil client) = %v; want ErrInvalidOptions", err)
	}
	// Nothing listens on port 1.
	if _, err := fleet.Join(t.Context(), c, nil, fleet.Options{}); err == nil || !strings.Contains(err.Error(), "fleet: join redhot:fleet") {
		t.Errorf("Join with the server down = %v; want an error naming the stream", err)
	}
}

func BenchmarkIsHot(b *testing.B) {
	c := redistest.NewServer(b, redistest.ServerOptions{}).Client()
	clk := heat.NewFakeClock(time.Now())
	var keys []heat.KeyStat
	for i := range 20 {
		keys = append(keys, ks(fmt.Sprintf("product:%d", i), 100))
	}
	m, err := fleet.Join(b.Context(), c, newSource(1000, keys...), manual("a", clk))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if err := m.Publish(b.Context()); err != nil {
		b.Fatal(err)
	}
	if err := m.Sync(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.IsHot("product:7")
			m.IsHot("user:123456")
		}
	})
}

// TestJoinAgesByServerClock: summaries read at Join are as old as the
// server's clock says, even when no newer entry comes with them.
func TestJoinAgesByServerClock(t *testing.T) {
	c := redistest.NewServer(t, redistest.ServerOptions{}).Client()
	now, err := c.Time(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	// An instance's last summary, 600 ms old by the server's clock.
	id := fmt.Sprintf("%d-0", now.Add(-600*time.Millisecond).UnixMilli())
	if err := c.XAdd(t.Context(), &redis.XAddArgs{Stream: "test:fleet", ID: id,
		Values: []any{"v", "1", "i", "gone", "q", "1", "t", "0", "d", "\x00\x00\x00\x00"}}).Err(); err != nil {
		t.Fatal(err)
	}
	clk := heat.NewFakeClock(time.Now())
	o := manual("a", clk)
	o.TTL = time.Second
	a := join(t, c, nil, o)
	if got := a.Instances(); len(got) != 1 || got[0].ID != "gone" || got[0].Age < 550*time.Millisecond {
		t.Fatalf("instances at Join: %+v; want gone, about 600ms old", got)
	}
	clk.Add(450 * time.Millisecond)
	syncAll(t, a)
	if got := ids(a.Instances()); len(got) != 0 {
		t.Errorf("instances 1.05s after the last summary: %v; want none", got)
	}
}
