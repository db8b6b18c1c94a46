package stampede

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/redhot/redhot/internal/redistest"
)

// TestQuickRun runs the quick bench and checks its report: one JSON object
// per approach, and the behaviour each approach is known for. The checks
// are on counts, not on times, so a slow machine cannot fail them.
func TestQuickRun(t *testing.T) {
	redistest.SkipIfShort(t)
	var out bytes.Buffer
	if err := Run(t.Context(), Quick, &out); err != nil {
		t.Fatalf("Run: %v", err)
	}
	results := map[string]Result{}
	var order []string
	lines := bufio.NewScanner(&out)
	for lines.Scan() {
		var r Result
		dec := json.NewDecoder(bytes.NewReader(lines.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %q: %v", lines.Text(), err)
		}
		var raw map[string]any
		if err := json.Unmarshal(lines.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{"approach", "loader_calls_per_expiry", "p99_ms"} {
			if _, ok := raw[field]; !ok {
				t.Errorf("line %q has no %s", lines.Text(), field)
			}
		}
		results[r.Approach] = r
		order = append(order, r.Approach)
	}
	if want := []string{"cache-aside", "lock-poll", "redhot"}; len(order) != len(want) || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
		t.Fatalf("approaches = %v; want %v", order, want)
	}
	for name, r := range results {
		if r.Errors != 0 || r.Calls == 0 || r.Refreshes == 0 {
			t.Errorf("%s: %d errors, %d calls, %d refreshes; want no errors and some calls and refreshes", name, r.Errors, r.Calls, r.Refreshes)
		}
	}

	// redhot: one loader call per recomputation, never two at once, across
	// four clients. (A recomputation drawn within a few milliseconds of
	// the previous one counts as a second call of the same recomputation:
	// hence the margin.)
	rh := results["redhot"]
	if rh.LoaderCallsPerRefresh < 1 || rh.LoaderCallsPerRefresh > 1.2 || rh.MaxConcurrentLoaders != 1 {
		t.Errorf("redhot: %v loader calls per refresh, at most %d at once; want 1 and 1", rh.LoaderCallsPerRefresh, rh.MaxConcurrentLoaders)
	}
	// And about one per TTL: each early refresh starts at most
	// loader·(1 + 1.5·Beta) before expiry whatever the read rate, so a
	// value lives at least TTL − 1.5·Beta·loader, plus one call for a
	// partial last TTL. (Per-read XFetch draws gave 1.8 here.)
	const beta = 1.0 // the library default, which Quick uses
	most := float64(Quick.TTL)/float64(Quick.TTL-time.Duration(1.5*beta*float64(Quick.Loader))) + 1/float64(Quick.TTLPeriods)
	if rh.LoaderCallsPerExpiry > most {
		t.Errorf("redhot: %v loader calls per TTL; want at most %.3f", rh.LoaderCallsPerExpiry, most)
	}
	// The baseline stampedes, or the bench measures nothing.
	if ca := results["cache-aside"]; ca.LoaderCallsPerRefresh < 2 || ca.MaxConcurrentLoaders < 2 {
		t.Errorf("cache-aside: %v loader calls per refresh, at most %d at once; want a stampede", ca.LoaderCallsPerRefresh, ca.MaxConcurrentLoaders)
	}
	t.Logf("redhot: %+v", rh)
}

func TestEpisodes(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		busy []span
		want int
	}{
		{"none", nil, 0},
		{"one", []span{{0, 100 * ms}}, 1},
		{"far apart", []span{{0, 100 * ms}, {400 * ms, 500 * ms}}, 2},
		{"right after", []span{{0, 100 * ms}, {101 * ms, 200 * ms}, {900 * ms, 1000 * ms}}, 2},
	}
	for _, tc := range tests {
		if got := episodes(tc.busy, 10*ms); got != tc.want {
			t.Errorf("episodes(%s) = %d; want %d", tc.name, got, tc.want)
		}
	}
}

func TestOverlaps(t *testing.T) {
	ms := time.Millisecond
	busy := []span{{100 * ms, 200 * ms}, {500 * ms, 600 * ms}}
	tests := []struct {
		c    span
		want bool
	}{
		{span{0, 50 * ms}, false},
		{span{50 * ms, 150 * ms}, true},
		{span{150 * ms, 160 * ms}, true},
		{span{190 * ms, 300 * ms}, true},
		{span{200 * ms, 300 * ms}, false},
		{span{300 * ms, 700 * ms}, true},
		{span{700 * ms, 800 * ms}, false},
	}
	for _, tc := range tests {
		if got := overlaps(busy, tc.c); got != tc.want {
			t.Errorf("overlaps(%v) = %v; want %v", tc.c, got, tc.want)
		}
	}
}
