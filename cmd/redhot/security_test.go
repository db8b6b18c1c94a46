package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redhot/redhot/internal/redistest"
)

// subcommand is one redhot subcommand that talks to Redis, with arguments
// that keep its run short.
type subcommand struct {
	name string
	args []string
}

// subcommands returns every subcommand that talks to Redis.
func subcommands() []subcommand {
	return []subcommand{
		{"hotkeys", []string{"hotkeys"}},
		{"monitor", []string{"monitor", "--duration", "300ms"}},
		{"notify", []string{"notify", "--duration", "300ms"}},
		{"slowlog", []string{"slowlog"}},
		{"bigkeys", []string{"bigkeys"}},
		{"memkeys", []string{"memkeys"}},
		{"patterns", []string{"patterns"}},
		{"balance", []string{"balance", "--interval", "300ms"}},
		{"top fleet", []string{"top", "--count", "1", "--interval", "200ms"}},
		{"top monitor", []string{"top", "--source", "monitor", "--duration", "300ms", "--count", "1", "--interval", "200ms"}},
		{"serve", []string{"serve"}},
	}
}

// securityConfig is the redis.conf of the servers the security tests
// inspect: every subcommand can run on them without changing settings.
var securityConfig = []string{"maxmemory-policy allkeys-lfu", "notify-keyspace-events KA", "slowlog-log-slower-than 0"}

// seed writes a string and a hash, so that scans have keys of two types.
func seed(tb testing.TB, s *redistest.Server) {
	tb.Helper()
	c := s.Client()
	ctx := tb.Context()
	if err := c.Set(ctx, "user:1", "v", 0).Err(); err != nil {
		tb.Fatal(err)
	}
	if err := c.HSet(ctx, "h:1", "f", "v").Err(); err != nil {
		tb.Fatal(err)
	}
}

// runAny runs a subcommand: serve in the background until it has served
// one snapshot (or exited), everything else in the foreground.
func runAny(tb testing.TB, environ map[string]string, args ...string) result {
	tb.Helper()
	if args[0] != "serve" {
		return redhot(tb, tb.Context(), environ, args...)
	}
	r, status := serveOnce(tb, environ, "", append(args, "--listen", "127.0.0.1:0", "--interval", "100ms", "--load-interval", "200ms")...)
	if r.code == 0 && status != http.StatusOK {
		// Serving without serving a snapshot is a failure too.
		r.code = -1
		r.stderr += fmt.Sprintf("(test) GET /api/v1/snapshot: status %d; want 200\n", status)
	}
	return r
}

// serveOnce starts redhot serve, waits for the address it prints, fetches
// /api/v1/snapshot with token (none if ""), then stops it. It returns
// what serve printed and the status of the fetch, 0 if serve exited
// before it printed an address.
func serveOnce(tb testing.TB, environ map[string]string, token string, args ...string) (result, int) {
	tb.Helper()
	ctx, cancel := context.WithCancel(tb.Context())
	defer cancel()
	var out, errOut syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, args, &out, &errOut, env{getenv: func(k string) string { return environ[k] }})
	}()
	addr := regexp.MustCompile(`http://[0-9.:\[\]a-f]+/`)
	var base string
	status := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if base = addr.FindString(out.String()); base != "" {
			break
		}
		select {
		case c := <-code:
			return result{c, out.String(), errOut.String()}, 0
		default:
		}
	}
	if base != "" {
		status = fetchStatus(tb, base+"api/v1/snapshot", token)
	}
	cancel()
	select {
	case c := <-code:
		return result{c, out.String(), errOut.String()}, status
	case <-time.After(10 * time.Second):
		tb.Fatalf("serve did not stop within 10s; stderr:\n%s", errOut.String())
	}
	return result{}, 0
}

