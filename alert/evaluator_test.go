package alert_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redhot/redhot/alert"
	"github.com/redhot/redhot/heat"
)

var t0 = time.Date(2025, 11, 26, 8, 0, 0, 0, time.UTC)

// key returns a KeyStat with the given rates; share is its part of a
// 10,000 ops/s total.
func key(name string, reads, writes float64) heat.KeyStat {
	return heat.KeyStat{Key: name, Rate: reads + writes, ReadRate: reads, WriteRate: writes, Share: (reads + writes) / 10000}
}

// totals is a 10,000 ops/s stream, 80% reads.
var totals = heat.Totals{Rate: 10000, ReadRate: 8000, WriteRate: 2000}

// step is one evaluation in a scenario: the snapshot at a time offset,
// and the alerts it must produce, as "firing rule key" strings.
type step struct {
	at   time.Duration
	keys []heat.KeyStat
	want []string
}

func run(t *testing.T, rules []alert.Rule, steps []step) {
	t.Helper()
	ev, err := alert.NewEvaluator(rules)
	if err != nil {
		t.Fatalf("NewEvaluator: %v", err)
	}
	for i, s := range steps {
		var got []string
		for _, a := range ev.Evaluate(t0.Add(s.at), totals, s.keys) {
			got = append(got, fmt.Sprintf("%s %s %s", a.Kind, a.Rule, a.Key))
		}
		if strings.Join(got, "; ") != strings.Join(s.want, "; ") {
			t.Errorf("step %d (+%v): alerts = %q; want %q", i, s.at, got, s.want)
		}
	}
}

