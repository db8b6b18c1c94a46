package dashboard_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redhot/redhot/internal/browsertest"
	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot"
	"github.com/redhot/redhot/dashboard"
	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/inspect"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/metrics"
)

// TestBrowser loads the dashboard in headless chromium while a fleet
// member publishes real traffic through a redis-server: the page loads,
// the charts draw data, a key that turns hot appears on the page within
// seconds of the fleet flagging it, one that stops shows as cooled, and
// the page writes no console error and throws nothing. The screenshot is kept in the test's artifact
// directory (go test -artifacts keeps it).
func TestBrowser(t *testing.T) {
	redistest.SkipIfShort(t)
	ctx, console := browsertest.Start(t, 1440, 1200)

	// A service instance: a tracker fed by real GETs, publishing to the
	// fleet stream; and the dashboard's own observer.
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	rdb := srv.Client()
	tr := heat.Must(heat.Options{})
	defer tr.Close()
	member, err := fleet.Join(t.Context(), rdb, tr, fleet.Options{Instance: "api-1", Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	// Hot from 5% of the fleet's traffic: the 50 background keys (2%
	// each) stay warm.
	obs, err := fleet.Join(t.Context(), rdb, nil, fleet.Options{Instance: "dashboard", Interval: 100 * time.Millisecond, Rules: fleet.Rules{MinShare: 0.05}})
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Close()
	hotEvents := obs.Subscribe(16)

	// A second instance runs the redhot middleware: its summaries carry
	// its near cache's counters, for the near-cache panel.
	mw, err := redhot.New(srv.Client(), redhot.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer mw.Close()
	if _, err := mw.JoinFleet(t.Context(), fleet.Options{Instance: "api-2", Interval: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Set(t.Context(), "config:flags", "on", 0).Err(); err != nil {
		t.Fatal(err)
	}
	mw.Pin("config:flags")
	for deadline := time.Now().Add(10 * time.Second); mw.Stats().Cache.Hits < 50; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the middleware's near cache did not serve config:flags: %+v", mw.Stats().Cache)
		}
		if v, err := mw.Get(t.Context(), "config:flags"); v != "on" || err != nil {
			t.Fatalf("Get(config:flags) = %q, %v", v, err)
		}
	}

	var viral sync.WaitGroup
	stop := make(chan struct{})
	viralOn := make(chan struct{})
	defer func() { close(stop); viral.Wait() }()
	viral.Go(func() { drive(t, rdb, tr, stop, viralOn) })

	target, err := inspect.Connect(t.Context(), inspect.ConnOptions{URL: srv.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	fc, err := metrics.NewFleetCollector(obs, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dash, err := dashboard.New(dashboard.Options{
		Source: obs, SourceKind: "fleet", Fleet: obs,
		Title:        "fleet redhot:fleet on redis://" + srv.Addr(),
		Nodes:        inspect.NewLoadMeter(t.Context(), target),
		Interval:     250 * time.Millisecond,
		LoadInterval: time.Second,
		Collectors:   []prometheus.Collector{fc},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(dash)
	defer hs.Close()
	defer dash.Close()

	// The page loads and shows the keys.
	if err := chromedp.Do(ctx, chromedp.Navigate(hs.URL)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	wait := func(what, expr string, timeout time.Duration) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout))); err != nil {
			t.Fatalf("%s: not within %v (%v); console: %q", what, timeout, err, console.Errors())
		}
	}
	wait("the keys table fills", `document.querySelectorAll("#keys tbody tr").length >= 5`, 10*time.Second)
	wait("the page is live", `document.getElementById("status").classList.contains("live")`, 5*time.Second)
	wait("a chart draws data", chartDrawn(`#charts .chart:not(.is-hot) canvas`, "cool"), 10*time.Second)

	// product:viral turns hot: the page must show it soon after the fleet
	// flags it.
	close(viralOn)
	var flagged time.Time
	select {
	case ev := <-hotEvents.C:
		for ev.Key != "product:viral" {
			ev = <-hotEvents.C
		}
		flagged = time.Now()
	case <-time.After(10 * time.Second):
		t.Fatal("the fleet did not flag product:viral within 10s")
	}
	wait("product:viral shows as hot", `!!document.querySelector('#keys tr.is-hot[data-key="product:viral"] .badge.hot')`, 5*time.Second)
	shown := time.Since(flagged)
	t.Logf("product:viral on the page %v after the fleet flagged it hot", shown.Round(time.Millisecond))
	if shown > 3*time.Second {
		t.Errorf("product:viral took %v to appear as hot; want within 3s", shown)
	}
	wait("its chart draws, in the hot colour", chartDrawn(`.chart.is-hot[data-key="product:viral"] canvas`, "hot"), 5*time.Second)
	wait("the timeline shows it", `[...document.querySelectorAll("#events li")].some(li => li.textContent.includes("product:viral") && li.textContent.includes("HOT"))`, 5*time.Second)
	wait("the timeline shows cart:flash cooling", `[...document.querySelectorAll("#events li")].some(li => li.textContent.includes("cart:flash") && li.textContent.includes("cooled"))`, 10*time.Second)
	wait("the node load panel shows the server with rates", `[...document.querySelectorAll("#nodes tbody tr")].some(tr => tr.textContent.includes("`+srv.Addr()+`") && parseFloat(tr.querySelector(".bar i").style.width) > 0)`, 10*time.Second)
	wait("the fleet panel lists the instance", `[...document.querySelectorAll("#fleet tbody tr")].some(tr => tr.textContent.includes("api-1"))`, 5*time.Second)
	// The near-cache panel shows api-2's counters and the fleet's sum:
	// hits and a hit ratio above zero, in tracking mode; api-1 has no
	// middleware and no row.
	wait("the near-cache panel shows api-2's hits", `[...document.querySelectorAll("#nc tbody tr")].some(tr =>
		tr.children[0].textContent === "api-2" && tr.children[1].textContent === "tracking" &&
		parseFloat(tr.children[2].textContent) > 0 && parseFloat(tr.children[4].textContent) > 0)`, 5*time.Second)
	wait("the near-cache panel sums the fleet", `(() => {
		const tr = document.querySelector("#nc tfoot tr");
		return !!tr && tr.children[0].textContent.startsWith("fleet (1)") && parseFloat(tr.children[2].textContent) > 0 &&
			![...document.querySelectorAll("#nc tbody tr")].some(tr => tr.children[0].textContent === "api-1");
	})()`, 5*time.Second)

	// A few more live updates, then the picture.
	time.Sleep(1500 * time.Millisecond)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shot := filepath.Join(t.ArtifactDir(), "dashboard.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)

	// A narrow window (a laptop split screen) must lay out without errors
	// too; its picture is kept beside the first.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(820, 1000)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	if png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "dashboard-820px.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}

	if errs := console.Errors(); len(errs) > 0 {
		t.Errorf("the page wrote console errors or threw:\n%s", strings.Join(errs, "\n"))
	}

	// The check above can fail: an exception thrown by the page is caught.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`setTimeout(() => { throw new Error("probe-exception") }, 0); console.error("probe-error"); 1`)); err != nil {
		t.Fatal(err)
	}
	wait("probes reach the console log", `new Promise(r => setTimeout(() => r(true), 200))`, 5*time.Second)
	errs := strings.Join(console.Errors(), "\n")
	if !strings.Contains(errs, "probe-exception") || !strings.Contains(errs, "probe-error") {
		t.Errorf("console errors after the probes = %q; want both probes caught", errs)
	}
}

// chartDrawn returns a predicate: the canvas matched by sel has more than
// a hundred pixels of the line colour ("hot" orange-red or "cool" blue).
func chartDrawn(sel, colour string) string {
	test := `r > 200 && g < 140 && b < 110` // #ff5a36
	if colour == "cool" {
		test = `b > 200 && r < 120 && g > 120` // #4aa8ff
	}
	return `(() => {
		const c = document.querySelector('` + sel + `');
		if (!c || !c.width) return false;
		const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 0; i < d.length; i += 4) {
			const r = d[i], g = d[i+1], b = d[i+2], a = d[i+3];
			if (a > 200 && ` + test + `) n++;
		}
		return n > 100;
	})()`
}

// drive sends real traffic: GETs and some SETs of 50 keys of similar
// rates (2% of the traffic each: warm, not hot under the test's rules),
// observed by the tracker, and a quarter of it to one key: cart:flash
// until viralOn closes, product:viral after.
func drive(tb testing.TB, rdb *redis.Client, tr *heat.Tracker, stop, viralOn <-chan struct{}) {
	ctx := context.Background()
	on := false
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-viralOn:
			on = true
			viralOn = nil
		default:
		}
		pipe := rdb.Pipeline()
		for j := range 40 {
			k := fmt.Sprintf("product:%d", (i*40+j)%50)
			switch {
			case on && j%4 == 0:
				k = "product:viral"
			case !on && j%4 == 0:
				k = "cart:flash"
			}
			pipe.Get(ctx, k)
			op := heat.Read
			if j%10 == 0 {
				op = heat.Write
				pipe.Set(ctx, k, "v", 0)
			}
			tr.Observe(k, op)
		}
		if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
			select {
			case <-stop:
			default:
				tb.Errorf("traffic: %v", err)
			}
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}
