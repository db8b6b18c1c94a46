package metrics_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/redhot/redhot/alert"
	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/metrics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestKeyLabel(t *testing.T) {
	cases := []struct {
		key       string
		truncated bool
		max       int
		want      string
	}{
		{"product:42", false, 128, "product:42"},
		{"produit:été", false, 128, "produit:été"},
		{`a\b`, false, 128, `a\\b`},
		{"\x00\xff\r\n", false, 128, `\x00\xff\x0d\x0a`},
		{"k\u200bk", false, 128, `k\xe2\x80\x8bk`}, // a zero-width space is not printable
		{"prefix-of-a-long-key", true, 128, "prefix-of-a-long-key…"},
		{"0123456789", false, 10, "0123456789"},
		{"0123456789a", false, 10, "0123456…"},
		{"ééééé", false, 10, "ééééé"},
		{"éééééé", false, 10, "ééé…"},
		{"\xff\xff\xff", false, 8, `\xff…`},
		{"x", false, 1, "x"}, // maxBytes below 8 counts as 8
	}
	for _, c := range cases {
		got := metrics.KeyLabel(c.key, c.truncated, c.max)
		if got != c.want {
			t.Errorf("KeyLabel(%q, %v, %d) = %q; want %q", c.key, c.truncated, c.max, got, c.want)
		}
		if !utf8.ValidString(got) || len(got) > max(c.max, 8) && !c.truncated {
			t.Errorf("KeyLabel(%q, %v, %d) = %q: invalid UTF-8 or too long", c.key, c.truncated, c.max, got)
		}
	}
}

func FuzzKeyLabel(f *testing.F) {
	f.Add("product:42", false, 16)
	f.Add("\x00\xff\\", true, 8)
	f.Fuzz(func(t *testing.T, key string, truncated bool, maxBytes int) {
		if maxBytes > 1<<12 || maxBytes < -1 {
			return
		}
		got := metrics.KeyLabel(key, truncated, maxBytes)
		if !utf8.ValidString(got) || len(got) > max(maxBytes, 8) {
			t.Fatalf("KeyLabel(%q, %v, %d) = %q: invalid UTF-8 or longer than the limit", key, truncated, maxBytes, got)
		}
		// Distinct keys that fit have distinct labels.
		if other := key + "\\"; !truncated && !strings.HasSuffix(got, "…") {
			if o := metrics.KeyLabel(other, false, 1<<14); o == got {
				t.Fatalf("KeyLabel(%q) = KeyLabel(%q) = %q", key, other, got)
			}
		}
	})
}

