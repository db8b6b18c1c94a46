package nearcache

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"go.uber.org/goleak"

	"github.com/redhot/redhot/internal/redistest"
)

// TestMain checks that a run leaves no goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQuickRun runs the quick configuration and checks that it prints one
// JSON object with every field set. The figures depend on the machine and
// are logged, not asserted (make bench-nearcache reports them).
func TestQuickRun(t *testing.T) {
	redistest.SkipIfShort(t)
	var out bytes.Buffer
	if err := Run(context.Background(), Quick, &out); err != nil {
		t.Fatalf("Run(Quick) = %v", err)
	}
	t.Log(out.String())
	var fields map[string]any
	if err := json.Unmarshal(out.Bytes(), &fields); err != nil {
		t.Fatalf("output is not one JSON object: %v", err)
	}
	for _, f := range []string{
		"hit_ns_goredis_plain", "hit_ns_goredis_redhot", "hit_ns_rueidis_csc", "hit_ns_direct",
		"hit_ns_direct_parallel", "hit_allocs_direct", "zipf_local_share", "zipf_ideal_share",
		"zipf_cached_key_share", "server_cmds_reduction", "cold_overhead_share",
		"stale_ms_p50", "stale_ms_p99", "stale_ms_max", "goredis_csc_status", "hit_ns_goredis_csc",
		"zipf_goredis_csc_local_share", "stale_goredis_csc_ms_max",
	} {
		if _, ok := fields[f]; !ok {
			t.Errorf("field %s missing", f)
		}
	}
	var r Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.HitNsDirect <= 0 || r.ZipfIdealShare <= 0 || r.ZipfLocalShare <= 0 || r.StaleMsMax <= 0 {
		t.Errorf("a measurement is missing: %+v", r)
	}
	// go-redis's cache either served hits here, and then every figure of
	// it was measured, or the report says why not.
	switch {
	case r.GoRedisCSCStatus == "":
		t.Errorf("goredis_csc_status is empty")
	case r.GoRedisCSCStatus == "on" && (r.HitNsGoRedisCSC <= 0 || r.ZipfGoRedisCSCLocalShare <= 0 || r.StaleGoRedisCSCMsMax <= 0):
		t.Errorf("go-redis CSC is on but a measurement is missing: %+v", r)
	case r.GoRedisCSCStatus == "on" && r.ZipfGoRedisCSCCachedKeyShare > Quick.CacheShare:
		t.Errorf("zipf_goredis_csc_cached_key_share = %v; want at most %v", r.ZipfGoRedisCSCCachedKeyShare, Quick.CacheShare)
	}
	if r.ZipfCachedKeyShare > Quick.CacheShare {
		t.Errorf("zipf_cached_key_share = %v; want at most %v", r.ZipfCachedKeyShare, Quick.CacheShare)
	}
}