func TestEvaluatorRules(t *testing.T) {
	sec := time.Second
	cases := []struct {
		name  string
		rules []alert.Rule
		steps []step
	}{
		{
			name:  "rate with hysteresis",
			rules: []alert.Rule{{Name: "r", MinRate: 1000}},
			steps: []step{
				{0, []heat.KeyStat{key("a", 900, 0)}, nil},
				{1 * sec, []heat.KeyStat{key("a", 1000, 0)}, []string{"firing r a"}},
				{2 * sec, []heat.KeyStat{key("a", 600, 0)}, nil}, // below 1000 but above 0.5×1000
				{3 * sec, []heat.KeyStat{key("a", 499, 0)}, []string{"resolved r a"}},
			},
		},
		{
			name:  "share",
			rules: []alert.Rule{{Name: "s", MinShare: 0.1, CoolRatio: 0.8}},
			steps: []step{
				{0, []heat.KeyStat{key("a", 999, 0), key("b", 1000, 0)}, []string{"firing s b"}},
				{1 * sec, []heat.KeyStat{key("b", 850, 0)}, nil},
				{2 * sec, []heat.KeyStat{key("b", 790, 0)}, []string{"resolved s b"}},
			},
		},
		{
			name:  "rate and share both needed",
			rules: []alert.Rule{{Name: "rs", MinRate: 500, MinShare: 0.2}},
			steps: []step{
				{0, []heat.KeyStat{key("a", 1000, 0)}, nil}, // 10%
				{1 * sec, []heat.KeyStat{key("a", 2000, 0)}, []string{"firing rs a"}},
			},
		},
		{
			name:  "cooldown holds back a second firing",
			rules: []alert.Rule{{Name: "c", MinRate: 1000, Cooldown: time.Minute}},
			steps: []step{
				{0, []heat.KeyStat{key("a", 2000, 0)}, []string{"firing c a"}},
				{1 * sec, []heat.KeyStat{key("a", 100, 0)}, []string{"resolved c a"}},
				{2 * sec, []heat.KeyStat{key("a", 2000, 0)}, nil}, // within the minute: suppressed
				{3 * sec, []heat.KeyStat{key("a", 100, 0)}, nil},  // its resolution is silent too
				{61 * sec, []heat.KeyStat{key("a", 2000, 0)}, []string{"firing c a"}},
			},
		},
		{
			name:  "default cooldown is five minutes",
			rules: []alert.Rule{{Name: "d", MinRate: 1000}},
			steps: []step{
				{0, []heat.KeyStat{key("a", 2000, 0)}, []string{"firing d a"}},
				{1 * sec, nil, []string{"resolved d a"}},
				{299 * sec, []heat.KeyStat{key("a", 2000, 0)}, nil},
				{300 * sec, nil, nil},
				{301 * sec, []heat.KeyStat{key("a", 2000, 0)}, []string{"firing d a"}},
			},
		},
		{
			name:  "cooldown is per key",
			rules: []alert.Rule{{Name: "k", MinRate: 1000}},
			steps: []step{
				{0, []heat.KeyStat{key("a", 2000, 0)}, []string{"firing k a"}},
				{1 * sec, []heat.KeyStat{key("b", 2000, 0)}, []string{"firing k b", "resolved k a"}},
			},
		},
		{
			name:  "negative cooldown disables it",
			rules: []alert.Rule{{Name: "n", MinRate: 1000, Cooldown: -1}},
			steps: []step{
				{0, []heat.KeyStat{key("a", 2000, 0)}, []string{"firing n a"}},
				{1 * sec, nil, []string{"resolved n a"}},
				{2 * sec, []heat.KeyStat{key("a", 2000, 0)}, []string{"firing n a"}},
			},
		},
		{
			name:  "for",
			rules: []alert.Rule{{Name: "f", MinRate: 1000, For: 2 * sec}},
			steps: []step{
				{0, []heat.KeyStat{key("a", 2000, 0)}, nil},
				{1 * sec, []heat.KeyStat{key("a", 2000, 0)}, nil},
				{2 * sec, []heat.KeyStat{key("a", 900, 0)}, nil}, // the run breaks
				{3 * sec, []heat.KeyStat{key("a", 2000, 0)}, nil},
				{5 * sec, []heat.KeyStat{key("a", 2000, 0)}, []string{"firing f a"}},
			},
		},
		{
			name: "patterns",
			rules: []alert.Rule{
				{Name: "products", Pattern: "product:*", MinRate: 1000},
				{Name: "binary", Pattern: "\x00bin[\x80-\xff]*", MinRate: 1000},
			},
			steps: []step{
				{0, []heat.KeyStat{key("user:1", 5000, 0), key("product:9", 1500, 0), key("\x00bin\xc3\x28", 1200, 0)},
					[]string{"firing products product:9", "firing binary \x00bin\xc3\x28"}},
			},
		},
		{
			name: "reads and writes apart",
			rules: []alert.Rule{
				{Name: "reads", Op: alert.Reads, MinRate: 1000},
				{Name: "writes", Op: alert.Writes, MinShare: 0.25}, // a quarter of all writes
			},
			steps: []step{
				// a: 1500 reads/s; b: 600 writes/s = 30% of 2000 writes/s but 6% of all traffic.
				{0, []heat.KeyStat{key("a", 1500, 100), key("b", 0, 600)}, []string{"firing reads a", "firing writes b"}},
				// a's writes jump to all writes; b keeps 16% of writes (above 0.5 × 25%).
				{1 * sec, []heat.KeyStat{key("a", 400, 2000), key("b", 0, 320)}, []string{"firing writes a", "resolved reads a"}},
				{2 * sec, []heat.KeyStat{key("a", 400, 2000), key("b", 0, 200)}, []string{"resolved writes b"}},
			},
		},
		{
			name:  "without thresholds the rule follows the source's hot flag",
			rules: []alert.Rule{{Name: "hot"}},
			steps: []step{
				{0, []heat.KeyStat{hot(key("a", 10, 0)), key("b", 5000, 0)}, []string{"firing hot a"}},
				{1 * sec, []heat.KeyStat{key("a", 10, 0)}, []string{"resolved hot a"}},
			},
		},
		{
			name:  "a key that leaves the snapshot is idle",
			rules: []alert.Rule{{Name: "i", MinRate: 1000, Cooldown: -1}},
			steps: []step{
				{0, []heat.KeyStat{key("b", 2000, 0), key("a", 2000, 0)}, []string{"firing i b", "firing i a"}},
				{1 * sec, nil, []string{"resolved i a", "resolved i b"}},
			},
		},
		{
			name:  "truncated keys are their own keys",
			rules: []alert.Rule{{Name: "t", MinRate: 1000}},
			steps: []step{
				{0, []heat.KeyStat{key("long", 2000, 0), truncated(key("long", 2000, 0))}, []string{"firing t long", "firing t long"}},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { run(t, c.rules, c.steps) })
	}
}

func hot(ks heat.KeyStat) heat.KeyStat       { ks.Hot = true; return ks }
func truncated(ks heat.KeyStat) heat.KeyStat { ks.Truncated = true; return ks }

// TestEvaluatorAlertFields checks what one firing and one resolved alert
// carry.
func TestEvaluatorAlertFields(t *testing.T) {
	ev, err := alert.NewEvaluator([]alert.Rule{{Name: "w", Op: alert.Writes, MinRate: 100, Cooldown: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	got := ev.Evaluate(t0, totals, []heat.KeyStat{key("k", 300, 500)})
	want := alert.Alert{Kind: alert.Firing, Rule: "w", Key: "k", Op: alert.Writes, Rate: 500, Share: 0.25,
		ReadRate: 300, WriteRate: 500, MinRate: 100, At: t0, Since: t0}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("Evaluate = %+v; want [%+v]", got, want)
	}
	got = ev.Evaluate(t0.Add(90*time.Second), totals, []heat.KeyStat{key("k", 300, 10)})
	if len(got) != 1 || got[0].Kind != alert.Resolved || got[0].Duration() != 90*time.Second || got[0].Rate != 10 {
		t.Fatalf("Evaluate = %+v; want one resolved alert after 90s at 10 writes/s", got)
	}
	if ev.Firing() != 0 {
		t.Errorf("Firing() = %d; want 0", ev.Firing())
	}
	// Fire, resolve and fire again within the hour: suppressed, and the
	// next notified firing says so.
	ev.Evaluate(t0.Add(100*time.Second), totals, []heat.KeyStat{key("k", 0, 500)})
	ev.Evaluate(t0.Add(101*time.Second), totals, nil)
	if ev.Suppressed() != 1 {
		t.Errorf("Suppressed() = %d; want 1", ev.Suppressed())
	}
	got = ev.Evaluate(t0.Add(2*time.Hour), totals, []heat.KeyStat{key("k", 0, 500)})
	if len(got) != 1 || got[0].Suppressed != 1 {
		t.Errorf("Evaluate = %+v; want one firing alert with Suppressed 1", got)
	}
}

func TestNewEvaluatorInvalid(t *testing.T) {
	cases := []struct {
		name  string
		rule  alert.Rule
		field string
	}{
		{"op", alert.Rule{Op: 7}, "Rules[1].Op"},
		{"rate NaN", alert.Rule{MinRate: nan()}, "Rules[1].MinRate"},
		{"share above one", alert.Rule{MinShare: 1.5}, "Rules[1].MinShare"},
		{"cool ratio", alert.Rule{CoolRatio: 2}, "Rules[1].CoolRatio"},
		{"for", alert.Rule{For: -time.Second}, "Rules[1].For"},
		{"duplicate name", alert.Rule{Name: "first"}, "Rules[1].Name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := alert.NewEvaluator([]alert.Rule{{Name: "first"}, c.rule})
			if !errors.Is(err, alert.ErrInvalidOptions) || !strings.Contains(err.Error(), c.field) {
				t.Errorf("NewEvaluator = %v; want ErrInvalidOptions naming %s", err, c.field)
			}
		})
	}
}

func nan() float64 { var z float64; return z / z }
