package heat

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Unix(1_700_000_000, 0)

// newFake returns a tracker on a fake clock with one stripe, so that tests
// are deterministic.
func newFake(t testing.TB, o Options) (*Tracker, *FakeClock) {
	t.Helper()
	clk := NewFakeClock(epoch)
	o.Clock = clk
	if o.Stripes == 0 {
		o.Stripes = 1
	}
	tr, err := New(o)
	if err != nil {
		t.Fatalf("New(%+v) = %v", o, err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr, clk
}

func TestOptionsValidation(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		field string // "" when valid
	}{
		{"zero value", Options{}, ""},
		{"negative capacity", Options{Capacity: -1}, "Capacity"},
		{"tiny window", Options{Window: time.Microsecond}, "Window"},
		{"negative key bytes", Options{MaxKeyBytes: -3}, "MaxKeyBytes"},
		{"too many stripes", Options{Stripes: 1000}, "Stripes"},
		{"negative sketch", Options{SketchCounters: -1}, "SketchCounters"},
		{"negative resolution", Options{Resolution: -time.Second}, "Resolution"},
		{"negative eval interval", Options{EvalInterval: -time.Second}, "EvalInterval"},
		{"NaN rate", Options{Rules: Rules{MinRate: math.NaN()}}, "Rules.MinRate"},
		{"share above one", Options{Rules: Rules{MinShare: 1.5}}, "Rules.MinShare"},
		{"negative top k", Options{Rules: Rules{TopK: -1}}, "Rules.TopK"},
		{"cool ratio above one", Options{Rules: Rules{CoolRatio: 2}}, "Rules.CoolRatio"},
		{"negative min hot", Options{Rules: Rules{MinHot: -time.Second}}, "Rules.MinHot"},
		{"no rule", Options{Rules: Rules{MinRate: -1, MinShare: -1}}, "Rules"},
		{"top k only", Options{Rules: Rules{MinRate: -1, MinShare: -1, TopK: 5}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.Clock = NewFakeClock(epoch)
			tr, err := New(o)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("New() = %v; want no error", err)
				}
				tr.Close()
				return
			}
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tc.field+" =") {
				t.Fatalf("New() = %v; want ErrInvalidOptions naming %s", err, tc.field)
			}
		})
	}
}

func TestOptionsNotMutated(t *testing.T) {
	o := Options{Clock: NewFakeClock(epoch)}
	tr, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if o.Capacity != 0 || o.Window != 0 {
		t.Fatalf("New changed the caller's options: %+v", o)
	}
	if got := tr.Options(); got.Capacity != 1000 || got.Window != time.Second || got.Rules.MinShare != 0.01 {
		t.Fatalf("Options() = %+v; want defaults filled in", got)
	}
}

func TestRatesMatchSteadyTraffic(t *testing.T) {
	tr, clk := newFake(t, Options{Capacity: 16})
	// 1000 accesses per second to "a", 100 to "b", for 10 windows.
	for i := 0; i < 10_000; i++ {
		tr.Observe("a", Read)
		if i%10 == 0 {
			tr.Observe("b", Write)
		}
		clk.Add(time.Millisecond)
	}
	top := tr.Top(2)
	if len(top) != 2 || top[0].Key != "a" || top[1].Key != "b" {
		t.Fatalf("Top(2) = %+v; want a then b", top)
	}
	if r := top[0].Rate; math.Abs(r-1000)/1000 > 0.01 {
		t.Errorf("rate of a = %.1f; want 1000 ±1%%", r)
	}
	if r := top[1].Rate; math.Abs(r-100)/100 > 0.02 {
		t.Errorf("rate of b = %.1f; want 100 ±2%%", r)
	}
	if top[1].WriteRate != top[1].Rate || top[1].ReadRate != 0 {
		t.Errorf("b read/write = %.1f/%.1f; want all writes", top[1].ReadRate, top[1].WriteRate)
	}
	if top[0].WriteRate != 0 {
		t.Errorf("a write rate = %.1f; want 0", top[0].WriteRate)
	}
	tot := tr.Totals()
	if math.Abs(tot.Rate-1100)/1100 > 0.01 {
		t.Errorf("Totals().Rate = %.1f; want 1100 ±1%%", tot.Rate)
	}
	if s := top[0].Share; math.Abs(s-1000.0/1100) > 0.01 {
		t.Errorf("share of a = %.3f; want %.3f", s, 1000.0/1100)
	}
	if top[0].Low > top[0].Rate || top[0].High < top[0].Rate {
		t.Errorf("band [%.1f, %.1f] does not hold rate %.1f", top[0].Low, top[0].High, top[0].Rate)
	}
}

