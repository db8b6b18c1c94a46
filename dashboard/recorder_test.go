package dashboard_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redhot/redhot/dashboard"
	"github.com/redhot/redhot/heat"
)

// fakeSource is a Source whose keys the test sets.
type fakeSource struct {
	mu     sync.Mutex // guards keys and totals
	keys   []heat.KeyStat
	totals heat.Totals
}

func (f *fakeSource) set(totals float64, keys ...heat.KeyStat) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys, f.totals = keys, heat.Totals{Rate: totals, ReadRate: totals}
}

func (f *fakeSource) Top(k int) []heat.KeyStat {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.keys[:min(k, len(f.keys))])
}

func (f *fakeSource) Totals() heat.Totals {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.totals
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func ks(key string, rate float64) heat.KeyStat {
	return heat.KeyStat{Key: key, Rate: rate, Low: rate, High: rate, ReadRate: rate, Share: rate / 1000}
}

func hot(k heat.KeyStat, since time.Time) heat.KeyStat {
	k.Hot, k.HotSince = true, since
	return k
}

// eventString renders events as "kind key @s [hot-for]" for comparison.
func eventString(evs []dashboard.Event) []string {
	var out []string
	for _, e := range evs {
		s := fmt.Sprintf("%s %s @%d", e.Kind, e.Key, int(e.At.Sub(t0)/time.Second))
		if e.Kind == heat.Cooled {
			s += fmt.Sprintf(" for %v", e.HotFor)
		}
		out = append(out, s)
	}
	return out
}

// TestRecorderEvents drives a recorder through sequences of samples and
// checks the events it derives.
func TestRecorderEvents(t *testing.T) {
	tests := []struct {
		name    string
		samples [][]heat.KeyStat // sample i is taken at second i
		want    []string
	}{
		{
			name:    "nothing hot",
			samples: [][]heat.KeyStat{{ks("a", 10)}, {ks("a", 20)}},
		},
		{
			name:    "turns hot at the source's HotSince",
			samples: [][]heat.KeyStat{{ks("a", 10)}, {hot(ks("a", 900), at(1).Add(-300*time.Millisecond))}, {hot(ks("a", 900), at(1).Add(-300*time.Millisecond))}},
			want:    []string{"hot a @0"},
		},
		{
			name:    "cools at the sample that sees it cold",
			samples: [][]heat.KeyStat{{hot(ks("a", 900), at(0))}, {hot(ks("a", 900), at(0))}, {ks("a", 5)}},
			want:    []string{"hot a @0", "cooled a @2 for 2s"},
		},
		{
			name:    "cools by leaving the top",
			samples: [][]heat.KeyStat{{hot(ks("a", 900), at(0)), ks("b", 1)}, {ks("b", 1)}},
			want:    []string{"hot a @0", "cooled a @1 for 1s"},
		},
		{
			name:    "cooled and hot again between samples",
			samples: [][]heat.KeyStat{{hot(ks("a", 900), at(0))}, {hot(ks("a", 900), at(3))}},
			want:    []string{"hot a @0", "cooled a @3 for 3s", "hot a @3"},
		},
		{
			name:    "a source without HotSince: hot at the sample",
			samples: [][]heat.KeyStat{{ks("a", 1)}, {ks("a", 1)}, {hot(ks("a", 900), time.Time{})}},
			want:    []string{"hot a @2"},
		},
		{
			name:    "a truncated key is not the whole key",
			samples: [][]heat.KeyStat{{hot(heat.KeyStat{Key: "a", Truncated: true, Rate: 9}, at(0)), ks("a", 1)}},
			want:    []string{"hot a @0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fakeSource{}
			r, err := dashboard.NewRecorder(src, dashboard.RecorderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var s *dashboard.Snapshot
			for i, keys := range tt.samples {
				src.set(1000, keys...)
				s = r.Sample(at(i))
			}
			if got := eventString(s.Events); !slices.Equal(got, tt.want) {
				t.Errorf("events = %q; want %q", got, tt.want)
			}
		})
	}
}

// TestRecorderHistory checks histories, trends and cooled markers.
func TestRecorderHistory(t *testing.T) {
	src := &fakeSource{}
	r, err := dashboard.NewRecorder(src, dashboard.RecorderOptions{History: 4, Lookback: 2})
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Snapshot(); s.Seq != 0 || len(s.Keys) != 0 {
		t.Errorf("Snapshot before any sample = %+v; want empty", s)
	}
	rates := []struct{ a, b float64 }{{100, 0}, {100, 50}, {100, 50}, {200, 10}, {100, 50}}
	var s *dashboard.Snapshot
	for i, rt := range rates {
		keys := []heat.KeyStat{ks("a", rt.a)}
		if rt.b > 0 {
			keys = append(keys, ks("b", rt.b))
		}
		src.set(1000, keys...)
		s = r.Sample(at(i))
	}
	if s.Seq != 5 || len(s.Times) != 4 || !s.Times[0].Equal(at(1)) || !s.Times[3].Equal(at(4)) {
		t.Fatalf("snapshot seq %d times %v; want seq 5 and the last 4 sample times", s.Seq, s.Times)
	}
	a, b := s.Keys[0], s.Keys[1]
	if a.Key != "a" || a.Rank != 1 || b.Rank != 2 {
		t.Fatalf("keys %q, %q ranks %d, %d; want a then b", a.Key, b.Key, a.Rank, b.Rank)
	}
	if want := []float64{100, 100, 200, 100}; !slices.Equal(a.History, want) {
		t.Errorf("a.History = %v; want %v", a.History, want)
	}
	if want := []float64{50, 50, 10, 50}; !slices.Equal(b.History, want) {
		t.Errorf("b.History = %v; want %v", b.History, want)
	}
	// a: 100 against the mean of 100 and 200 → down; b: 50 against 30 → up.
	if a.Trend != dashboard.Down || b.Trend != dashboard.Up {
		t.Errorf("trends a %v b %v; want down, up", a.Trend, b.Trend)
	}

	// A hot key that cools keeps a cooled marker while it is listed.
	src.set(1000, hot(ks("a", 900), at(5)))
	r.Sample(at(5))
	src.set(1000, ks("a", 10))
	s = r.Sample(at(6))
	if s.Keys[0].Hot || !s.Keys[0].CooledAt.Equal(at(6)) || s.Hot != 0 {
		t.Errorf("after cooling: %+v, hot count %d; want CooledAt at 6s and no hot key", s.Keys[0], s.Hot)
	}
	src.set(1000, hot(ks("a", 900), at(7)))
	s = r.Sample(at(7))
	if !s.Keys[0].CooledAt.IsZero() || s.Hot != 1 {
		t.Errorf("hot again: CooledAt %v, hot count %d; want zero and 1", s.Keys[0].CooledAt, s.Hot)
	}
}

// TestRecorderFloor: a key that drops out of a full list is recorded at
// the lowest listed rate (an upper bound), not 0; out of a short list, 0.
func TestRecorderFloor(t *testing.T) {
	src := &fakeSource{}
	r, err := dashboard.NewRecorder(src, dashboard.RecorderOptions{Keys: 2, History: 5, Lookback: 1})
	if err != nil {
		t.Fatal(err)
	}
	samples := [][]heat.KeyStat{
		{ks("a", 100), ks("b", 50)},
		{ks("a", 100), ks("c", 60)}, // b drops out of a full list: at most 60, at most its 50
		{ks("a", 100), ks("c", 40)}, // still out: at most 40
		{ks("a", 100)},              // c and b out of a list that is not full: 0
		{ks("a", 100), ks("b", 45)},
	}
	var s *dashboard.Snapshot
	for i, keys := range samples {
		src.set(1000, keys...)
		s = r.Sample(at(i))
	}
	if s.Floor != 45 {
		t.Errorf("Floor = %v; want 45, the lowest listed rate", s.Floor)
	}
	if got, want := s.Keys[1].History, []float64{50, 50, 40, 0, 45}; !slices.Equal(got, want) {
		t.Errorf("b.History = %v; want %v", got, want)
	}
}

func TestTrend(t *testing.T) {
	tests := []struct {
		name    string
		history []float64
		want    dashboard.Trend
	}{
		{"one sample", []float64{5}, dashboard.Flat},
		{"steady", []float64{100, 100, 104}, dashboard.Flat},
		{"appears", []float64{0, 0, 30}, dashboard.Up},
		{"falls", []float64{100, 100, 50}, dashboard.Down},
		{"tiny changes are noise", []float64{0.2, 0.2, 0.6}, dashboard.Flat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fakeSource{}
			r, _ := dashboard.NewRecorder(src, dashboard.RecorderOptions{Lookback: 2})
			var s *dashboard.Snapshot
			for i, v := range tt.history {
				src.set(1000, ks("k", v))
				s = r.Sample(at(i))
			}
			if got := s.Keys[0].Trend; got != tt.want {
				t.Errorf("trend of %v = %v; want %v", tt.history, got, tt.want)
			}
		})
	}
}

// TestRecorderBounds: events and series stay bounded whatever the source
// does.
func TestRecorderBounds(t *testing.T) {
	src := &fakeSource{}
	r, err := dashboard.NewRecorder(src, dashboard.RecorderOptions{Keys: 2, History: 10, Events: 5})
	if err != nil {
		t.Fatal(err)
	}
	var s *dashboard.Snapshot
	for i := range 200 {
		// Two new hot keys every sample: each cools by leaving the top.
		src.set(1000, hot(ks(fmt.Sprintf("k%d", 2*i), 900), at(i)), hot(ks(fmt.Sprintf("k%d", 2*i+1), 800), at(i)))
		s = r.Sample(at(i))
	}
	if len(s.Events) != 5 {
		t.Fatalf("kept %d events; want 5", len(s.Events))
	}
	for i := 1; i < len(s.Events); i++ {
		if s.Events[i].At.Before(s.Events[i-1].At) {
			t.Errorf("events out of order: %q", eventString(s.Events))
		}
	}
	if last := s.Events[len(s.Events)-1]; last.Kind != heat.Hot || !strings.HasPrefix(last.Key, "k39") {
		t.Errorf("newest event = %+v; want a hot event of the last sample", last)
	}
	if len(s.Keys) != 2 || len(s.Keys[0].History) != 10 {
		t.Errorf("keys %d, history %d; want 2 keys with 10 samples", len(s.Keys), len(s.Keys[0].History))
	}
}

func TestRecorderOptions(t *testing.T) {
	src := &fakeSource{}
	if _, err := dashboard.NewRecorder(nil, dashboard.RecorderOptions{}); !errors.Is(err, dashboard.ErrInvalidOptions) {
		t.Errorf("NewRecorder(nil) = %v; want ErrInvalidOptions", err)
	}
	for _, o := range []dashboard.RecorderOptions{{Keys: -1}, {Keys: 1001}, {History: 1}, {Events: -1}, {History: 5, Lookback: 5}} {
		if _, err := dashboard.NewRecorder(src, o); !errors.Is(err, dashboard.ErrInvalidOptions) {
			t.Errorf("NewRecorder(%+v) = %v; want ErrInvalidOptions", o, err)
		}
	}
	r, err := dashboard.NewRecorder(src, dashboard.RecorderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Options(), (dashboard.RecorderOptions{Keys: 20, History: 300, Events: 100, Lookback: 5}); got != want {
		t.Errorf("Options() = %+v; want %+v", got, want)
	}
}
