package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/redhot/redhot/internal/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// result is what one in-process run of redhot printed.
type result struct {
	code           int
	stdout, stderr string
}

// redhot runs the command line in-process with the given environment.
func redhot(tb testing.TB, ctx context.Context, environ map[string]string, args ...string) result {
	tb.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, args, &out, &errOut, env{getenv: func(k string) string { return environ[k] }})
	return result{code, out.String(), errOut.String()}
}

// checkOneLineError checks a failed run: exit 1, "redhot: ..." on one
// line, then a hint, and nothing else.
func checkOneLineError(tb testing.TB, r result, wantErr, wantHint string) {
	tb.Helper()
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	var errLines []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "redhot: note:") && !strings.HasPrefix(l, "redhot: warning:") {
			errLines = append(errLines, l)
		}
	}
	if r.code != 1 || len(errLines) != 2 || !strings.HasPrefix(errLines[0], "redhot: ") || !strings.HasPrefix(errLines[1], "hint: ") {
		tb.Fatalf("exit %d, stderr:\n%s\nwant exit 1, one \"redhot: \" line and one \"hint: \" line", r.code, r.stderr)
	}
	if !strings.Contains(errLines[0], wantErr) || !strings.Contains(errLines[1], wantHint) {
		tb.Errorf("stderr:\n%s\nwant the error to mention %q and the hint %q", r.stderr, wantErr, wantHint)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic") {
		tb.Errorf("stderr has a stack trace:\n%s", r.stderr)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	plain := redistest.NewServer(t, redistest.ServerOptions{})
	secret := redistest.NewServer(t, redistest.ServerOptions{Password: "s3cret"})
	acl := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"user limited on >pw ~* +@read +@connection +info -monitor -config"}})
	tls := redistest.NewServer(t, redistest.ServerOptions{TLS: redistest.TLSServer})

	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		err, hint string
	}{
		{"unreachable", nil, []string{"hotkeys", "-u", closed}, "not reachable", "is Redis running"},
		{"wrong password", map[string]string{"REDISCLI_AUTH": "wrong-pw"}, []string{"bigkeys", "-u", secret.Addr()}, "authentication failed", "REDISCLI_AUTH"},
		{"no password", nil, []string{"memkeys", "-u", secret.Addr()}, "authentication failed", "password"},
		{"not lfu", nil, []string{"hotkeys", "-u", plain.Addr()}, "noeviction", "redhot monitor"},
		{"no hotkeys command", nil, []string{"hotkeys", "--method", "server", "-u", plain.Addr()}, "8.6", "--method lfu"},
		{"notifications off", nil, []string{"notify", "--duration", "1s", "-u", plain.Addr()}, "notify-keyspace-events", "--allow-config-change"},
		{"acl without monitor", map[string]string{"REDHOT_PASSWORD": "pw"}, []string{"monitor", "-u", "redis://limited@" + acl.Addr()}, "MONITOR not permitted", "ACL"},
		{"tls without ca", nil, []string{"slowlog", "-u", "rediss://" + tls.Addr()}, "TLS", "--tls-ca"},
		{"tls flags without rediss", nil, []string{"slowlog", "-u", plain.Addr(), "--tls-ca", "x.pem"}, "rediss://", "--help"},
		{"bad output", nil, []string{"slowlog", "-u", plain.Addr(), "-o", "xml"}, "--output", "--help"},
		{"bad flag", nil, []string{"bigkeys", "--bogus"}, "unknown flag", "--help"},
		{"bad url", nil, []string{"bigkeys", "-u", "redis://u:s3cret@host:99999"}, "port", "--help"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := redhot(t, t.Context(), tt.env, tt.args...)
			checkOneLineError(t, r, tt.err, tt.hint)
			if strings.Contains(r.stderr, "s3cret") || strings.Contains(r.stderr, "wrong-pw") {
				t.Errorf("stderr shows a password:\n%s", r.stderr)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"maxmemory-policy allkeys-lfu", "slowlog-log-slower-than 0"}})
	c := s.Client()
	ctx := t.Context()
	for _, k := range []string{"user:1:profile", "user:2:profile", "sp ace", "new\nline", "bin\xff"} {
		c.Set(ctx, k, "v", 0)
		c.Get(ctx, k)
	}
	u := "redis://" + s.Addr()
	for _, args := range [][]string{
		{"hotkeys"},
		{"monitor", "--duration", "300ms"},
		{"notify", "--duration", "300ms", "--allow-config-change"},
		{"slowlog"},
		{"bigkeys"},
		{"memkeys"},
		{"patterns"},
		{"patterns", "--pattern", "user:*"},
		{"balance", "--interval", "300ms"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			for _, format := range []string{"json", "table"} {
				r := redhot(t, ctx, nil, append(args, "-u", u, "-o", format)...)
				if r.code != 0 {
					t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
				}
				if format == "table" {
					if !strings.HasPrefix(r.stdout, "# "+args[0]+":") {
						t.Errorf("table output does not start with its title:\n%s", r.stdout)
					}
					if strings.Contains(r.stdout, "new\nline") {
						t.Errorf("table output has a raw newline inside a key:\n%s", r.stdout)
					}
					continue
				}
				var doc struct {
					SchemaVersion int    `json:"schema_version"`
					Command       string `json:"command"`
					Target        struct {
						URL string `json:"url"`
					} `json:"target"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
					t.Fatalf("JSON output does not parse: %v\n%s", err, r.stdout)
				}
				if doc.SchemaVersion != 1 || doc.Command != args[0] || doc.Target.URL != u {
					t.Errorf("JSON header = %+v; want schema 1, command %s, url %s", doc, args[0], u)
				}
			}
		})
	}
	if got := c.ConfigGet(ctx, "notify-keyspace-events").Val()["notify-keyspace-events"]; got != "" {
		t.Errorf("notify-keyspace-events after redhot notify = %q; want it restored", got)
	}
}

func TestTLSFlags(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{TLS: redistest.TLSMutual})
	f := s.TLSFiles()
	r := redhot(t, t.Context(), nil, "slowlog", "-u", "rediss://"+s.Addr(), "--tls-ca", f.CACert, "--tls-cert", f.ClientCert, "--tls-key", f.ClientKey, "-o", "json")
	if r.code != 0 {
		t.Fatalf("slowlog over mutual TLS: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestPasswordInURLWarns(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{Password: "s3cret"})
	r := redhot(t, t.Context(), nil, "slowlog", "-u", "redis://:s3cret@"+s.Addr())
	if r.code != 0 || !strings.Contains(r.stderr, "visible to other users in ps") {
		t.Errorf("exit %d, stderr:\n%s\nwant success and a warning about ps", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "s3cret") {
		t.Errorf("the output shows the password")
	}
}

// TestInterrupt cancels a long monitor the way Ctrl-C does: redhot prints
// what it gathered and exits 130.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	r := redhot(t, ctx, nil, "monitor", "--duration", "30s", "-u", s.Addr(), "-o", "json")
	if time.Since(start) > 5*time.Second {
		t.Errorf("monitor took %v to stop after the interrupt", time.Since(start))
	}
	if r.code != exitInterrupted || !strings.Contains(r.stderr, "interrupted") {
		t.Fatalf("exit %d, stderr:\n%s\nwant %d and a note that results are partial", r.code, r.stderr, exitInterrupted)
	}
	var doc struct {
		Interrupted bool `json:"interrupted"`
		Partial     bool `json:"partial"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || !doc.Interrupted || !doc.Partial {
		t.Errorf("stdout %q (%v); want a partial, interrupted report", r.stdout, err)
	}
}