func TestRatesDecayWhenTrafficStops(t *testing.T) {
	tr, clk := newFake(t, Options{Capacity: 16})
	for i := 0; i < 5000; i++ {
		tr.Observe("was-hot", Read)
		clk.Add(time.Millisecond)
	}
	before := tr.Estimate("was-hot").Rate
	clk.Add(10 * time.Second) // ten windows of silence
	tr.Observe("now-hot", Read)
	after := tr.Estimate("was-hot").Rate
	if before < 900 || after > before*math.Exp(-9) {
		t.Fatalf("rate before %.1f after 10 windows %.4f; want ~1000 then below %.4f", before, after, before*math.Exp(-9))
	}
}

func TestHotAndCooledEvents(t *testing.T) {
	tr, clk := newFake(t, Options{Capacity: 64, Rules: Rules{MinShare: 0.05, MinRate: 10, MinHot: 2 * time.Second}})
	sub := tr.Subscribe(16)
	defer sub.Close()
	bg := 0
	step := func(ms int, viral bool) {
		for i := 0; i < ms; i++ {
			tr.Observe(fmt.Sprintf("bg:%d", bg%50), Read) // 1000/s over 50 keys: 2% each
			bg++
			if viral && i%5 == 0 {
				tr.Observe("viral", Read) // 200/s: about 17% of traffic
			}
			clk.Add(time.Millisecond)
			if i%10 == 0 {
				tr.Evaluate()
			}
		}
	}
	step(2000, false)
	if len(tr.Hot()) != 0 {
		t.Fatalf("Hot() = %v before the viral key; want none", tr.Hot())
	}
	start := clk.Now()
	step(500, true)
	var ev Event
	select {
	case ev = <-sub.C:
	default:
		t.Fatal("no event after the viral key appeared")
	}
	if ev.Kind != Hot || ev.Key != "viral" {
		t.Fatalf("event = %+v; want hot viral", ev)
	}
	if lag := ev.At.Sub(start); lag > 100*time.Millisecond {
		t.Errorf("viral flagged %v after it started; want within 100ms", lag)
	}
	if !tr.IsHot("viral") || tr.IsHot("bg:1") {
		t.Errorf("IsHot(viral) = %v, IsHot(bg:1) = %v; want true, false", tr.IsHot("viral"), tr.IsHot("bg:1"))
	}
	// The viral key stops: it stays hot for MinHot, then cools once.
	step(1000, false)
	select {
	case ev := <-sub.C:
		t.Fatalf("event %+v before MinHot passed", ev)
	default:
	}
	step(5000, false)
	select {
	case ev = <-sub.C:
	default:
		t.Fatal("no cooled event after the viral key stopped")
	}
	if ev.Kind != Cooled || ev.Key != "viral" || ev.HotFor < 2*time.Second {
		t.Fatalf("event = %+v; want viral cooled after at least 2s", ev)
	}
	if tr.IsHot("viral") {
		t.Error("IsHot(viral) after cooling = true")
	}
}

func TestHysteresisPreventsFlapping(t *testing.T) {
	tr, clk := newFake(t, Options{Capacity: 64, Rules: Rules{MinShare: 0.10, MinRate: 1, MinHot: time.Millisecond, CoolRatio: 0.5}})
	sub := tr.Subscribe(1024)
	defer sub.Close()
	// The key's share wobbles between 8% and 12% around the 10% threshold.
	for round := 0; round < 40; round++ {
		share := 0.08
		if round%2 == 1 {
			share = 0.12
		}
		for i := 0; i < 1000; i++ {
			if float64(i%100) < share*100 {
				tr.Observe("wobbly", Read)
			} else {
				tr.Observe(fmt.Sprintf("bg:%d", i%97), Read)
			}
			clk.Add(time.Millisecond)
			if i%50 == 0 {
				tr.Evaluate()
			}
		}
	}
	n := 0
	for len(sub.C) > 0 {
		<-sub.C
		n++
	}
	if n > 1 {
		t.Fatalf("%d events for a key wobbling between 8%% and 12%%; want at most 1 (hot once)", n)
	}
}

