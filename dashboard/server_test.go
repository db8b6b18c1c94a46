package dashboard_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/redhot/redhot/dashboard"
	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/inspect"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/metrics"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quietLogger{})
	goleak.VerifyTestMain(m)
}

// quietLogger drops go-redis's log lines about dial failures, which the
// tests cause on purpose.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// doc is the part of the JSON document the tests read.
type doc struct {
	SchemaVersion int     `json:"schema_version"`
	Seq           uint64  `json:"seq"`
	Title         string  `json:"title"`
	Source        string  `json:"source"`
	HotKeys       int     `json:"hot_keys"`
	HistoryTimes  []int64 `json:"history_times"`
	Totals        struct {
		Rate float64 `json:"rate"`
	} `json:"totals"`
	Keys []struct {
		Rank      int        `json:"rank"`
		Key       string     `json:"key"`
		KeyBase64 string     `json:"key_base64"`
		Rate      float64    `json:"rate"`
		Hot       bool       `json:"hot"`
		HotSince  *time.Time `json:"hot_since"`
		Trend     string     `json:"trend"`
		History   []float64  `json:"history"`
	} `json:"keys"`
	Events []struct {
		Kind string `json:"kind"`
		Key  string `json:"key"`
	} `json:"events"`
	Nodes *struct {
		Nodes []struct {
			Node      string  `json:"node"`
			OpsPerSec float64 `json:"ops_per_sec"`
		} `json:"nodes"`
		Error string `json:"error"`
	} `json:"nodes"`
	Fleet *struct {
		Stream    string `json:"stream"`
		Instances []struct {
			ID        string      `json:"id"`
			Rate      float64     `json:"rate"`
			NearCache *cacheStats `json:"near_cache"`
		} `json:"instances"`
		Stats struct {
			Malformed uint64 `json:"malformed"`
		} `json:"stats"`
	} `json:"fleet"`
	NearCache struct {
		Available    bool           `json:"available"`
		Reason       string         `json:"reason"`
		FleetHotKeys *int           `json:"fleet_hot_keys"`
		Instances    int            `json:"instances"`
		Total        *cacheStats    `json:"total"`
		Modes        map[string]int `json:"modes"`
	} `json:"near_cache"`
}

type cacheStats struct {
	Mode          string  `json:"mode"`
	Hits          uint64  `json:"hits"`
	Misses        uint64  `json:"misses"`
	HitRatio      float64 `json:"hit_ratio"`
	Fills         uint64  `json:"fills"`
	Invalidations uint64  `json:"invalidations"`
	Entries       uint64  `json:"entries"`
	Bytes         uint64  `json:"bytes"`
}

// newServer starts a dashboard and an httptest server for it, closed when
// the test ends.
func newServer(tb testing.TB, o dashboard.Options) (*dashboard.Server, *httptest.Server) {
	tb.Helper()
	s, err := dashboard.New(o)
	if err != nil {
		tb.Fatalf("New = %v", err)
	}
	hs := httptest.NewServer(s)
	tb.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	return s, hs
}