// fetchStatus GETs u with the bearer token (none if "") and returns the
// status code.
func fetchStatus(tb testing.TB, u, token string) int {
	tb.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// randomSecret returns a password no output could contain by chance.
func randomSecret(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "pw" + hex.EncodeToString(b)
}

// TestSecurityTLS runs every subcommand over TLS with the server verified
// by --tls-ca, over mutual TLS with a client certificate, and against
// certificates that must fail: a CA that did not sign the server's, and a
// mutual-TLS server without a client certificate.
func TestSecurityTLS(t *testing.T) {
	t.Parallel()
	srv := redistest.NewServer(t, redistest.ServerOptions{TLS: redistest.TLSServer, Config: securityConfig})
	mut := redistest.NewServer(t, redistest.ServerOptions{TLS: redistest.TLSMutual, Config: securityConfig})
	seed(t, srv)
	seed(t, mut)
	sf, mf := srv.TLSFiles(), mut.TLSFiles()
	modes := []struct {
		name      string
		s         *redistest.Server
		flags     []string
		err, hint string // "" for a run that must succeed
	}{
		{"server auth", srv, []string{"--tls-ca", sf.CACert}, "", ""},
		{"mutual", mut, []string{"--tls-ca", mf.CACert, "--tls-cert", mf.ClientCert, "--tls-key", mf.ClientKey}, "", ""},
		// Each server has its own throwaway CA, so the other's is wrong.
		{"wrong ca", srv, []string{"--tls-ca", mf.CACert}, "TLS handshake failed", "--tls-ca"},
		{"mutual without client certificate", mut, []string{"--tls-ca", mf.CACert}, "TLS handshake failed", "--tls-cert"},
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			for _, sc := range subcommands() {
				t.Run(sc.name, func(t *testing.T) {
					args := append(append(append([]string{}, sc.args...), "-u", "rediss://"+m.s.Addr()), m.flags...)
					r := runAny(t, nil, args...)
					if m.err == "" {
						if r.code != 0 {
							t.Fatalf("redhot %s: exit %d, stderr:\n%s", strings.Join(args, " "), r.code, r.stderr)
						}
						return
					}
					checkOneLineError(t, r, m.err, m.hint)
				})
			}
		})
	}
}

