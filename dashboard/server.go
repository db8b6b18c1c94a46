package dashboard

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/redhot/redhot/inspect"
)

//go:embed assets
var assets embed.FS

// NodeLoader measures the load of the deployment's nodes.
// *inspect.LoadMeter implements it.
type NodeLoader interface {
	Sample(ctx context.Context) (*inspect.LoadSample, error)
}

// Options configure a Server. The zero value of every field but Source
// means its documented default.
type Options struct {
	// Source is what is hot: a fleet observer (*fleet.Member), a tracker
	// or a MONITOR stream. Required.
	Source Source

	// SourceKind names the source in the page and the JSON ("fleet",
	// "monitor", "tracker").
	// default: "custom"
	SourceKind string

	// Title says what is watched, for the page's header.
	// default: "redhot"
	Title string

	// Fleet adds the fleet panel: live instances and stream counters.
	// default: none (the panel says the source is not a fleet)
	Fleet Fleet

	// Nodes adds the per-node load panel, sampled every LoadInterval.
	// default: none
	Nodes NodeLoader

	// Token, when set, is required on every request but /healthz: as
	// "Authorization: Bearer <token>", or once as ?token=<token> on the
	// page, which then sets a cookie holding a hash of it.
	// default: none
	Token string

	// Insecure lets a Server without a Token answer requests addressed to
	// any host name. Without it, a Server with no Token answers only
	// requests for a loopback name (localhost, 127.0.0.1, [::1]), which
	// stops a web page that rebinds its DNS name to 127.0.0.1 from
	// reading the dashboard.
	// default: false
	Insecure bool

	// Interval is how often the source is sampled and the page updated.
	// default: 1 second; at least 50 milliseconds
	Interval time.Duration

	// LoadInterval is how often Nodes is sampled (one INFO per node).
	// default: 5 seconds; at least 100 milliseconds
	LoadInterval time.Duration

	// Recorder sets how many keys and how much history are kept.
	Recorder RecorderOptions

	// Collectors are registered on the server's own registry (never the
	// global one) and served on /metrics.
	// default: none (/metrics is empty)
	Collectors []prometheus.Collector

	// Logger receives a record for each failed node-load sample, at most
	// one a minute.
	// default: none
	Logger *slog.Logger
}

// maxStreams is the most /api/v1/stream clients served at once.
const maxStreams = 64

// Server is the dashboard: an http.Handler serving the page, its JSON API
// and /metrics, and the goroutines that sample the source and the nodes.
// Create it with New; Close it before shutting down the http.Server that
// serves it, so open event streams end.
type Server struct {
	opts Options
	rec  *Recorder
	mux  *http.ServeMux
	stop chan struct{} // closed by Close
	wg   sync.WaitGroup

	// mu guards nodes, subs and closed.
	mu     sync.Mutex
	nodes  *nodesJSON
	subs   map[chan []byte]struct{}
	closed bool

	closeOnce sync.Once
}

// New returns a Server and starts sampling.
func New(opts Options) (*Server, error) {
	if opts.Source == nil {
		return nil, fmt.Errorf("%w: Options.Source is nil", ErrInvalidOptions)
	}
	if opts.SourceKind == "" {
		opts.SourceKind = "custom"
	}
	if opts.Title == "" {
		opts.Title = "redhot"
	}
	if opts.Interval == 0 {
		opts.Interval = time.Second
	}
	if opts.Interval < 50*time.Millisecond {
		return nil, fmt.Errorf("%w: Options.Interval = %v", ErrInvalidOptions, opts.Interval)
	}
	if opts.LoadInterval == 0 {
		opts.LoadInterval = 5 * time.Second
	}
	if opts.LoadInterval < 100*time.Millisecond {
		return nil, fmt.Errorf("%w: Options.LoadInterval = %v", ErrInvalidOptions, opts.LoadInterval)
	}
	rec, err := NewRecorder(opts.Source, opts.Recorder)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	for _, c := range opts.Collectors {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("dashboard: register collector: %w", err)
		}
	}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts: opts,
		rec:  rec,
		mux:  http.NewServeMux(),
		stop: make(chan struct{}),
		subs: map[chan []byte]struct{}{},
	}
	files := http.FileServerFS(static)
	s.mux.HandleFunc("GET /{$}", s.page)
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", noCache(noListing(files))))
	s.mux.Handle("GET /favicon.ico", noCache(rewrite("favicon.svg", files)))
	s.mux.HandleFunc("GET /api/v1/snapshot", s.snapshot)
	s.mux.HandleFunc("GET /api/v1/stream", s.stream)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	rec.Sample(time.Now())
	s.wg.Go(s.sampleLoop)
	if opts.Nodes != nil {
		s.nodes = &nodesJSON{Nodes: []inspect.NodeLoad{}, Imbalances: []string{}, Warnings: []string{}}
		s.wg.Go(s.loadLoop)
	}
	return s, nil
}

// Close stops sampling, ends the open event streams and waits for the
// server's goroutines. It returns nil.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
		s.wg.Wait()
	})
	return nil
}