func get(tb testing.TB, c *http.Client, u string, header ...string) *http.Response {
	tb.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
	tb.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readDoc(tb testing.TB, r io.Reader) doc {
	tb.Helper()
	var d doc
	if err := json.NewDecoder(r).Decode(&d); err != nil {
		tb.Fatalf("document does not parse: %v", err)
	}
	return d
}

func TestSnapshotAndStream(t *testing.T) {
	src := &fakeSource{}
	src.set(5000, hot(ks("product:viral", 900), time.Now()), ks("bin\xff", 10))
	_, hs := newServer(t, dashboard.Options{Source: src, SourceKind: "tracker", Title: "test", Interval: 50 * time.Millisecond})

	resp := get(t, hs.Client(), hs.URL+"/api/v1/snapshot")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/v1/snapshot: %s, %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	d := readDoc(t, resp.Body)
	if d.SchemaVersion != 1 || d.Seq < 1 || d.Title != "test" || d.Source != "tracker" || d.HotKeys != 1 || d.Totals.Rate != 5000 {
		t.Errorf("document header = %+v; want schema 1, a sample, title, source, 1 hot key, totals", d)
	}
	if len(d.Keys) != 2 || d.Keys[0].Key != "product:viral" || !d.Keys[0].Hot || d.Keys[0].HotSince == nil || d.Keys[0].Rank != 1 {
		t.Fatalf("keys = %+v; want product:viral first, hot", d.Keys)
	}
	if len(d.Keys[0].History) != len(d.HistoryTimes) || len(d.HistoryTimes) == 0 {
		t.Errorf("history %d values for %d times; want one per sample", len(d.Keys[0].History), len(d.HistoryTimes))
	}
	if d.Keys[1].KeyBase64 != "Ymlu/w==" {
		t.Errorf("binary key: key_base64 = %q; want the exact bytes", d.Keys[1].KeyBase64)
	}
	if len(d.Events) != 1 || d.Events[0].Kind != "hot" {
		t.Errorf("events = %+v; want product:viral turning hot", d.Events)
	}
	if d.Nodes != nil || d.Fleet != nil || d.NearCache.Available || d.NearCache.Reason == "" {
		t.Errorf("panels: nodes %v, fleet %v, near cache %+v; want none, and a reason", d.Nodes, d.Fleet, d.NearCache)
	}

	// The stream sends the current document at once, then one per
	// sample, without histories.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/api/v1/stream", nil)
	sresp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer sresp.Body.Close()
	if ct := sresp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("stream Content-Type = %q", ct)
	}
	events := sseEvents(sresp.Body)
	var prev uint64
	for i := range 3 {
		select {
		case data, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			var sd doc
			if err := json.Unmarshal([]byte(data), &sd); err != nil {
				t.Fatalf("stream event %d does not parse: %v", i, err)
			}
			if len(sd.Keys) != 2 || sd.Keys[0].History != nil || sd.HistoryTimes != nil {
				t.Errorf("stream event %d: keys %+v; want 2 keys without histories", i, sd.Keys)
			}
			if i > 0 && sd.Seq <= prev {
				t.Errorf("stream seq %d after %d; want increasing", sd.Seq, prev)
			}
			prev = sd.Seq
		case <-time.After(5 * time.Second):
			t.Fatalf("no stream event %d within 5s", i)
		}
	}
}

// sseEvents returns the data of each "sample" event of an event stream.
func sseEvents(r io.Reader) <-chan string {
	c := make(chan string, 16)
	go func() {
		defer close(c)
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "sample":
				c <- strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return c
}

// TestCloseEndsStreams: Close ends open event streams, so an http.Server
// can shut down.
func TestCloseEndsStreams(t *testing.T) {
	src := &fakeSource{}
	src.set(1, ks("a", 1))
	s, hs := newServer(t, dashboard.Options{Source: src})
	resp := get(t, hs.Client(), hs.URL+"/api/v1/stream")
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	s.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the stream stayed open after Close")
	}
	if r := get(t, hs.Client(), hs.URL+"/api/v1/stream"); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("stream after Close: %s; want 503", r.Status)
	}
}

