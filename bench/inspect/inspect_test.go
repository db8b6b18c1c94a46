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
			tools[r.Tool] = r
		} else {
			var r ThroughputResult
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatal(err)
			}
			samplers[r.Sampler] = r
		}
	}
	for _, tool := range []string{"redhot", "redis-cli"} {
		r, ok := tools[tool]
		if !ok || r.Keys != Quick.Keys || r.Seconds <= 0 || r.RecallAt16 < 0 || r.RecallAt16 > 1 {
			t.Errorf("tool %s = %+v (present %v); want keys %d, a time and a recall in [0, 1]", tool, r, ok, Quick.Keys)
		}
	}
	if r := tools["redhot"]; r.RecallAt16 < 0.5 {
		t.Errorf("redhot recall@16 = %v; want at least 0.5 on Zipf 1.0", r.RecallAt16)
	}
	for _, s := range []string{"none", "redhot", "redis-cli"} {
		if r, ok := samplers[s]; !ok || r.OpsPerSec <= 0 {
			t.Errorf("sampler %s = %+v (present %v); want a positive throughput", s, r, ok)
		}
	}
}
