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
			if r.Detector == "exact (Go map)" && (*r.RecallAt100 != 1 || *r.Top10RateError != 0) {
				t.Errorf("%s exact: recall %v, top-10 error %v; want 1 and 0", r.Workload, *r.RecallAt100, *r.Top10RateError)
			}
			if r.MemoryBytes == nil || *r.MemoryBytes <= 0 || r.NsPerOp == nil || *r.NsPerOp <= 0 {
				t.Errorf("%s %s: memory %v, ns/op %v; want both measured", r.Workload, r.Detector, r.MemoryBytes, r.NsPerOp)
			}
		}
		t.Log(sc.Text())
	}
	if redhot != 3 || step != 1 || peers != 12 {
		t.Errorf("got %d redhot, %d step and %d peer lines; want 3, 1 and 12", redhot, step, peers)
	}
}

// TestAccuracyTies checks that a key tied with the 100th true key counts
// as right, whichever of the tied keys the truth's sort listed, and that
// a key below them does not.
func TestAccuracyTies(t *testing.T) {
	exact := map[string]float64{}
	var reported []string
	for i := range 99 {
		k := string(rune('A' + i))
		exact[k] = float64(1000 - i)
		reported = append(reported, k)
	}
	exact["tie1"], exact["tie2"], exact["low"] = 5, 5, 4
	rates := map[string]float64{}
	for k, v := range exact {
		rates[k] = v
	}
	for _, last := range []string{"tie1", "tie2"} {
		rec, prec, e10 := accuracy(append(reported[:99:99], last), rates, exact)
		if rec != 1 || prec != 1 || e10 != 0 {
			t.Errorf("with %s: recall %v, precision %v, top-10 error %v; want 1, 1, 0", last, rec, prec, e10)
		}
	}
	if rec, _, _ := accuracy(append(reported[:99:99], "low"), rates, exact); rec != 0.99 {
		t.Errorf("with a key below the 100th: recall %v; want 0.99", rec)
	}
}