func TestAuth(t *testing.T) {
	src := &fakeSource{}
	src.set(1, ks("a", 1))
	tr := heat.Must(heat.Options{})
	defer tr.Close()
	tc, err := metrics.NewTrackerCollector(tr, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, hs := newServer(t, dashboard.Options{Source: src, Token: "s3cret", Collectors: []prometheus.Collector{tc}})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	tests := []struct {
		name   string
		path   string
		header []string
		status int
	}{
		{"page without token", "/", nil, 401},
		{"api without token", "/api/v1/snapshot", nil, 401},
		{"stream without token", "/api/v1/stream", nil, 401},
		{"metrics without token", "/metrics", nil, 401},
		{"static without token", "/static/app.js", nil, 401},
		{"wrong bearer", "/api/v1/snapshot", []string{"Authorization", "Bearer nope"}, 401},
		{"bearer of another scheme", "/api/v1/snapshot", []string{"Authorization", "Basic s3cret"}, 401},
		{"wrong query token", "/?token=nope", nil, 401},
		{"query token on the API is not accepted", "/api/v1/snapshot?token=s3cret", nil, 401},
		{"wrong cookie", "/api/v1/snapshot", []string{"Cookie", "redhot_token=0000"}, 401},
		{"healthz needs none", "/healthz", nil, 200},
		{"bearer", "/api/v1/snapshot", []string{"Authorization", "Bearer s3cret"}, 200},
		{"bearer on metrics", "/metrics", []string{"Authorization", "Bearer s3cret"}, 200},
		{"query token sets the cookie", "/?token=s3cret", nil, 303},
		{"any host with a token", "/healthz", []string{"Host", "dashboard.example:7070"}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, noRedirect, hs.URL+tt.path, tt.header...)
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s: %s; want %d", tt.path, resp.Status, tt.status)
			}
			if tt.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}

	// The cookie from ?token= opens the page and the API, and the
	// redirect drops the token from the address.
	resp := get(t, noRedirect, hs.URL+"/?token=s3cret")
	if loc := resp.Header.Get("Location"); loc != "/" {
		t.Errorf("redirect to %q; want /", loc)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "redhot_token" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || strings.Contains(cookie.Value, "s3cret") {
		t.Fatalf("cookie = %+v; want an HttpOnly, SameSite=Strict hash of the token", cookie)
	}
	for _, p := range []string{"/", "/api/v1/snapshot", "/static/app.js", "/metrics"} {
		if r := get(t, noRedirect, hs.URL+p, "Cookie", cookie.String()); r.StatusCode != 200 {
			t.Errorf("GET %s with the cookie: %s; want 200", p, r.Status)
		}
	}
	body, _ := io.ReadAll(get(t, noRedirect, hs.URL+"/metrics", "Authorization", "Bearer s3cret").Body)
	if !strings.Contains(string(body), "redhot_heat_observations_total") {
		t.Errorf("/metrics lacks the collectors' metrics:\n%.500s", body)
	}
}

func TestHostGuard(t *testing.T) {
	src := &fakeSource{}
	src.set(1, ks("a", 1))
	_, guarded := newServer(t, dashboard.Options{Source: src})
	_, open := newServer(t, dashboard.Options{Source: src, Insecure: true})
	tests := []struct {
		name   string
		srv    *httptest.Server
		host   string
		status int
	}{
		{"127.0.0.1", guarded, "127.0.0.1:7070", 200},
		{"localhost", guarded, "localhost:7070", 200},
		{"ipv6 loopback", guarded, "[::1]:7070", 200},
		{"rebound name", guarded, "attacker.example:7070", 403},
		{"outside ip", guarded, "192.0.2.10:7070", 403},
		{"insecure takes any", open, "attacker.example", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := get(t, tt.srv.Client(), tt.srv.URL+"/api/v1/snapshot", "Host", tt.host); r.StatusCode != tt.status {
				t.Errorf("Host %s: %s; want %d", tt.host, r.Status, tt.status)
			}
		})
	}
}

func TestPageAndAssets(t *testing.T) {
	src := &fakeSource{}
	src.set(1, ks("a", 1))
	_, hs := newServer(t, dashboard.Options{Source: src})
	for _, tt := range []struct{ path, ctype, contains string }{
		{"/", "text/html; charset=utf-8", `<script src="/static/app.js" defer></script>`},
		{"/static/app.js", "text/javascript; charset=utf-8", "EventSource"},
		{"/static/style.css", "text/css; charset=utf-8", "--hot"},
		{"/favicon.ico", "image/svg+xml", "<svg"},
	} {
		resp := get(t, hs.Client(), hs.URL+tt.path)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tt.ctype || !strings.Contains(string(body), tt.contains) {
			t.Errorf("GET %s: %s, %q; want 200, %q, with %q", tt.path, resp.Status, resp.Header.Get("Content-Type"), tt.ctype, tt.contains)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: CSP %q; want scripts from the server only", tt.path, csp)
		}
	}
	for _, p := range []string{"/nope", "/static/", "/api/v1/"} {
		if r := get(t, hs.Client(), hs.URL+p); r.StatusCode != 404 {
			t.Errorf("GET %s: %s; want 404", p, r.Status)
		}
	}
	if r, err := hs.Client().Post(hs.URL+"/api/v1/snapshot", "text/plain", nil); err != nil || r.StatusCode != 405 {
		t.Errorf("POST /api/v1/snapshot: %v %v; want 405", r, err)
	} else {
		r.Body.Close()
	}
}