// TestTrackerCollector checks the tracker's metrics on an injected clock,
// and that they pass Prometheus's lint on a pedantic registry.
func TestTrackerCollector(t *testing.T) {
	clk := heat.NewFakeClock(time.Unix(0, 0))
	tr := heat.Must(heat.Options{Clock: clk, Rules: heat.Rules{MinShare: 0.2}})
	defer tr.Close()
	for i := range 2000 {
		tr.Observe("product:42", heat.Read)
		tr.Observe(fmt.Sprintf("user:%d", i%100), heat.Write)
		clk.Add(time.Millisecond)
	}
	tr.Evaluate()
	c, err := metrics.NewTrackerCollector(tr, metrics.Options{TopK: 1})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	want := `
# HELP redhot_heat_observations_total Accesses observed by the tracker.
# TYPE redhot_heat_observations_total counter
redhot_heat_observations_total 4000
# HELP redhot_heat_hot_keys Keys hot at the last evaluation.
# TYPE redhot_heat_hot_keys gauge
redhot_heat_hot_keys 1
# HELP redhot_heat_evaluations_total Evaluations of the hot-key rules.
# TYPE redhot_heat_evaluations_total counter
redhot_heat_evaluations_total 1
# HELP redhot_heat_events_total Hot and cooled events produced.
# TYPE redhot_heat_events_total counter
redhot_heat_events_total 1
# HELP redhot_heat_key_hot 1 when the top key is hot seen by this tracker, else 0.
# TYPE redhot_heat_key_hot gauge
redhot_heat_key_hot{key="product:42"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"redhot_heat_observations_total", "redhot_heat_hot_keys", "redhot_heat_evaluations_total", "redhot_heat_events_total", "redhot_heat_key_hot"); err != nil {
		t.Error(err)
	}
	rates := gather(t, reg)
	if r := rates[`redhot_heat_key_ops_per_second{key="product:42",op="read"}`]; r < 990 || r > 1010 {
		t.Errorf("product:42 read rate %v; want about 1000", r)
	}
	if r := rates[`redhot_heat_ops_per_second{op="write"}`]; r < 990 || r > 1010 {
		t.Errorf("write rate %v; want about 1000", r)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// gather returns every series of reg as name{labels} → value.
func gather(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			out[name] = v
		}
	}
	return out
}

// TestCardinalityBound: a thousand busy keys give series for TopK of them
// only.
func TestCardinalityBound(t *testing.T) {
	clk := heat.NewFakeClock(time.Unix(0, 0))
	tr := heat.Must(heat.Options{Clock: clk})
	defer tr.Close()
	for i := range 100_000 {
		tr.Observe(fmt.Sprintf("key:%d", i%1000), heat.Read)
		if i%100 == 0 {
			clk.Add(time.Millisecond)
		}
	}
	for _, k := range []int{1, 5, 20} {
		c, err := metrics.NewTrackerCollector(tr, metrics.Options{TopK: k})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{"redhot_heat_key_ops_per_second": 2 * k, "redhot_heat_key_share": k, "redhot_heat_key_hot": k}
		for name, want := range counts {
			if n := testutil.CollectAndCount(c, name); n != want {
				t.Errorf("TopK %d: %d %s series; want %d", k, n, name, want)
			}
		}
	}
}

// topSource is a TopSource whose keys the test sets.
type topSource struct {
	mu   sync.Mutex
	keys []heat.KeyStat
}

func (s *topSource) set(keys ...heat.KeyStat) { s.mu.Lock(); s.keys = keys; s.mu.Unlock() }
func (s *topSource) Top(k int) []heat.KeyStat {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]heat.KeyStat(nil), s.keys[:min(k, len(s.keys))]...)
}
func (s *topSource) Totals() heat.Totals { return heat.Totals{Rate: 100, ReadRate: 60, WriteRate: 40} }
func (s *topSource) Stats() fleet.Stats {
	return fleet.Stats{Published: 3, Malformed: 2, UnknownVersion: 1, Instances: 8, Joined: 9, Left: 1, Hot: 1}
}

// TestKeysLeavingTopK: a key that drops out of the top K loses its series
// at the next scrape.
func TestKeysLeavingTopK(t *testing.T) {
	src := &topSource{}
	c, err := metrics.NewFleetCollector(src, metrics.Options{TopK: 2})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	share := func(keys ...string) string {
		s := "# HELP redhot_fleet_key_share Share of all traffic of each of the top keys across the fleet, from 0 to 1.\n# TYPE redhot_fleet_key_share gauge\n"
		for _, k := range keys {
			s += fmt.Sprintf("redhot_fleet_key_share{key=%q} 0.1\n", k)
		}
		return s
	}
	k := func(name string) heat.KeyStat { return heat.KeyStat{Key: name, Rate: 10, ReadRate: 10, Share: 0.1} }
	src.set(k("a"), k("b"), k("c"))
	if err := testutil.GatherAndCompare(reg, strings.NewReader(share("a", "b")), "redhot_fleet_key_share"); err != nil {
		t.Error(err)
	}
	src.set(k("c"))
	if err := testutil.GatherAndCompare(reg, strings.NewReader(share("c")), "redhot_fleet_key_share"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c, "redhot_fleet_key_ops_per_second"); n != 2 {
		t.Errorf("%d key rate series after the top shrank to one key; want 2", n)
	}
}

// TestAwkwardKeys: binary keys, long keys and keys whose labels collide
// still give a valid exposition.
func TestAwkwardKeys(t *testing.T) {
	long := strings.Repeat("k", 300)
	src := &topSource{}
	src.set(
		heat.KeyStat{Key: long + "1", Rate: 30, Share: 0.3},
		heat.KeyStat{Key: long + "2", Rate: 20, Share: 0.2}, // the same label as the first
		heat.KeyStat{Key: "\x00\xff\"{}", Rate: 10, Share: 0.1},
		heat.KeyStat{Key: long[:64], Truncated: true, Rate: 5, Share: 0.05},
	)
	c, err := metrics.NewFleetCollector(src, metrics.Options{TopK: 10, MaxKeyBytes: 32})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	got := gather(t, reg)
	for _, key := range []string{strings.Repeat("k", 29) + "…", `\x00\xff"{}`} {
		if _, ok := got[fmt.Sprintf("redhot_fleet_key_share{key=%q}", key)]; !ok {
			t.Errorf("no share series for key label %q", key)
		}
	}
	if n := testutil.CollectAndCount(c, "redhot_fleet_key_share"); n != 2 {
		t.Errorf("%d share series; want 2 (colliding labels reported once)", n)
	}
}

