package inspect

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/redhot/redhot/internal/redistest"
)

// TestQuick runs the quick configuration and checks every line parses,
// with the tools and samplers the report promises.
func TestQuick(t *testing.T) {
	redistest.SkipIfShort(t)
	var buf bytes.Buffer
	if err := Run(t.Context(), Quick, &buf); err != nil {
		t.Fatalf("Run(Quick) = %v", err)
	}
	tools, samplers := map[string]HotkeysResult{}, map[string]ThroughputResult{}
	sizes := map[int]int{}
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %q does not parse: %v", line, err)
		}
		if _, ok := m["tool"]; ok {
			var r HotkeysResult
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatal(err)
			}
			sizes[r.Keys]++
			if r.Keys == Quick.Sweep[len(Quick.Sweep)-1] {
				tools[r.Tool] = r
			}
		} else {
			var r ThroughputResult
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatal(err)
			}
			samplers[r.Sampler] = r
		}
	}
	for _, n := range Quick.Sweep {
		if sizes[n] != 2 {
			t.Errorf("%d hot key lines for %d keys; want 2 (one per tool)", sizes[n], n)
		}
	}
	for _, tool := range []string{"redhot", "redis-cli"} {
		r, ok := tools[tool]
		if !ok || r.Keys != Quick.Keys || r.Accesses != Quick.Accesses || r.Seconds <= 0 || r.RecallAt16 < 0 || r.RecallAt16 > 1 {
			t.Errorf("tool %s = %+v (present %v); want keys %d, accesses %d, a time and a recall in [0, 1]", tool, r, ok, Quick.Keys, Quick.Accesses)
		}
	}
	if r := tools["redhot"]; r.RecallAt16 < 0.5 {
		t.Errorf("redhot recall@16 = %v; want at least 0.5 on Zipf 1.0", r.RecallAt16)
	}
	if c := Quick.CapSweep(Quick.Sweep[0]); len(c.Sweep) != 1 || c.Sweep[0] != Quick.Sweep[0] {
		t.Errorf("CapSweep(%d).Sweep = %v; want [%d]", Quick.Sweep[0], c.Sweep, Quick.Sweep[0])
	}
	if err := Run(t.Context(), Quick.CapSweep(1), &buf); err == nil {
		t.Errorf("Run with every size capped away = nil; want an error")
	}
	for _, s := range []string{"none", "redhot", "redis-cli"} {
		if r, ok := samplers[s]; !ok || r.OpsPerSec <= 0 {
			t.Errorf("sampler %s = %+v (present %v); want a positive throughput", s, r, ok)
		}
	}
}
