package fleet

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/redhot/redhot/internal/redistest"
)

// TestQuickRun runs the quick bench and checks its report: one JSON object
// with the fields make bench-fleet promises, most trials detected on every
// instance, and the trial keys warm but never hot on any single instance.
// Times are printed, not asserted: a slow machine cannot fail this test.
func TestQuickRun(t *testing.T) {
	redistest.SkipIfShort(t)
	var out bytes.Buffer
	if err := Run(t.Context(), Quick, &out); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Log(out.String())
	var raw map[string]any
	if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
		t.Fatalf("output %q is not one JSON object: %v", out.String(), err)
	}
	for _, f := range []string{"instances", "fleet_detect_ms_p50", "fleet_detect_ms_p99", "trials", "publish_interval_ms", "stream_len", "bytes_per_summary"} {
		if _, ok := raw[f]; !ok {
			t.Errorf("output has no %s", f)
		}
	}
	var r Result
	dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	// Every trial is detected on a machine with CPU to spare; with the
	// race detector and other test packages beside it, a starved
	// publisher can let a summary age out and a trial time out. A
	// majority must still be found everywhere: a fleet view that stopped
	// merging would find none.
	if r.Instances != Quick.Instances || r.Trials != Quick.Trials || 2*r.Detected <= r.Trials {
		t.Errorf("%d instances, %d of %d trials detected; want %d instances and most trials", r.Instances, r.Detected, r.Trials, Quick.Instances)
	}
	if r.Detected != r.Trials {
		t.Logf("%d of %d trials detected within %v on every instance (a loaded machine?)", r.Detected, r.Trials, Quick.Timeout)
	}
	if r.LocallyHot != 0 {
		t.Errorf("a trial key was hot on %d instances' own trackers; want warm only", r.LocallyHot)
	}
	if r.PublishErrors != 0 || r.ReadErrors != 0 || r.SkippedEntries != 0 {
		t.Errorf("%d publish errors, %d read errors, %d skipped entries; want none", r.PublishErrors, r.ReadErrors, r.SkippedEntries)
	}
	if r.FleetDetectMsP50 <= 0 || r.FleetDetectMsP99 < r.FleetDetectMsP50 || r.BytesPerSummary <= 0 || r.StreamLen <= 0 {
		t.Errorf("implausible figures: %+v", r)
	}
}