func TestFleetCollector(t *testing.T) {
	c, err := metrics.NewFleetCollector(&topSource{}, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP redhot_fleet_entries_skipped_total Stream entries skipped, by reason.
# TYPE redhot_fleet_entries_skipped_total counter
redhot_fleet_entries_skipped_total{reason="malformed"} 2
redhot_fleet_entries_skipped_total{reason="stale"} 0
redhot_fleet_entries_skipped_total{reason="unknown_version"} 1
# HELP redhot_fleet_instances Live instances in the fleet view.
# TYPE redhot_fleet_instances gauge
redhot_fleet_instances 8
# HELP redhot_fleet_instance_changes_total Instances that joined, left, or stopped publishing and expired.
# TYPE redhot_fleet_instance_changes_total counter
redhot_fleet_instance_changes_total{change="expired"} 0
redhot_fleet_instance_changes_total{change="joined"} 9
redhot_fleet_instance_changes_total{change="left"} 1
# HELP redhot_fleet_ops_per_second Accesses per second across the fleet, by op (read or write); sum them for the total.
# TYPE redhot_fleet_ops_per_second gauge
redhot_fleet_ops_per_second{op="read"} 60
redhot_fleet_ops_per_second{op="write"} 40
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"redhot_fleet_entries_skipped_total", "redhot_fleet_instances", "redhot_fleet_instance_changes_total", "redhot_fleet_ops_per_second"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

type alertSource struct{}

func (alertSource) Stats() alert.Stats {
	return alert.Stats{Evaluations: 7, Fired: 3, Resolved: 2, Suppressed: 1, Active: 1, Notifiers: []alert.NotifierStats{
		{Name: "webhook", Sent: 4, Failed: 1, Queued: 2},
		{Name: "pubsub:redhot:alerts", Sent: 5, Dropped: 3},
	}}
}

func TestAlertCollector(t *testing.T) {
	c, err := metrics.NewAlertCollector(alertSource{})
	if err != nil {
		t.Fatal(err)
	}
	want := `
# HELP redhot_alert_alerts_total Alerts raised, by kind (firing or resolved).
# TYPE redhot_alert_alerts_total counter
redhot_alert_alerts_total{kind="firing"} 3
redhot_alert_alerts_total{kind="resolved"} 2
# HELP redhot_alert_notifications_total Alerts handed to each notifier, by result (sent, failed or dropped).
# TYPE redhot_alert_notifications_total counter
redhot_alert_notifications_total{notifier="pubsub:redhot:alerts",result="dropped"} 3
redhot_alert_notifications_total{notifier="pubsub:redhot:alerts",result="failed"} 0
redhot_alert_notifications_total{notifier="pubsub:redhot:alerts",result="sent"} 5
redhot_alert_notifications_total{notifier="webhook",result="dropped"} 0
redhot_alert_notifications_total{notifier="webhook",result="failed"} 1
redhot_alert_notifications_total{notifier="webhook",result="sent"} 4
# HELP redhot_alert_notifier_queue_length Alerts waiting for each notifier.
# TYPE redhot_alert_notifier_queue_length gauge
redhot_alert_notifier_queue_length{notifier="pubsub:redhot:alerts"} 0
redhot_alert_notifier_queue_length{notifier="webhook"} 2
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"redhot_alert_alerts_total", "redhot_alert_notifications_total", "redhot_alert_notifier_queue_length"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// TestAlertCollectorMonitor registers a live Monitor's collector.
func TestAlertCollectorMonitor(t *testing.T) {
	src := &topSource{}
	m, err := alert.New(src, alert.Options{Rules: []alert.Rule{{MinRate: 5}}, Clock: heat.NewFakeClock(time.Unix(0, 0))})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	src.set(heat.KeyStat{Key: "k", Rate: 10})
	m.Evaluate()
	c, err := metrics.NewAlertCollector(m)
	if err != nil {
		t.Fatal(err)
	}
	got := gather(t, registry(t, c))
	if got[`redhot_alert_alerts_total{kind="firing"}`] != 1 || got["redhot_alert_active"] != 1 {
		t.Errorf("metrics %v; want one firing alert, active", got)
	}
}

func registry(t *testing.T, c prometheus.Collector) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestInvalidOptions(t *testing.T) {
	src := &topSource{}
	for _, c := range []struct {
		opts  metrics.Options
		field string
	}{
		{metrics.Options{TopK: -1}, "TopK"},
		{metrics.Options{TopK: 1001}, "TopK"},
		{metrics.Options{MaxKeyBytes: 3}, "MaxKeyBytes"},
	} {
		if _, err := metrics.NewFleetCollector(src, c.opts); !errors.Is(err, metrics.ErrInvalidOptions) || !strings.Contains(err.Error(), c.field) {
			t.Errorf("NewFleetCollector(%+v) = %v; want ErrInvalidOptions naming %s", c.opts, err, c.field)
		}
	}
	if _, err := metrics.NewTrackerCollector(nil, metrics.Options{}); !errors.Is(err, metrics.ErrInvalidOptions) {
		t.Errorf("NewTrackerCollector(nil) = %v; want ErrInvalidOptions", err)
	}
}