// TestSecurityACL runs every subcommand as an ACL user with the least
// privilege it needs (docs/security.md), which must work, and as users
// with one permission less, which must fail with one line naming what is
// missing and a hint.
func TestSecurityACL(t *testing.T) {
	t.Parallel()
	type cut struct {
		rule string // removed from the least privilege
		err  string // the error names this
		hint string
	}
	const aclHint = "ACL SETUSER"
	tests := []struct {
		sub   string // subcommand name, from subcommands()
		rules string // the least privilege
		cuts  []cut
	}{
		{"hotkeys", "%R~* +ping +info +scan +object|freq", []cut{
			{"+object|freq", "'object|freq' command", "+object|freq"},
			{"%R~*", "access one of the keys", "%R~"},
			{"+info", "'info' command", "+info"},
		}},
		{"monitor", "+ping +monitor", []cut{{"+monitor", "'monitor' command", "+monitor"}, {"+ping", "'ping' command", "+ping"}}},
		{"notify", "&__keyspace@0__:* +ping +psubscribe", []cut{
			{"+psubscribe", "'psubscribe' command", "+psubscribe"},
			{"&__keyspace@0__:*", "channels", "&"},
		}},
		{"slowlog", "+ping +slowlog|get", []cut{{"+slowlog|get", "'slowlog|get' command", "+slowlog|get"}}},
		{"bigkeys", "%R~* +ping +scan +type +strlen +llen +hlen +scard +zcard +xlen +memory|usage", []cut{
			{"+type", "'type' command", "+type"},
			{"+hlen", "'hlen' command", "+hlen"},
		}},
		{"memkeys", "%R~* +ping +scan +type +memory|usage", []cut{{"+memory|usage", "'memory|usage' command", "+memory|usage"}}},
		{"patterns", "%R~* +ping +scan +memory|usage", []cut{{"+scan", "'scan' command", "+scan"}}},
		{"balance", "+ping +info", []cut{{"+info", "'info' command", "+info"}}},
		{"top fleet", "%R~redhot:fleet +ping +xread +time", []cut{
			{"+xread", "'xread' command", "XREAD"},
			{"%R~redhot:fleet", "access one of the keys", "XREAD"},
		}},
		{"top monitor", "+ping +monitor", []cut{{"+monitor", "'monitor' command", "+monitor"}}},
		{"serve", "%R~redhot:fleet +ping +xread +time", []cut{{"+xread", "'xread' command", "XREAD"}}},
	}
	args := map[string][]string{}
	for _, sc := range subcommands() {
		args[sc.name] = sc.args
	}
	// One server holds every user: "u<i>" with the least privilege of
	// test i, "u<i>c<j>" with cut j of it.
	config := append([]string{}, securityConfig...)
	userName := func(i, j int) string {
		if j < 0 {
			return "u" + itoa(i)
		}
		return "u" + itoa(i) + "c" + itoa(j)
	}
	for i, tt := range tests {
		if args[tt.sub] == nil {
			t.Fatalf("no subcommand %q", tt.sub)
		}
		config = append(config, "user "+userName(i, -1)+" on >pw resetchannels "+tt.rules)
		for j, c := range tt.cuts {
			less := strings.Join(strings.Fields(strings.Replace(" "+tt.rules+" ", " "+c.rule+" ", " ", 1)), " ")
			if less == tt.rules {
				t.Fatalf("%s: cut %q is not in %q", tt.sub, c.rule, tt.rules)
			}
			config = append(config, "user "+userName(i, j)+" on >pw resetchannels "+less)
		}
	}
	s := redistest.NewServer(t, redistest.ServerOptions{Config: config})
	seed(t, s)
	pw := map[string]string{"REDHOT_PASSWORD": "pw"}
	for i, tt := range tests {
		t.Run(tt.sub, func(t *testing.T) {
			t.Parallel()
			withUser := func(j int) []string {
				return append(append([]string{}, args[tt.sub]...), "-u", "redis://"+userName(i, j)+"@"+s.Addr())
			}
			if r := runAny(t, pw, withUser(-1)...); r.code != 0 {
				t.Errorf("as a user with %q: exit %d; want success, stderr:\n%s", tt.rules, r.code, r.stderr)
			}
			for j, c := range tt.cuts {
				t.Run("without "+c.rule, func(t *testing.T) {
					r := runAny(t, pw, withUser(j)...)
					hint := c.hint
					if hint == "" {
						hint = aclHint
					}
					checkOneLineError(t, r, c.err, hint)
				})
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestSecurityPasswordNeverShown runs every subcommand with a password in
// the URL and in each environment variable, against a server that refuses
// it and against an address where nothing listens, and checks that the
// password appears nowhere in what redhot prints, and that a password in
// the URL draws one warning about ps.
func TestSecurityPasswordNeverShown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	srv := redistest.NewServer(t, redistest.ServerOptions{Password: randomSecret(t), Config: securityConfig})
	// A password with characters that URLs escape, so that neither its
	// escaped nor its plain form may show.
	secret := randomSecret(t) + "/@:%"
	escaped := url.PathEscape(secret)
	ways := []struct {
		name  string
		env   map[string]string
		user  string // user info of the URL, "" for none
		inURL bool
	}{
		{"url without user", nil, ":" + escaped, true},
		{"url with user", nil, "default:" + escaped, true},
		{"REDISCLI_AUTH", map[string]string{"REDISCLI_AUTH": secret}, "", false},
		{"REDHOT_PASSWORD", map[string]string{"REDHOT_PASSWORD": secret}, "", false},
		{"REDHOT_PASSWORD with user", map[string]string{"REDHOT_PASSWORD": secret}, "default", false},
	}
	targets := []struct{ name, addr, err string }{
		{"wrong password", srv.Addr(), "authentication failed"},
		{"unreachable", closed, "not reachable"},
	}
	for _, tg := range targets {
		for _, w := range ways {
			t.Run(tg.name+"/"+w.name, func(t *testing.T) {
				t.Parallel()
				u := "redis://" + tg.addr
				if w.user != "" {
					u = "redis://" + w.user + "@" + tg.addr
				}
				for _, sc := range subcommands() {
					args := append(append([]string{}, sc.args...), "-u", u)
					r := runAny(t, w.env, args...)
					if r.code == 0 {
						t.Errorf("%s: exit 0; want a failure", sc.name)
					}
					out := r.stdout + r.stderr
					if strings.Contains(out, secret) || strings.Contains(out, escaped) || strings.Contains(out, url.QueryEscape(secret)) {
						t.Errorf("%s: the output shows the password:\n%s", sc.name, out)
					}
					if !strings.Contains(r.stderr, tg.err) {
						t.Errorf("%s: stderr lacks %q:\n%s", sc.name, tg.err, r.stderr)
					}
					warnings := strings.Count(r.stderr, "visible to other users in ps")
					if want := map[bool]int{true: 1, false: 0}[w.inURL]; warnings != want {
						t.Errorf("%s: %d warnings about ps; want %d:\n%s", sc.name, warnings, want, r.stderr)
					}
				}
			})
		}
	}
}

// TestSecurityMonitorValues checks that what redhot derives from MONITOR
// (monitor as a table and as JSON, top --source monitor) and from the
// slow log shows the keys a secret was written to, never the secret,
// and that monitor --show-values shows it.
func TestSecurityMonitorValues(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"slowlog-log-slower-than 0"}})
	c := s.Client()
	secret := randomSecret(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			pipe := c.Pipeline()
			for range 20 {
				pipe.Set(ctx, "session:42", secret, 0)
				pipe.Get(ctx, "session:42")
				pipe.HSet(ctx, "user:42", "token", secret)
			}
			_, _ = pipe.Exec(ctx)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	u := "redis://" + s.Addr()
	tests := []struct {
		args []string
		show bool
	}{
		{[]string{"monitor", "--duration", "400ms", "-o", "table"}, false},
		{[]string{"monitor", "--duration", "400ms", "-o", "json"}, false},
		{[]string{"top", "--source", "monitor", "--duration", "600ms", "--interval", "200ms", "--min-rate", "1"}, false},
		{[]string{"slowlog", "-o", "table"}, false},
		{[]string{"slowlog", "-o", "json"}, false},
		{[]string{"monitor", "--duration", "400ms", "-o", "json", "--show-values"}, true},
		{[]string{"monitor", "--duration", "400ms", "-o", "table", "--show-values"}, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := redhot(t, t.Context(), nil, append(tt.args, "-u", u)...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, "user:42") {
				t.Errorf("stdout lacks the key user:42:\n%s", r.stdout)
			}
			if got := strings.Contains(r.stdout+r.stderr, secret); got != tt.show {
				t.Errorf("output shows the value: %v; want %v:\n%s", got, tt.show, r.stdout)
			}
		})
	}
}

// TestSecurityServe checks that redhot serve listens on loopback unless
// told otherwise, and that with a token every request needs it.
func TestSecurityServe(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	u := "redis://" + s.Addr()
	if def := newServeCmd(env{getenv: func(string) string { return "" }}).Flags().Lookup("listen").DefValue; !isLoopback(t, def) {
		t.Errorf("serve --listen defaults to %q; want a loopback address", def)
	}

	t.Run("default listen", func(t *testing.T) {
		r, status := serveOnce(t, nil, "", "serve", "-u", u)
		if status == 0 && strings.Contains(r.stderr, "address already in use") {
			t.Skipf("the default port is taken on this machine: %s", r.stderr)
		}
		if status != http.StatusOK || r.code != 0 {
			t.Fatalf("serve without --listen: snapshot %d, exit %d, stdout %q, stderr %q; want 200 and 0", status, r.code, r.stdout, r.stderr)
		}
		host := regexp.MustCompile(`http://([0-9.]+):\d+/`).FindStringSubmatch(r.stdout)
		if host == nil || !net.ParseIP(host[1]).IsLoopback() {
			t.Errorf("serve without --listen printed %q; want a loopback address", r.stdout)
		}
	})

	tok := randomSecret(t)
	tests := []struct {
		name    string
		environ map[string]string
		args    []string
		token   string
		want    int
		warn    bool // a warning that --token shows in ps
	}{
		{"env token, no token sent", map[string]string{"REDHOT_TOKEN": tok}, nil, "", http.StatusUnauthorized, false},
		{"env token, wrong token", map[string]string{"REDHOT_TOKEN": tok}, nil, "x" + tok, http.StatusUnauthorized, false},
		{"env token, right token", map[string]string{"REDHOT_TOKEN": tok}, nil, tok, http.StatusOK, false},
		{"flag token, no token sent", nil, []string{"--token", tok}, "", http.StatusUnauthorized, true},
		{"flag token, right token", nil, []string{"--token", tok}, tok, http.StatusOK, true},
		{"all interfaces with a token, no token sent", map[string]string{"REDHOT_TOKEN": tok}, []string{"--listen", "0.0.0.0:0"}, "", http.StatusUnauthorized, false},
		{"all interfaces with a token, right token", map[string]string{"REDHOT_TOKEN": tok}, []string{"--listen", "0.0.0.0:0"}, tok, http.StatusOK, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"serve", "-u", u, "--interval", "100ms"}
			if !containsFlag(tt.args, "--listen") {
				args = append(args, "--listen", "127.0.0.1:0")
			}
			r, status := serveOnce(t, tt.environ, tt.token, append(args, tt.args...)...)
			if status != tt.want || r.code != 0 {
				t.Errorf("snapshot %d, exit %d; want %d and 0, stderr:\n%s", status, r.code, tt.want, r.stderr)
			}
			if got := strings.Contains(r.stderr, "visible to other users in ps"); got != tt.warn {
				t.Errorf("warning about ps: %v; want %v, stderr:\n%s", got, tt.warn, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, tok) {
				t.Errorf("the output shows the token:\n%s%s", r.stdout, r.stderr)
			}
		})
	}
}