func TestListen(t *testing.T) {
	ctx := t.Context()
	tests := []struct {
		name     string
		addr     string
		token    string
		insecure bool
		err      error
	}{
		{"loopback", "127.0.0.1:0", "", false, nil},
		{"localhost", "localhost:0", "", false, nil},
		{"all interfaces without token", "0.0.0.0:0", "", false, dashboard.ErrNoToken},
		{"empty host without token", ":0", "", false, dashboard.ErrNoToken},
		{"ipv6 any without token", "[::]:0", "", false, dashboard.ErrNoToken},
		{"all interfaces with token", "0.0.0.0:0", "t", false, nil},
		{"all interfaces, insecure", "0.0.0.0:0", "", true, nil},
		{"no port", "127.0.0.1", "", false, dashboard.ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := dashboard.Listen(ctx, tt.addr, tt.token, tt.insecure)
			if ln != nil {
				ln.Close()
			}
			if tt.err == nil && err != nil {
				t.Fatalf("Listen(%q) = %v; want success", tt.addr, err)
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("Listen(%q) = %v; want %v", tt.addr, err, tt.err)
			}
		})
	}
	// A port in use is an error, not a crash.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := dashboard.Listen(ctx, ln.Addr().String(), "", false); err == nil {
		t.Errorf("Listen on a busy port succeeded")
	}
}

func TestNewOptions(t *testing.T) {
	src := &fakeSource{}
	for _, o := range []dashboard.Options{
		{},
		{Source: src, Interval: time.Millisecond},
		{Source: src, LoadInterval: time.Millisecond},
		{Source: src, Recorder: dashboard.RecorderOptions{Keys: -1}},
	} {
		if s, err := dashboard.New(o); !errors.Is(err, dashboard.ErrInvalidOptions) {
			if s != nil {
				s.Close()
			}
			t.Errorf("New(%+v) = %v; want ErrInvalidOptions", o, err)
		}
	}
}

