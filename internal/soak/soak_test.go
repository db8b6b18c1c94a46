package soak

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/redhot/redhot/internal/redistest"
)

// TestMain fails the package's tests if any of them leaves a goroutine
// running after it returns: Run must stop everything it starts.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRunShort runs the soak for ten seconds with a fault every two, so
// that the command keeps working: every fault kind is injected, samples
// come out as JSON lines, and no read is stale or corrupt.
func TestRunShort(t *testing.T) {
	redistest.SkipIfShort(t)
	var out bytes.Buffer
	v, err := Run(t.Context(), Options{
		Duration:    10 * time.Second,
		SampleEvery: time.Second,
		FaultEvery:  2 * time.Second,
		Rate:        1500,
		Out:         &out,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("verdict: %+v", v)
	var samples []Sample
	var last Verdict
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Bytes()
		var head struct{ Type string }
		if err := json.Unmarshal(line, &head); err != nil {
			t.Fatalf("output line %q is not JSON: %v", line, err)
		}
		switch head.Type {
		case "sample":
			var s Sample
			if err := json.Unmarshal(line, &s); err != nil {
				t.Fatal(err)
			}
			samples = append(samples, s)
		case "verdict":
			if err := json.Unmarshal(line, &last); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("output line %q has type %q", line, head.Type)
		}
	}
	if len(samples) < 8 || len(samples) != v.Samples {
		t.Errorf("%d samples printed, verdict says %d; want about 10", len(samples), v.Samples)
	}
	if last.Type != "verdict" || last.Ops != v.Ops {
		t.Errorf("last line %+v; want the verdict %+v", last, v)
	}
	for _, s := range samples {
		if s.HeapInuse == 0 || s.Goroutines == 0 || s.Ops == 0 {
			t.Errorf("sample %+v lacks a measurement", s)
		}
		if s.CacheBytes > uint64(4<<20) {
			t.Errorf("sample %+v: near cache over its 4 MiB bound", s)
		}
	}
	for _, kind := range faultOrder {
		if v.Faults[kind] == 0 {
			t.Errorf("fault %s never injected: %v", kind, v.Faults)
		}
	}
	if v.Stale > 0 || v.Corrupt > 0 || v.ErrorsOutsideFaults > 0 {
		t.Errorf("stale %d, corrupt %d, errors outside faults %d (first problem: %s)", v.Stale, v.Corrupt, v.ErrorsOutsideFaults, v.FirstProblem)
	}
	if v.Hits == 0 {
		t.Errorf("no read was served by the near cache: the soak does not exercise it")
	}
}

// TestCheck drives the versioned-value check directly: it must flag a
// value older than the newest version acknowledged more than
// MaxStaleness before the read, a version never written and a value
// that is not versioned, and accept the rest.
func TestCheck(t *testing.T) {
	o, err := Options{Keys: 4, MaxStaleness: 100 * time.Millisecond, Duration: time.Minute}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ms := int64(time.Millisecond)
	s := newState(o)
	for v := int64(1); v <= 5; v++ {
		if got := s.vers[1].issue(); got != v {
			t.Fatalf("issue() = %d; want %d", got, v)
		}
		s.vers[1].ack(v*100*ms, v) // v1 at 100ms, ..., v5 at 500ms
	}
	s.vers[1].issue() // v6 sent, never acknowledged
	cases := []struct {
		name                string
		at                  int64
		value               string
		nil                 bool
		wantStale, wantCorr uint64
	}{
		{"newest", 600 * ms, s.value(5), false, 0, 0},
		{"unacknowledged but sent", 600 * ms, s.value(6), false, 0, 0},
		{"old but within the bound", 550 * ms, s.value(4), false, 0, 0},
		{"older than the bound", 600 * ms, s.value(3), false, 1, 0},
		{"missing after a write", 250 * ms, "", true, 1, 0},
		{"missing before any bound", 150 * ms, "", true, 0, 0},
		{"never written", 600 * ms, s.value(7), false, 0, 1},
		{"not versioned", 600 * ms, "hello", false, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stale, corr := s.stale.Load(), s.corrupt.Load()
			var rerr error
			if tc.nil {
				rerr = errNil
			}
			if err := s.check(1, tc.at, tc.value, rerr); err != nil {
				t.Fatalf("check = %v; want nil", err)
			}
			if got := s.stale.Load() - stale; got != tc.wantStale {
				t.Errorf("stale += %d; want %d", got, tc.wantStale)
			}
			if got := s.corrupt.Load() - corr; got != tc.wantCorr {
				t.Errorf("corrupt += %d; want %d", got, tc.wantCorr)
			}
		})
	}
	boom := errors.New("boom")
	if err := s.check(1, 0, "", boom); err != boom {
		t.Errorf("check with a command error = %v; want it returned", err)
	}
}