func TestTopKRule(t *testing.T) {
	tr, clk := newFake(t, Options{Capacity: 64, Rules: Rules{MinRate: -1, MinShare: -1, TopK: 2}})
	for i := 0; i < 3000; i++ {
		tr.Observe("first", Read)
		if i%2 == 0 {
			tr.Observe("second", Read)
		}
		if i%4 == 0 {
			tr.Observe("third", Read)
		}
		clk.Add(time.Millisecond)
	}
	tr.Evaluate()
	hot := tr.Hot()
	if len(hot) != 2 || hot[0].Key != "first" || hot[1].Key != "second" {
		t.Fatalf("Hot() = %+v; want first and second", hot)
	}
}

func TestBinaryAndLongKeys(t *testing.T) {
	tr, clk := newFake(t, Options{Capacity: 8, MaxKeyBytes: 16})
	bin := "\x00\xff key with \"quotes\"\n and \xc3\x28 invalid utf-8"
	long := strings.Repeat("L", 1<<20)
	for i := 0; i < 100; i++ {
		tr.Observe(bin[:10], Read)
		tr.ObserveBytes([]byte(long), Write)
		clk.Add(time.Millisecond)
	}
	top := tr.Top(2)
	if len(top) != 2 {
		t.Fatalf("Top(2) = %+v", top)
	}
	for _, ks := range top {
		switch {
		case ks.Key == bin[:10]:
			if ks.Truncated {
				t.Errorf("short binary key reported truncated")
			}
		case ks.Key == long[:16]:
			if !ks.Truncated {
				t.Errorf("1 MiB key not reported truncated")
			}
		default:
			t.Errorf("unexpected key %q", ks.Key)
		}
	}
	if e := tr.Estimate(long); !e.Truncated || e.Rate == 0 {
		t.Errorf("Estimate(long) = %+v; want truncated with a rate", e)
	}
}

func TestWeightedObservations(t *testing.T) {
	tr, clk := newFake(t, Options{Capacity: 8})
	for i := 0; i < 2000; i++ {
		tr.ObserveWeighted("big", Read, 100) // 100 bytes per ms
		tr.ObserveWeighted("small", Read, 1)
		tr.ObserveWeighted("ignored", Read, math.NaN())
		tr.ObserveWeighted("ignored", Read, -5)
		tr.ObserveWeighted("ignored", Read, math.Inf(1))
		clk.Add(time.Millisecond)
	}
	top := tr.Top(3)
	if len(top) != 2 || top[0].Key != "big" {
		t.Fatalf("Top(3) = %+v; want big, small", top)
	}
	if r := top[0].Rate; math.Abs(r-100_000)/100_000 > 0.02 {
		t.Errorf("weighted rate of big = %.0f; want 100000 ±2%%", r)
	}
}

