package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
)

// publisher is a service instance: a tracker fed with a hot key and warm
// ones, publishing to the fleet stream every 100ms, until the test ends.
func publisher(tb testing.TB, c redis.UniversalClient, instance string) {
	tb.Helper()
	tr := heat.Must(heat.Options{})
	m, err := fleet.Join(context.Background(), c, tr, fleet.Options{Instance: instance, Interval: 100 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			for j := range 100 {
				k := "product:" + string(rune('a'+(i+j)%20))
				if j%4 == 0 {
					k = "product:viral"
				}
				tr.Observe(k, heat.Read)
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	tb.Cleanup(func() {
		close(stop)
		wg.Wait()
		m.Close()
		tr.Close()
	})
}

// traffic sends GETs of a hot key and warm keys until the test ends.
func sendTraffic(tb testing.TB, c *redis.Client) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			pipe := c.Pipeline()
			for j := range 20 {
				k := "warm:" + string(rune('a'+(i+j)%20))
				if j%4 == 0 {
					k = "product:viral"
				}
				pipe.Get(ctx, k)
			}
			_, _ = pipe.Exec(ctx)
		}
	})
	tb.Cleanup(func() { cancel(); wg.Wait() })
}

func TestTopPlain(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	publisher(t, s.Client(), "api-1")

	t.Run("fleet", func(t *testing.T) {
		r := redhot(t, t.Context(), nil, "top", "-u", s.Addr(), "--interval", "300ms", "--count", "3")
		if r.code != 0 {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		tables := strings.Split(r.stdout, "redhot top  ")[1:]
		if len(tables) != 3 || strings.Contains(r.stdout, "\x1b") {
			t.Fatalf("stdout has %d tables (escape codes: %v); want 3 plain ones:\n%s", len(tables), strings.Contains(r.stdout, "\x1b"), r.stdout)
		}
		last := tables[len(tables)-1]
		for _, want := range []string{"fleet redhot:fleet on redis://" + s.Addr(), "1 instance publishing", "product:viral", "HOT", "EVENTS"} {
			if !strings.Contains(last, want) {
				t.Errorf("stdout lacks %q:\n%s", want, last)
			}
		}
	})

	t.Run("monitor", func(t *testing.T) {
		c := redistest.NewServer(t, redistest.ServerOptions{}).Client()
		sendTraffic(t, c)
		start := time.Now()
		r := redhot(t, t.Context(), nil, "top", "--source", "monitor", "--duration", "1500ms", "--interval", "400ms", "-u", c.Options().Addr)
		if r.code != 0 {
			t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("top --source monitor ran %v; want it to end with its 1.5s sample", time.Since(start))
		}
		if !strings.Contains(r.stderr, "note: cost: MONITOR") {
			t.Errorf("stderr lacks the cost note:\n%s", r.stderr)
		}
		tables := strings.Split(r.stdout, "redhot top  ")
		last := tables[len(tables)-1]
		for _, want := range []string{"MONITOR on redis://", "product:viral", "HOT", "MONITOR sample ended"} {
			if !strings.Contains(last, want) {
				t.Errorf("last table lacks %q:\n%s", want, last)
			}
		}
	})
}

func TestLiveErrors(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	plain := redistest.NewServer(t, redistest.ServerOptions{})
	acl := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"user limited on >pw ~* +@read +@connection +info -monitor -xread"}})
	pw := map[string]string{"REDHOT_PASSWORD": "pw"}
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		err, hint string
	}{
		{"top, unreachable", nil, []string{"top", "-u", closed}, "not reachable", "is Redis running"},
		{"top, json", nil, []string{"top", "-o", "json", "-u", plain.Addr()}, "no JSON output", "redhot monitor -o json"},
		{"top, bad source", nil, []string{"top", "--source", "nope", "-u", plain.Addr()}, "--source", "--help"},
		{"top, monitor not permitted", pw, []string{"top", "--source", "monitor", "-u", "redis://limited@" + acl.Addr()}, "MONITOR not permitted", "ACL"},
		{"top, stream not readable", pw, []string{"top", "-u", "redis://limited@" + acl.Addr()}, "fleet: join", "XREAD"},
		{"serve, outside address without token", nil, []string{"serve", "--listen", "0.0.0.0:0", "-u", plain.Addr()}, "without a token", "REDHOT_TOKEN"},
		{"serve, unreachable", nil, []string{"serve", "--listen", "127.0.0.1:0", "-u", closed}, "not reachable", "is Redis running"},
		{"serve, bad listen", nil, []string{"serve", "--listen", "nope", "-u", plain.Addr()}, "listen address", "--help"},
		{"serve, bad interval", nil, []string{"serve", "--interval", "1ms", "-u", plain.Addr()}, "--interval", "--help"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := redhot(t, t.Context(), tt.env, tt.args...)
			checkOneLineError(t, r, tt.err, tt.hint)
		})
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe runs redhot serve in-process: it prints its address, needs the
// token from REDHOT_TOKEN, serves the fleet's keys and metrics, and stops
// cleanly on cancellation.
func TestServe(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	publisher(t, s.Client(), "api-1")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errOut syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"serve", "-u", s.Addr(), "--listen", "127.0.0.1:0", "--interval", "200ms", "--load-interval", "500ms"},
			&out, &errOut, env{getenv: func(k string) string { return map[string]string{"REDHOT_TOKEN": "tok"}[k] }})
	}()
	addr := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		url = addr.FindString(out.String())
	}
	if url == "" {
		cancel()
		t.Fatalf("serve printed no address; stdout %q, stderr %q, exit %v", out.String(), errOut.String(), <-code)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	fetch := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", url+strings.TrimPrefix(path, "/"), nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, _ := fetch("/api/v1/snapshot", "wrong"); st != 401 {
		t.Errorf("snapshot with a wrong token: %d; want 401", st)
	}
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var st int
		st, body = fetch("/api/v1/snapshot", "tok")
		if st == 200 && strings.Contains(body, `"key":"product:viral"`) && strings.Contains(body, `"hot":true`) && strings.Contains(body, `"ops_per_sec"`) {
			break
		}
	}
	for _, want := range []string{`"source":"fleet"`, `"key":"product:viral"`, `"hot":true`, `"id":"api-1"`, `"ops_per_sec"`} {
		if !strings.Contains(body, want) {
			t.Errorf("snapshot lacks %s:\n%.1500s", want, body)
		}
	}
	if st, m := fetch("/metrics", "tok"); st != 200 || !strings.Contains(m, "redhot_fleet_instances 1") || !strings.Contains(m, `redhot_fleet_key_hot{key="product:viral"} 1`) {
		t.Errorf("/metrics: %d\n%.800s\nwant the fleet collector's series", st, m)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("serve exited %d after cancellation, stderr:\n%s", c, errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10s of cancellation")
	}
}