func TestJudge(t *testing.T) {
	o, err := Options{Duration: 100 * time.Second, WarmUp: 10 * time.Second}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	series := func(heap func(i int) uint64, gor func(i int) int) []Sample {
		var ss []Sample
		for i := range 20 {
			ss = append(ss, Sample{T: float64(5 * (i + 1)), HeapInuse: heap(i), Goroutines: gor(i), CacheBytes: 1000})
		}
		return ss
	}
	const mib = 1 << 20
	cases := []struct {
		name    string
		samples []Sample
		ok      bool
	}{
		{"flat", series(func(i int) uint64 { return 20 * mib }, func(int) int { return 17 }), true},
		{"noisy but flat", series(func(i int) uint64 { return uint64(20*mib + (i%3)*mib) }, func(i int) int { return 17 + i%2 }), true},
		{"growth during warm-up only", series(func(i int) uint64 { return uint64(min(i, 2)) * 10 * mib }, func(int) int { return 17 }), true},
		{"heap leak", series(func(i int) uint64 { return uint64(20*mib + i*mib) }, func(int) int { return 17 }), false},
		{"goroutine leak", series(func(i int) uint64 { return 20 * mib }, func(i int) int { return 17 + i }), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := judge(o, tc.samples)
			if ok := len(v.Reasons) == 0; ok != tc.ok {
				t.Errorf("judge: reasons %q; want ok = %v (verdict %+v)", v.Reasons, tc.ok, v)
			}
			if v.Measured != 18 {
				t.Errorf("judge measured %d samples; want the 18 after warm-up", v.Measured)
			}
		})
	}
	over := series(func(int) uint64 { return mib }, func(int) int { return 1 })
	over[5].CacheBytes = uint64(o.MaxBytes) + 1
	if v := judge(o, over); len(v.Reasons) != 1 || !strings.Contains(v.Reasons[0], "near cache") {
		t.Errorf("judge with the near cache over its bound: reasons %q; want one about the near cache", v.Reasons)
	}
}

func TestHistogram(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Microsecond)
	}
	p50, p99 := h.quantilesAndReset(0.5, 0.99)
	if p50 < 500 || p50 > 500*1.19 || p99 < 990 || p99 > 990*1.19 {
		t.Errorf("quantiles of 1..1000 µs = %v, %v; want 500 and 990 within a bucket (19%%)", p50, p99)
	}
	if p50, p99 := h.quantilesAndReset(0.5, 0.99); p50 != 0 || p99 != 0 {
		t.Errorf("quantiles after reset = %v, %v; want 0, 0", p50, p99)
	}
}

func TestOptionsInvalid(t *testing.T) {
	for _, o := range []Options{
		{Duration: -time.Second},
		{Duration: time.Second, SampleEvery: 2 * time.Second},
		{Keys: 1},
		{ZipfS: -1},
		{Workers: -1},
		{Rate: -5},
		{ValueBytes: 3},
		{MaxStaleness: time.Millisecond},
		{HeapSlack: -1},
	} {
		if _, err := Run(t.Context(), o); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("Run(%+v) = %v; want ErrInvalidOptions", o, err)
		}
	}
}

var errNil = redis.Nil
