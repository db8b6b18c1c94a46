package split

import (
	"bytes"
	"encoding/json"
	"testing"

	"go.uber.org/goleak"

	"github.com/redhot/redhot/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQuickRun runs the quick bench and checks its report: one JSON object
// with every field, no errors, and the spread each approach is known for.
// The checks are on balances with wide margins, not on speed, so a slow
// machine cannot fail them.
func TestQuickRun(t *testing.T) {
	redistest.SkipIfShort(t)
	var out bytes.Buffer
	if err := Run(t.Context(), Quick, &out); err != nil {
		t.Fatalf("Run: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	for _, f := range []string{"counter_maxmean_plain", "counter_maxmean_split", "counter_ops_plain", "counter_ops_split",
		"read_maxmean_plain", "read_maxmean_copies", "read_maxmean_replicas"} {
		if _, ok := raw[f].(float64); !ok {
			t.Errorf("report has no number %s: %s", f, out.String())
		}
	}
	dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
	dec.DisallowUnknownFields()
	var r Result
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Errorf("more than one JSON value: %s", out.String())
	}
	t.Logf("%+v", r)
	checks := []struct {
		name   string
		got    float64
		lo, hi float64
	}{
		{"counter_maxmean_plain", r.CounterMaxMeanPlain, 2.5, 3},
		{"counter_maxmean_split", r.CounterMaxMeanSplit, 1, 1.5},
		{"read_maxmean_plain", r.ReadMaxMeanPlain, 2.5, 3},
		{"read_maxmean_copies", r.ReadMaxMeanCopies, 1, 1.5},
		{"read_maxmean_replicas", r.ReadMaxMeanReplicas, 1.2, 1.8},
		{"read_maxmean_replicaset_plain", r.ReadMaxMeanReplicaSetPlain, 2.5, 3},
	}
	for _, c := range checks {
		if c.got < c.lo || c.got > c.hi {
			t.Errorf("%s = %v; want %v to %v", c.name, c.got, c.lo, c.hi)
		}
	}
	for name, sh := range map[string][]float64{
		"counter_node_share_plain": r.CounterNodeSharePlain, "counter_node_share_split": r.CounterNodeShareSplit,
		"read_node_share_plain": r.ReadNodeSharePlain, "read_node_share_copies": r.ReadNodeShareCopies,
		"read_node_share_replicaset_plain": r.ReadNodeShareReplicaSetPlain, "read_node_share_replicas": r.ReadNodeShareReplicas,
	} {
		var sum float64
		for _, x := range sh {
			sum += x
		}
		if len(sh) != 3 || sum < 0.99 || sum > 1.01 {
			t.Errorf("%s = %v; want 3 shares summing to 1", name, sh)
		}
	}
	if r.Errors != 0 || !r.CounterTotalOK || r.CounterOpsPlain <= 0 || r.CounterOpsSplit <= 0 {
		t.Errorf("errors %d, counter total ok %v, ops %v and %v; want no errors, a right total and some ops", r.Errors, r.CounterTotalOK, r.CounterOpsPlain, r.CounterOpsSplit)
	}
}