// ServeHTTP serves the dashboard: the page (/), its assets (/static/),
// the JSON API (/api/v1/snapshot, /api/v1/stream), /metrics and /healthz.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if !s.hostAllowed(r) {
		http.Error(w, "redhot: this dashboard has no token, so it answers only requests for localhost, 127.0.0.1 or [::1] (a guard against DNS rebinding); open it by one of those names, or serve it with --token", http.StatusForbidden)
		return
	}
	if r.URL.Path != "/healthz" && !s.authorize(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// page serves the dashboard's HTML.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	b, err := assets.ReadFile("assets/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(b))
}

// snapshot serves the current document with the rate histories.
func (s *Server) snapshot(w http.ResponseWriter, _ *http.Request) {
	d := buildDocument(s.rec.Snapshot(), true, s.panels())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	_ = enc.Encode(d)
}

// panels reads the fleet and node panels now.
func (s *Server) panels() panels {
	p := panels{title: s.opts.Title, source: s.opts.SourceKind, interval: s.opts.Interval}
	if s.opts.Fleet != nil {
		p.fleet = fleetPanel(s.opts.Fleet, time.Now())
	}
	s.mu.Lock()
	p.nodes = s.nodes
	s.mu.Unlock()
	return p
}

// sampleLoop samples the source every Interval and sends the document
// (without histories) to the event streams.
func (s *Server) sampleLoop() {
	tk := time.NewTicker(s.opts.Interval)
	defer tk.Stop()
	for {
		select {
		case <-s.stop:
			return
		case now := <-tk.C:
			snap := s.rec.Sample(now)
			s.mu.Lock()
			listeners := len(s.subs)
			s.mu.Unlock()
			if listeners == 0 {
				continue
			}
			b, err := json.Marshal(buildDocument(snap, false, s.panels()))
			if err != nil {
				continue
			}
			s.broadcast(b)
		}
	}
}

// broadcast hands b to every stream, replacing a message the stream has
// not taken yet: a slow client skips samples (and refetches the snapshot
// when it sees the gap in seq) rather than slow the others.
func (s *Server) broadcast(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.subs {
		select {
		case <-c:
		default:
		}
		c <- b
	}
}

// loadLoop samples the nodes' load: at once, again a second later so that
// rates show soon, then every LoadInterval.
func (s *Server) loadLoop() {
	// The sample in flight is cancelled by Close.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
		case <-ctx.Done():
		}
		cancel()
	}()
	var lastLog time.Time
	wait := min(time.Second, s.opts.LoadInterval)
	for {
		ls, err := s.opts.Nodes.Sample(ctx)
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		nj := &nodesJSON{Nodes: []inspect.NodeLoad{}, Imbalances: []string{}, Warnings: []string{}}
		if err != nil {
			// Keep the last figures, and say why they are old.
			if s.nodes != nil {
				*nj = *s.nodes
			}
			nj.Error = err.Error()
		} else {
			at := ls.At.UTC()
			nj.At, nj.IntervalSeconds = &at, num(ls.IntervalSeconds)
			nj.Nodes, nj.Imbalances, nj.Warnings = ls.Nodes, ls.Imbalances, ls.Warnings
		}
		s.nodes = nj
		s.mu.Unlock()
		if err != nil && s.opts.Logger != nil && time.Since(lastLog) > time.Minute {
			lastLog = time.Now()
			s.opts.Logger.Error("dashboard: node load", slog.String("error", err.Error()))
		}
		t := time.NewTimer(wait)
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-t.C:
		}
		wait = s.opts.LoadInterval
	}
}

// stream serves Server-Sent Events: a "sample" event with the document
// (without histories) at once and after every sample, and a comment every
// 15 seconds to keep proxies from closing an idle stream.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	c := make(chan []byte, 1)
	s.mu.Lock()
	if s.closed || len(s.subs) >= maxStreams {
		s.mu.Unlock()
		http.Error(w, "redhot: too many open streams; poll /api/v1/snapshot instead", http.StatusServiceUnavailable)
		return
	}
	s.subs[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, c)
		s.mu.Unlock()
	}()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	first, err := json.Marshal(buildDocument(s.rec.Snapshot(), false, s.panels()))
	if err != nil {
		return
	}
	send := func(b []byte) bool {
		// A client that stops reading must not hold the goroutine.
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send(fmt.Appendf(nil, "retry: 2000\n\nevent: sample\ndata: %s\n\n", first)) {
		return
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		case b := <-c:
			if !send(fmt.Appendf(nil, "event: sample\ndata: %s\n\n", b)) {
				return
			}
		case <-ping.C:
			if !send([]byte(": ping\n\n")) {
				return
			}
		}
	}
}

// noCache makes browsers revalidate the embedded assets, which change
// with the binary.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// noListing answers 404 for directories instead of listing them.
func noListing(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// rewrite serves the file name whatever the request's path.
func rewrite(name string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		h.ServeHTTP(w, r2)
	})
}