// TestFleetAndNodes: with a real fleet and redis-server, the document
// carries the instances, the stream's counters (a malformed entry is
// counted, not fatal) and the nodes' load; when the server dies, the
// dashboard keeps answering and says why the node figures are old.
func TestFleetAndNodes(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	rdb := srv.Client()
	ctx := t.Context()
	tr := heat.Must(heat.Options{})
	defer tr.Close()
	pub, err := fleet.Join(ctx, rdb, tr, fleet.Options{Instance: "api-1", Interval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	obs, err := fleet.Join(ctx, rdb, nil, fleet.Options{Instance: "dash", Interval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Close()
	target, err := inspect.Connect(ctx, inspect.ConnOptions{URL: srv.Addr(), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	_, hs := newServer(t, dashboard.Options{
		Source: obs, SourceKind: "fleet", Fleet: obs, Nodes: inspect.NewLoadMeter(ctx, target),
		Interval: 50 * time.Millisecond, LoadInterval: 100 * time.Millisecond,
	})
	for range 2000 {
		tr.Observe("product:viral", heat.Read)
		rdb.Get(ctx, "product:viral")
	}
	if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: fleet.DefaultStream, Values: []string{"v", "1", "junk", "x"}}).Err(); err != nil {
		t.Fatal(err)
	}

	var d doc
	ok := func() bool {
		return d.Fleet != nil && len(d.Fleet.Instances) == 1 && d.Fleet.Instances[0].ID == "api-1" && d.Fleet.Stats.Malformed >= 1 &&
			len(d.Keys) > 0 && d.Keys[0].Key == "product:viral" &&
			d.Nodes != nil && len(d.Nodes.Nodes) == 1 && d.Nodes.Nodes[0].OpsPerSec > 0 && d.NearCache.FleetHotKeys != nil
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !ok(); time.Sleep(50 * time.Millisecond) {
		d = readDoc(t, get(t, hs.Client(), hs.URL+"/api/v1/snapshot").Body)
	}
	if !ok() {
		t.Fatalf("document = %+v; want api-1, a malformed entry counted, product:viral, the node's load", d)
	}

	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp := get(t, hs.Client(), hs.URL+"/api/v1/snapshot")
		if resp.StatusCode != 200 {
			t.Fatalf("snapshot after the server died: %s; want 200", resp.Status)
		}
		if d = readDoc(t, resp.Body); d.Nodes.Error != "" {
			break
		}
	}
	if !strings.Contains(d.Nodes.Error, "not reachable") || len(d.Nodes.Nodes) != 1 {
		t.Errorf("nodes after the server died = %+v; want the last figures and why they are old", d.Nodes)
	}
}

// TestNearCachePanel: instances whose summaries carry near-cache counters
// appear with them in the fleet panel, summed in near_cache; instances
// without them have none and count in no sum; with no reporting instance
// the panel says why.
func TestNearCachePanel(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	rdb := srv.Client()
	ctx := t.Context()
	obs, err := fleet.Join(ctx, rdb, nil, fleet.Options{Instance: "dash", Interval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Close()
	_, hs := newServer(t, dashboard.Options{Source: obs, SourceKind: "fleet", Fleet: obs, Interval: 50 * time.Millisecond})
	snapshot := func() doc { return readDoc(t, get(t, hs.Client(), hs.URL+"/api/v1/snapshot").Body) }

	trPlain := heat.Must(heat.Options{})
	defer trPlain.Close()
	plain, err := fleet.Join(ctx, rdb, trPlain, fleet.Options{Instance: "api-plain", Interval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	var d doc
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if d = snapshot(); d.Fleet != nil && len(d.Fleet.Instances) == 1 {
			break
		}
	}
	if d.Fleet == nil || len(d.Fleet.Instances) != 1 || d.Fleet.Instances[0].NearCache != nil ||
		d.NearCache.Available || d.NearCache.Total != nil || !strings.Contains(d.NearCache.Reason, "JoinFleet") {
		t.Fatalf("with one instance without a near cache: fleet %+v, near_cache %+v; want no figures and why", d.Fleet, d.NearCache)
	}

	stats := []fleet.CacheStats{
		{Mode: "tracking", Hits: 300, Misses: 100, Fills: 90, Invalidations: 7, Entries: 40, Bytes: 4096},
		{Mode: "ttl-only", Hits: 100, Misses: 100, Fills: 95, Entries: 10, Bytes: 1024},
	}
	for i, cs := range stats {
		tr := heat.Must(heat.Options{})
		defer tr.Close()
		m, err := fleet.Join(ctx, rdb, tr, fleet.Options{Instance: fmt.Sprintf("api-%d", i), Interval: 50 * time.Millisecond,
			CacheStats: func() fleet.CacheStats { return cs }})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if d = snapshot(); d.NearCache.Instances == 2 {
			break
		}
	}
	nc := d.NearCache
	var hits, misses, entries uint64
	for _, cs := range stats {
		hits, misses, entries = hits+cs.Hits, misses+cs.Misses, entries+cs.Entries
	}
	if !nc.Available || nc.Instances != 2 || nc.Total == nil || nc.Total.Hits != hits || nc.Total.Misses != misses ||
		nc.Total.Entries != entries || math.Abs(nc.Total.HitRatio-float64(hits)/float64(hits+misses)) > 1e-4 ||
		nc.Modes["tracking"] != 1 || nc.Modes["ttl-only"] != 1 {
		t.Errorf("near_cache = %+v (total %+v); want the two instances' sums", nc, nc.Total)
	}
	for _, in := range d.Fleet.Instances {
		switch in.ID {
		case "api-plain":
			if in.NearCache != nil {
				t.Errorf("api-plain: near_cache %+v; want null", in.NearCache)
			}
		case "api-0":
			if c := in.NearCache; c == nil || c.Mode != "tracking" || c.Hits != stats[0].Hits || c.Invalidations != stats[0].Invalidations || c.HitRatio != 0.75 {
				t.Errorf("api-0: near_cache %+v; want its counters and a hit ratio of 0.75", c)
			}
		}
	}
}
