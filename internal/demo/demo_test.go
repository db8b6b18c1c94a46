package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/redhot/redhot/internal/browsertest"
	"go.uber.org/goleak"

	"github.com/redhot/redhot/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemoQuick runs the quick story on its own embedded cluster and
// checks what it measured: the viral key and the flag detected and near
// cached, the counter split, the busiest primary closer to the mean after
// mitigation than before, and a report that renders in a browser.
func TestDemoQuick(t *testing.T) {
	redistest.SkipIfShort(t)
	o := Options{Quick: true, Replicas: 1, Workers: 12, Rate: 5000, ReportDir: filepath.Join(t.TempDir(), "report")}
	if raceEnabled {
		// The race detector slows the clients several times: offer less
		// traffic over fewer keys, for a little less time.
		o.Rate, o.Keys, o.Duration = 1500, 2000, 8*time.Second
	}
	var out bytes.Buffer
	o.Out = &out
	began := time.Now()
	sum, err := Run(t.Context(), o)
	ran := time.Since(began)
	if err != nil {
		t.Fatalf("Run() = %v\n%s", err, out.String())
	}
	t.Logf("output:\n%s", out.String())

	byKey := map[string]KeyResult{}
	for _, k := range sum.Keys {
		byKey[k.Key] = k
	}
	for _, key := range []string{ViralKey, FlagKey} {
		k := byKey[key]
		if !k.Detected || k.Mitigation != "near cache" {
			t.Errorf("%s: detected %v, mitigation %q; want detected and near cache", key, k.Detected, k.Mitigation)
		}
		if k.Detected && (k.DetectedAt < k.Onset || k.DetectedAt >= newSchedule(sum.Duration).mitigateAt) {
			t.Errorf("%s: detected at %v, onset %v; want between onset and mitigation", key, k.DetectedAt, k.Onset)
		}
	}
	if k := byKey[CounterKey]; !strings.HasPrefix(k.Mitigation, "split counter") {
		t.Errorf("%s: mitigation %q; want split counter", CounterKey, k.Mitigation)
	}
	if k := byKey[StockKey]; k.Mitigation != "replica reads" || sum.ReplicaReads == 0 {
		t.Errorf("%s: mitigation %q, %d replica reads; want its reads on replicas", StockKey, k.Mitigation, sum.ReplicaReads)
	}
	if !(sum.Before.MaxOverMean > 0 && sum.After.MaxOverMean > 0 && sum.After.MaxOverMean < sum.Before.MaxOverMean) {
		t.Errorf("primary load max/mean before %.2f, after %.2f; want after < before", sum.Before.MaxOverMean, sum.After.MaxOverMean)
	}
	if sum.NearCacheHits == 0 {
		t.Errorf("NearCacheHits = 0; want the viral key and the flag served locally")
	}
	if sum.CounterTotal < sum.CounterAcked || sum.CounterTotal > sum.CounterAcked+sum.CounterUnknown {
		t.Errorf("counter total %d; want between %d acknowledged and %d with unknown outcomes", sum.CounterTotal, sum.CounterAcked, sum.CounterAcked+sum.CounterUnknown)
	}
	if len(sum.Files) != 4 {
		t.Fatalf("report files %v; want 4", sum.Files)
	}
	for _, f := range sum.Files {
		st, err := os.Stat(f)
		if err != nil || st.Size() == 0 {
			t.Errorf("report file %s: %v (size %d); want written", f, err, sizeOf(st))
		}
	}
	for _, want := range []string{"SUMMARY", "primary load max/mean", "client p99", sum.Files[0]} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	page, err := os.ReadFile(sum.Files[0])
	if err != nil {
		t.Fatal(err)
	}
	// Self-contained: nothing is loaded from the network.
	if m := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`).Find(page); m != nil {
		t.Errorf("report loads %q from the network; want everything inline", m)
	}
	began = time.Now()
	checkReportInBrowser(t, sum.Files[0], len(sum.Nodes), len(sum.Samples))
	t.Logf("Run took %v, the browser check %v", ran.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

func sizeOf(st os.FileInfo) int64 {
	if st == nil {
		return 0
	}
	return st.Size()
}

// checkReportInBrowser opens the report in headless chromium and fails on
// any console error, or if a chart or image is missing.
func checkReportInBrowser(t *testing.T, file string, nodes, samples int) {
	t.Helper()
	ctx, console := browsertest.Start(t, 1000, 1200)
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+file)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	check := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	check("the key table has every story key", `document.querySelectorAll("#keys tbody tr").length === `+fmt.Sprint(nStory))
	check("the load chart draws one line per primary, a point per sample",
		fmt.Sprintf(`[...document.querySelectorAll("#load-chart polyline.series")].filter(p => p.points.length === %d).length === %d`, samples, nodes))
	check("the latency chart draws p50 and p99",
		fmt.Sprintf(`[...document.querySelectorAll("#latency-chart polyline.series")].filter(p => p.points.length === %d).length === 2`, samples))
	check("the charts have a size", `[...document.querySelectorAll("svg.chart")].every(s => s.getBoundingClientRect().height > 100)`)
	check("both PNGs decode", `document.images.length === 2 && [...document.images].every(i => i.complete && i.naturalWidth > 400)`)
	if errs := console.Errors(); len(errs) > 0 {
		t.Errorf("the report wrote console errors or threw:\n%s", strings.Join(errs, "\n"))
	}
	// The check above can fail: errors the page writes are caught.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`console.error("probe-error"); 1`)); err != nil {
		t.Fatal(err)
	}
	check("the probe reaches the console log", `new Promise(r => setTimeout(() => r(true), 200))`)
	if errs := strings.Join(console.Errors(), "\n"); !strings.Contains(errs, "probe-error") {
		t.Errorf("console errors after the probe = %q; want the probe caught", errs)
	}
}

func TestDemoBadOptions(t *testing.T) {
	out := &bytes.Buffer{}
	tests := []struct {
		name  string
		opts  Options
		field string
	}{
		{"no output", Options{}, "Out"},
		{"too short", Options{Out: out, Duration: time.Second}, "Duration"},
		{"negative rate", Options{Out: out, Rate: -5}, "Rate"},
		{"too few keys", Options{Out: out, Keys: 1}, "Keys"},
		{"too many replicas", Options{Out: out, Replicas: 9}, "Replicas"},
		{"interval too long", Options{Out: out, Duration: 4 * time.Second, Interval: time.Second}, "Interval"},
		{"cost above TTL", Options{Out: out, PricesTTL: 100 * time.Millisecond, PricesCost: time.Second}, "PricesCost"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(t.Context(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Run() = %v; want an error naming %s", err, tc.field)
			}
		})
	}
}

func TestDemoUnreachableURL(t *testing.T) {
	var out bytes.Buffer
	_, err := Run(t.Context(), Options{URL: "redis://127.0.0.1:1", Out: &out})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Run() = %v; want a connect error naming the address", err)
	}
}

// TestDemoInterrupted cancels the run during the story: Run returns at
// once without error, marked interrupted, and leaves no goroutine (the
// leak check in TestMain) and no server behind.
func TestDemoInterrupted(t *testing.T) {
	redistest.SkipIfShort(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	var out bytes.Buffer
	began := time.Now()
	sum, err := Run(ctx, Options{Quick: true, Rate: 1000, Keys: 1000, Workers: 4, Out: &out})
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if !sum.Interrupted || sum.ReportDir != "" {
		t.Errorf("Interrupted = %v, ReportDir %q; want interrupted, no report", sum.Interrupted, sum.ReportDir)
	}
	if took := time.Since(began); took > 15*time.Second {
		t.Errorf("Run took %v after a 3s deadline; want a prompt stop", took)
	}
	if !strings.Contains(out.String(), "interrupted") {
		t.Errorf("output does not say it was interrupted:\n%s", out.String())
	}
}
