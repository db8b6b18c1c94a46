package detect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
)

// TestQuickRun runs the quick configuration and checks the report's shape
// and the accuracy figures, which are measured on stream time and so do not
// depend on the machine's speed. Speed figures are printed, not asserted.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("quick bench run takes a few seconds")
	}
	var out bytes.Buffer
	if err := Run(Quick, &out); err != nil {
		t.Fatalf("Run(Quick) = %v", err)
	}
	sc := bufio.NewScanner(&out)
	var redhot, peers, step int
	for sc.Scan() {
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q is not a Result: %v", sc.Text(), err)
		}
		switch {
		case r.Workload == "step":
			step++
			if r.StepMissed == nil || *r.StepMissed != 0 || r.StepDetectMsP99 == nil || *r.StepDetectMsP99 > 100 {
				t.Errorf("step: missed %v, p99 %v ms; want none missed and p99 <= 100 ms", r.StepMissed, r.StepDetectMsP99)
			}
		case r.Detector == "redhot" && r.NsPerOp != nil && r.NsPerOpParallel != nil:
			redhot++
			if *r.RecallAt100 < 0.99 || *r.PrecisionAt100 < 0.99 || *r.Top10RateError > 0.02 {
				t.Errorf("%s: recall %.3f precision %.3f top-10 error %.4f; want >= 0.99, >= 0.99, <= 0.02",
					r.Workload, *r.RecallAt100, *r.PrecisionAt100, *r.Top10RateError)
			}
			if *r.MemoryBytes > 1<<20 {
				t.Errorf("%s: memory %d bytes; want at most 1 MiB", r.Workload, *r.MemoryBytes)
			}
		default:
			peers++
		}
		t.Log(sc.Text())
	}
	if redhot != 3 || step != 1 || peers != 9 {
		t.Errorf("got %d redhot, %d step and %d peer lines; want 3, 1 and 9", redhot, step, peers)
	}
}
