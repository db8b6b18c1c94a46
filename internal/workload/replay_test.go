package workload

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReplayRecorded(t *testing.T) {
	trace, err := ParseTrace(strings.NewReader("0 r a\n0.001 w b\n0.003 r a\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReplay(ReplayOptions{Trace: trace})
	if err != nil {
		t.Fatal(err)
	}
	trace[0].Key = "changed" // the replay must have copied the trace
	ms := time.Millisecond
	// The default period is the last time plus the mean gap: 3 + 1.5 ms.
	want := []Access{
		{At: 0, Key: "a"}, {At: 1 * ms, Key: "b", Op: Write}, {At: 3 * ms, Key: "a"},
		{At: 4500 * time.Microsecond, Key: "a"}, {At: 5500 * time.Microsecond, Key: "b", Op: Write}, {At: 7500 * time.Microsecond, Key: "a"},
		{At: 9 * ms, Key: "a"},
	}
	if got := Take(r, len(want)); !slices.Equal(got, want) {
		t.Errorf("Take(replay, %d) = %+v; want %+v", len(want), got, want)
	}
	if r.Len() != 2 || r.Key(0) != "a" || r.Key(1) != "b" {
		t.Errorf("keys = %d: %q, %q; want 2: a, b", r.Len(), r.Key(0), r.Key(1))
	}
}

func TestReplayPeriod(t *testing.T) {
	tests := []struct {
		name  string
		trace []Access
		opts  ReplayOptions
		want  []time.Duration
	}{
		{"explicit period", []Access{{At: 0, Key: "a"}, {At: 10, Key: "b"}}, ReplayOptions{Period: 100}, []time.Duration{0, 10, 100, 110, 200}},
		{"one access", []Access{{At: 5, Key: "a"}}, ReplayOptions{}, []time.Duration{5, 5 + time.Second, 5 + 2*time.Second}},
		{"no timestamps", []Access{{Key: "a"}, {Key: "b"}}, ReplayOptions{}, []time.Duration{0, 0, time.Second, time.Second}},
		{"fixed rate", []Access{{At: 7, Key: "a"}, {At: 3, Key: "b"}}, ReplayOptions{Rate: 1000}, []time.Duration{0, time.Millisecond, 2 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Trace = tt.trace
			r, err := NewReplay(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.want {
				if got := r.Next().At; got != want {
					t.Errorf("access %d: At = %v; want %v", i, got, want)
				}
			}
		})
	}
}

func TestReplayAsSampler(t *testing.T) {
	trace := []Access{{Key: "a"}, {Key: "b"}, {Key: "c"}}
	r, err := NewReplay(ReplayOptions{Trace: trace})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"a", "b", "c", "a"} {
		if got := r.Key(r.Sample(time.Hour)); got != want {
			t.Errorf("Sample %d: key %q; want %q", i, got, want)
		}
	}
}

func TestReplayInvalid(t *testing.T) {
	tests := []struct {
		name  string
		opts  ReplayOptions
		field string
	}{
		{"empty trace", ReplayOptions{}, "ReplayOptions.Trace"},
		{"bad op", ReplayOptions{Trace: []Access{{Key: "a"}, {Key: "b", Op: 3}}}, "ReplayOptions.Trace[1].Op"},
		{"negative rate", ReplayOptions{Trace: []Access{{Key: "a"}}, Rate: -1}, "ReplayOptions.Rate"},
		{"poisson without rate", ReplayOptions{Trace: []Access{{Key: "a"}}, Poisson: true}, "ReplayOptions.Poisson"},
		{"negative period", ReplayOptions{Trace: []Access{{Key: "a"}}, Period: -time.Second}, "ReplayOptions.Period"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReplay(tt.opts)
			checkInvalid(t, err, tt.field)
		})
	}
}