// isLoopback reports whether host:port names a loopback address.
func isLoopback(tb testing.TB, hostPort string) bool {
	tb.Helper()
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		tb.Fatalf("%q: %v", hostPort, err)
	}
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

func containsFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

func TestHidePasswords(t *testing.T) {
	tests := []struct {
		name       string
		args, want []string
	}{
		{"url after -u", []string{"monitor", "-u", "redis://app:s3cret@h:1/2"}, []string{"monitor", "-u", "redis://app:xxxxxx@h:1/2"}},
		{"url after --url", []string{"slowlog", "--url", "rediss://:s3cret@h"}, []string{"slowlog", "--url", "rediss://:xxxxxx@h"}},
		{"--url=", []string{"slowlog", "--url=redis://:p@ss@h"}, []string{"slowlog", "--url=redis://:xxxx@h"}},
		{"-u joined", []string{"slowlog", "-uredis://:pw@h"}, []string{"slowlog", "-uredis://:xx@h"}},
		{"-u=", []string{"slowlog", "-u=redis://:pw@h"}, []string{"slowlog", "-u=redis://:xx@h"}},
		{"no scheme", []string{"slowlog", "-u", "app:pw@h:1"}, []string{"slowlog", "-u", "app:xx@h:1"}},
		{"user only", []string{"slowlog", "-u", "redis://app@h"}, []string{"slowlog", "-u", "redis://app@h"}},
		{"empty password", []string{"slowlog", "-u", "redis://app:@h"}, []string{"slowlog", "-u", "redis://app:@h"}},
		{"not a url", []string{"bigkeys", "--match", "a:b@c"}, []string{"bigkeys", "--match", "a:b@c"}},
		{"-u last", []string{"slowlog", "-u"}, []string{"slowlog", "-u"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Writable copies, as os.Args is: constants are read-only.
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.Clone(a)
			}
			got := hidePasswords(args)
			if strings.Join(got, " ") != strings.Join(tt.args, " ") {
				t.Errorf("hidePasswords(%q) returned %q; want the arguments unchanged", tt.args, got)
			}
			if strings.Join(args, " ") != strings.Join(tt.want, " ") {
				t.Errorf("hidePasswords(%q) left the arguments as %q; want %q", tt.args, args, tt.want)
			}
		})
	}
}