func TestConcurrentObserve(t *testing.T) {
	tr, err := New(Options{Capacity: 100, Stripes: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	var wg sync.WaitGroup
	const goroutines, per = 8, 20_000
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for i := 0; i < per; i++ {
				if i%4 == 0 {
					tr.Observe("shared-hot", Write)
				} else {
					tr.Observe(fmt.Sprintf("k%d", r.IntN(5000)), Read)
				}
				if i%5000 == 0 {
					tr.Top(5)
				}
			}
		}(g)
	}
	wg.Wait()
	if st := tr.Stats(); st.Observations != goroutines*per {
		t.Fatalf("Stats().Observations = %d; want %d", st.Observations, goroutines*per)
	}
	if top := tr.Top(1); len(top) != 1 || top[0].Key != "shared-hot" {
		t.Fatalf("Top(1) = %+v; want shared-hot", top)
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	tr, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	keys := make([]string, 5000)
	for i := range keys {
		keys[i] = fmt.Sprintf("user:%d", i)
	}
	b := []byte("bytes-key")
	i := 0
	allocs := testing.AllocsPerRun(20_000, func() {
		tr.Observe(keys[i%len(keys)], Read)
		tr.ObserveBytes(b, Write)
		tr.ObserveWeighted(keys[(i*7)%len(keys)], Read, 3)
		_ = tr.IsHot(keys[i%len(keys)])
		i++
	})
	if allocs != 0 {
		t.Fatalf("Observe allocates %.2f times per call; want 0", allocs)
	}
}

func TestMemoryBoundedByConfiguration(t *testing.T) {
	for _, stripes := range []int{1, 2, 4} {
		tr, _ := newFake(t, Options{Stripes: stripes})
		if m := tr.MemoryBytes(); m > 1<<20 {
			t.Errorf("MemoryBytes() = %d with capacity 1000 and %d stripes; want at most 1 MiB", m, stripes)
		}
	}
	tr, clk := newFake(t, Options{Stripes: 2})
	before := tr.MemoryBytes()
	for i := 0; i < 200_000; i++ {
		tr.Observe(fmt.Sprintf("flood:%d", i), Read)
		if i%100 == 0 {
			clk.Add(time.Millisecond)
		}
	}
	if after := tr.MemoryBytes(); after != before {
		t.Errorf("MemoryBytes() grew from %d to %d after a flood of distinct keys", before, after)
	}
	if st := tr.Stats(); st.Tracked > 2*1000 {
		t.Errorf("Stats().Tracked = %d; want at most Capacity per stripe", st.Tracked)
	}
}

func TestBackgroundEvaluation(t *testing.T) {
	tr, err := New(Options{EvalInterval: 5 * time.Millisecond, Window: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	sub := tr.Subscribe(8)
	deadline := time.After(5 * time.Second)
	for i := 0; ; i++ {
		tr.Observe("busy", Read)
		if i%100 == 0 {
			select {
			case ev := <-sub.C:
				if ev.Kind != Hot || ev.Key != "busy" {
					t.Fatalf("event = %+v; want hot busy", ev)
				}
				return
			case <-deadline:
				t.Fatal("no hot event within 5s of real time")
			default:
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
}

func TestCloseClosesSubscriptions(t *testing.T) {
	tr, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	sub := tr.Subscribe(1)
	tr.Close()
	if _, ok := <-sub.C; ok {
		t.Fatal("subscription channel open after Close")
	}
	sub.Close() // idempotent
	tr.Close()  // idempotent
	tr.Observe("after-close", Read)
	if late := tr.Subscribe(1); late != nil {
		if _, ok := <-late.C; ok {
			t.Fatal("subscription made after Close is open")
		}
	}
}

// TestRateWhenTrafficMovesBetweenStripes feeds a key through one stripe and
// then another, as a goroutine that moves to another processor does: the
// merged rate and share must not count the second stripe's young span as
// the key's whole life.
func TestRateWhenTrafficMovesBetweenStripes(t *testing.T) {
	tr, clk := newFake(t, Options{Stripes: 2, Capacity: 16})
	h := maphash.String(tr.seed, "mover")
	for i := 0; i < 3000; i++ {
		s := tr.stripes[0]
		if i >= 1500 {
			s = tr.stripes[1]
		}
		now := clk.Now().UnixNano()
		s.mu.Lock()
		s.observe(h, "mover", false, 1, now)
		s.observe(maphash.String(tr.seed, "other"), "other", false, 1, now)
		s.mu.Unlock()
		clk.Add(time.Millisecond)
	}
	got := tr.Estimate("mover")
	if math.Abs(got.Rate-1000)/1000 > 0.02 || math.Abs(got.Share-0.5) > 0.02 {
		t.Fatalf("Estimate(mover) = rate %.1f share %.3f; want 1000 ±2%% and 0.5", got.Rate, got.Share)
	}
	if top := tr.Top(1); math.Abs(top[0].Rate-1000)/1000 > 0.02 {
		t.Fatalf("Top(1) = %+v; want rate 1000 ±2%%", top)
	}
}
