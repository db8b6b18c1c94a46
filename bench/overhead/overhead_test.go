package overhead

import (
	"bytes"
	"encoding/json"
	"testing"

	"go.uber.org/goleak"

	"github.com/redhot/redhot/internal/redistest"
)

// TestMain checks that a run leaves no goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQuickRun runs the quick configuration and checks that every
// detector has a line with measured figures, and that the middleware found
// the workload's hottest key. Throughputs depend on the machine and are
// logged, not asserted (make bench-overhead reports them).
func TestQuickRun(t *testing.T) {
	redistest.SkipIfShort(t)
	var out bytes.Buffer
	if err := Run(t.Context(), Quick, &out); err != nil {
		t.Fatalf("Run(Quick) = %v", err)
	}
	t.Log(out.String())
	got := map[string]Result{}
	for _, line := range bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n")) {
		var r Result
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("line %q is not a Result: %v", line, err)
		}
		got[r.Detector] = r
	}
	for _, d := range Detectors {
		r, ok := got[d]
		if !ok {
			t.Errorf("no line for %s", d)
			continue
		}
		if r.AppOpsPerSec <= 0 || r.ServerOpsPerSec <= 0 || r.ServerCPUUsPerOp <= 0 || r.Workers != Quick.Workers || r.Pipeline != Quick.Pipelines[0] {
			t.Errorf("%s = %+v; want measured throughputs and CPU, workers %d, pipeline %d", d, r, Quick.Workers, Quick.Pipelines[0])
		}
	}
	for d, r := range got {
		if !(r.AppOpsRatioMin <= r.AppOpsRatio && r.AppOpsRatio <= r.AppOpsRatioMax) || !(r.CPURatioMin <= r.CPUPerOpRatio && r.CPUPerOpRatio <= r.CPURatioMax) {
			t.Errorf("%s: ratio ranges [%v %v %v], [%v %v %v]; want min <= median <= max", d,
				r.AppOpsRatioMin, r.AppOpsRatio, r.AppOpsRatioMax, r.CPURatioMin, r.CPUPerOpRatio, r.CPURatioMax)
		}
	}
	if r := got["none"]; r.AppOpsRatio != 1 || r.ServerOpsRatio != 1 {
		t.Errorf("none: ratios %v, %v; want 1, 1", r.AppOpsRatio, r.ServerOpsRatio)
	}
	if r := got["redhot-middleware"]; r.TopKeyFound == nil || !*r.TopKeyFound {
		t.Errorf("redhot-middleware: top_key_found = %v; want true", r.TopKeyFound)
	}
}

// TestBadConfig checks that a bad configuration is an error, not a panic
// or a hang.
func TestBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no keys":        {Keys: 0, Workers: 1, Pipelines: []int{1}, Phase: 1, Rounds: 1},
		"no workers":     {Keys: 10, Workers: 0, Pipelines: []int{1}, Phase: 1, Rounds: 1},
		"no pipelines":   {Keys: 10, Workers: 1, Phase: 1, Rounds: 1},
		"empty pipeline": {Keys: 10, Workers: 1, Pipelines: []int{0}, Phase: 1, Rounds: 1},
		"no phase":       {Keys: 10, Workers: 1, Pipelines: []int{1}, Phase: 0, Rounds: 1},
		"no rounds":      {Keys: 10, Workers: 1, Pipelines: []int{1}, Phase: 1},
	} {
		if err := Run(t.Context(), cfg, &bytes.Buffer{}); err == nil {
			t.Errorf("%s: Run(%+v) = nil; want an error", name, cfg)
		}
	}
}