// TestTopInTmux runs the real binary in a tmux pane of 80×24: the view
// shows the hot key within seconds, fits the width, and q quits.
func TestTopInTmux(t *testing.T) {
	redistest.SkipIfShort(t)
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed; the end-to-end terminal test needs it")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH to build redhot")
	}
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "redhot")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s := redistest.NewServer(t, redistest.ServerOptions{})
	publisher(t, s.Client(), "api-1")

	sock := "redhot-test-" + filepath.Base(dir)
	tm := func(args ...string) (string, error) {
		out, err := exec.Command(tmux, append([]string{"-L", sock, "-f", "/dev/null"}, args...)...).CombinedOutput()
		return string(out), err
	}
	t.Cleanup(func() { _, _ = tm("kill-server") })
	cmd := bin + " top -u " + s.Addr() + " --interval 250ms"
	if out, err := tm("new-session", "-d", "-s", "top", "-x", "80", "-y", "24", "-e", "TERM=xterm-256color", cmd); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	var screen string
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		screen, _ = tm("capture-pane", "-p", "-t", "top")
		if strings.Contains(screen, "product:viral") && strings.Contains(screen, "HOT") && strings.Contains(screen, "1 instance") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("screen:\n%s", screen)
	for _, want := range []string{"redhot top", "product:viral", "HOT", "OPS/S", "READ/S", "WRITE/S", "TREND", "q quit"} {
		if !strings.Contains(screen, want) {
			t.Errorf("screen lacks %q", want)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(screen))
	for sc.Scan() {
		if w := ansi.StringWidth(sc.Text()); w > 80 {
			t.Errorf("line %q is %d columns; want at most 80", sc.Text(), w)
		}
	}
	if _, err := tm("send-keys", "-t", "top", "q"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err := tm("has-session", "-t", "top"); err != nil {
			return // the program quit and its pane closed
		}
	}
	screen, _ = tm("capture-pane", "-p", "-t", "top")
	t.Errorf("redhot top still running 5s after q:\n%s", screen)
}