// TestSecurityArgv runs the redhot binary with a password in --url and
// checks, in /proc/<pid>/cmdline (what ps shows), that the password is
// gone once redhot is connected, that it still authenticated with it, and
// that it warned once.
func TestSecurityArgv(t *testing.T) {
	redistest.SkipIfShort(t)
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc/<pid>/cmdline to read on this system")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH to build redhot")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "redhot")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	secret := randomSecret(t)
	s := redistest.NewServer(t, redistest.ServerOptions{Password: secret})
	cmd := exec.Command(bin, "monitor", "--duration", "2s", "-u", "redis://:"+secret+"@"+s.Addr())
	var stderr syncBuffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "note: cost"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redhot monitor did not connect within 10s; stderr:\n%s", stderr.String())
		}
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid), "cmdline"))
	if err != nil {
		t.Fatal(err)
	}
	shown := strings.ReplaceAll(string(cmdline), "\x00", " ")
	if strings.Contains(shown, secret) || !strings.Contains(shown, "redis://:"+strings.Repeat("x", len(secret))+"@") {
		t.Errorf("ps shows %q; want the password replaced by x", shown)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("redhot monitor: %v; stderr:\n%s", err, stderr.String())
	}
	if n := strings.Count(stderr.String(), "visible to other users in ps"); n != 1 {
		t.Errorf("%d warnings about ps; want 1, stderr:\n%s", n, stderr.String())
	}
}
