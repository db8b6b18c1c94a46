package redistest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/redhot/redhot/internal/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// timeout returns a context for tb that ends after d or with the test.
func timeout(tb testing.TB, d time.Duration) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), d)
	tb.Cleanup(cancel)
	return ctx
}

// info runs INFO section on c and returns field.
func info(tb testing.TB, c *redis.Client, section, field string) string {
	tb.Helper()
	text, err := c.Info(tb.Context(), section).Result()
	if err != nil {
		tb.Fatalf("INFO %s on %s: %v", section, c.Options().Addr, err)
	}
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	tb.Fatalf("INFO %s on %s has no field %s", section, c.Options().Addr, field)
	return ""
}

func TestStartWithoutBinary(t *testing.T) {
	t.Parallel()
	_, err := redistest.Start(t.Context(), redistest.ServerOptions{Binary: filepath.Join(t.TempDir(), "redis-server")})
	if !errors.Is(err, redistest.ErrNoRedisServer) {
		t.Fatalf("Start with a missing binary: err = %v; want ErrNoRedisServer", err)
	}
	if !strings.Contains(err.Error(), "make redis") {
		t.Errorf("Start with a missing binary: err = %q; want it to mention `make redis`", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		start func(context.Context) error
		field string
	}{
		{"negative start timeout", func(ctx context.Context) error {
			_, err := redistest.Start(ctx, redistest.ServerOptions{StartTimeout: -time.Second})
			return err
		}, "StartTimeout"},
		{"multi-line config", func(ctx context.Context) error {
			_, err := redistest.Start(ctx, redistest.ServerOptions{Config: []string{"save \"\"\nport 1"}})
			return err
		}, "Config[0]"},
		{"negative replicas", func(ctx context.Context) error {
			_, err := redistest.StartReplicated(ctx, redistest.ReplicatedOptions{Replicas: -1})
			return err
		}, "Replicas"},
		{"too many primaries", func(ctx context.Context) error {
			_, err := redistest.StartCluster(ctx, redistest.ClusterOptions{Primaries: redistest.NumSlots + 1})
			return err
		}, "Primaries"},
		{"negative node timeout", func(ctx context.Context) error {
			_, err := redistest.StartCluster(ctx, redistest.ClusterOptions{NodeTimeout: -1})
			return err
		}, "NodeTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.start(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("err = %v; want an error naming %s", err, tt.field)
			}
		})
	}
}

func TestStartBadConfigShowsLog(t *testing.T) {
	redistest.SkipIfShort(t)
	t.Parallel()
	_, err := redistest.Start(t.Context(), redistest.ServerOptions{Config: []string{"no-such-directive yes"}})
	if err == nil {
		t.Fatal("Start with a bad directive: err = nil; want an error")
	}
	if !strings.Contains(err.Error(), "Bad directive") || !strings.Contains(err.Error(), "no-such-directive") {
		t.Errorf("Start with a bad directive: err = %q; want the server's complaint in it", err)
	}
}

func TestTLSUnsupportedBuild(t *testing.T) {
	t.Parallel()
	// A stand-in for a redis-server built without TLS, which rejects the
	// tls-* directives the way Redis 7.0 does.
	bin := filepath.Join(t.TempDir(), "redis-server-notls")
	script := `#!/bin/sh
cat >/dev/null
echo '*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***' >&2
echo 'Reading the configuration file, at line 12' >&2
echo ">>> 'tls-port 6380'" >&2
echo 'Bad directive or wrong number of arguments' >&2
exit 1
`
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := redistest.Start(t.Context(), redistest.ServerOptions{Binary: bin, TLS: redistest.TLSServer})
	if !errors.Is(err, redistest.ErrTLSUnsupported) {
		t.Errorf("Start with TLS on a build without TLS: err = %v; want ErrTLSUnsupported", err)
	}
}

func TestServerExtraConfig(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{Config: []string{
		"maxmemory-policy allkeys-lfu",
		"notify-keyspace-events KEA",
	}})
	c := s.Client()
	ctx := timeout(t, 10*time.Second)
	tests := []struct {
		param string
		want  func(string) bool
	}{
		{"maxmemory-policy", func(v string) bool { return v == "allkeys-lfu" }},
		// Redis normalises the flags: KEA becomes AKE.
		{"notify-keyspace-events", func(v string) bool {
			return len(v) == 3 && strings.Contains(v, "A") && strings.Contains(v, "K") && strings.Contains(v, "E")
		}},
		{"save", func(v string) bool { return v == "" }},
		{"appendonly", func(v string) bool { return v == "no" }},
		{"bind", func(v string) bool { return v == "127.0.0.1" }},
		{"dir", func(v string) bool { return v == s.Dir() || filepath.Clean(v) == evalSymlinks(s.Dir()) }},
	}
	for _, tt := range tests {
		got, err := c.ConfigGet(ctx, tt.param).Result()
		if err != nil {
			t.Fatalf("CONFIG GET %s: %v", tt.param, err)
		}
		if !tt.want(got[tt.param]) {
			t.Errorf("CONFIG GET %s = %q; not what was configured", tt.param, got[tt.param])
		}
	}
	if s.ID() != "" {
		t.Errorf("ID() = %q for a standalone server; want \"\"", s.ID())
	}
	if want := fmt.Sprintf("127.0.0.1:%d", s.Port()); s.Addr() != want {
		t.Errorf("Addr() = %q; want %q", s.Addr(), want)
	}
	if tail := s.LogTail(50); !strings.Contains(tail, "Ready to accept connections") {
		t.Errorf("LogTail(50) = %q; want the startup message", tail)
	}
}

// evalSymlinks resolves path, or returns it unchanged.
func evalSymlinks(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return p
	}
	return path
}

func TestServerACLUser(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"user alice on >pw ~* +@read"}})
	ctx := timeout(t, 10*time.Second)
	if err := s.Client().Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET as default user: %v", err)
	}
	alice := s.Client(func(o *redis.Options) { o.Username, o.Password = "alice", "pw" })
	if got, err := alice.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Errorf("GET k as alice = %q, %v; want \"v\", nil", got, err)
	}
	if err := alice.Set(ctx, "k", "w", 0).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
		t.Errorf("SET k as alice: err = %v; want NOPERM", err)
	}
	wrong := s.Client(func(o *redis.Options) { o.Username, o.Password = "alice", "nope" })
	if err := wrong.Ping(ctx).Err(); err == nil {
		t.Error("PING as alice with a wrong password: err = nil; want an auth error")
	}
}

func TestServerPassword(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{Password: "s3cret"})
	ctx := timeout(t, 10*time.Second)
	if err := s.Client().Ping(ctx).Err(); err != nil {
		t.Errorf("PING with the password: %v", err)
	}
	anon := s.Client(func(o *redis.Options) { o.Password = "" })
	if err := anon.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("PING without a password: err = %v; want NOAUTH", err)
	}
}

func TestServerTLS(t *testing.T) {
	tests := []struct {
		name              string
		mode              redistest.TLSMode
		certlessConnects  bool
		wantAuthClientsIs string
	}{
		{"server", redistest.TLSServer, true, "optional"},
		{"mutual", redistest.TLSMutual, false, "yes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := redistest.NewServer(t, redistest.ServerOptions{TLS: tt.mode})
			ctx := timeout(t, 10*time.Second)
			c := s.Client()
			if err := c.Ping(ctx).Err(); err != nil {
				t.Fatalf("PING over TLS with a client certificate: %v", err)
			}
			if got := info(t, c, "server", "tcp_port"); got != fmt.Sprint(s.Port()) {
				t.Errorf("INFO server tcp_port = %s; want the TLS port %d", got, s.Port())
			}
			cfg, err := c.ConfigGet(ctx, "tls-auth-clients").Result()
			if err != nil {
				t.Fatalf("CONFIG GET tls-auth-clients: %v", err)
			}
			if got := cfg["tls-auth-clients"]; got != tt.wantAuthClientsIs {
				t.Errorf("tls-auth-clients = %q; want %q", got, tt.wantAuthClientsIs)
			}

			certless := s.Client(func(o *redis.Options) {
				o.TLSConfig.Certificates = nil
				o.MaxRetries = -1
			})
			err = certless.Ping(ctx).Err()
			if tt.certlessConnects && err != nil {
				t.Errorf("PING without a client certificate: %v; want success", err)
			}
			if !tt.certlessConnects && err == nil {
				t.Error("PING without a client certificate: err = nil; want a TLS failure")
			}

			plain := s.Client(func(o *redis.Options) {
				o.TLSConfig = nil
				o.MaxRetries = -1
				o.ReadTimeout = time.Second
			})
			if err := plain.Ping(ctx).Err(); err == nil {
				t.Error("PING in plain text to the TLS port: err = nil; want a failure")
			}

			files := s.TLSFiles()
			for _, f := range []string{files.CACert, files.ServerCert, files.ServerKey, files.ClientCert, files.ClientKey} {
				if _, err := os.Stat(f); err != nil {
					t.Errorf("TLS file: %v", err)
				}
			}
		})
	}
}

func TestServerPauseResume(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	c := s.Client(func(o *redis.Options) {
		o.ReadTimeout = 200 * time.Millisecond
		o.MaxRetries = -1
	})
	ctx := timeout(t, 10*time.Second)
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING before Pause: %v", err)
	}
	if err := s.Pause(); err != nil {
		t.Fatalf("Pause: %v", err)
	}
	err := c.Ping(ctx).Err()
	var nerr net.Error
	if !errors.As(err, &nerr) || !nerr.Timeout() {
		t.Errorf("PING while paused: err = %v; want a timeout", err)
	}
	if err := s.Resume(); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Errorf("PING after Resume: %v", err)
	}
	if err := s.Resume(); !errors.Is(err, redistest.ErrNotRunning) {
		t.Errorf("Resume of a running server: err = %v; want ErrNotRunning", err)
	}
}

func TestServerKillRestart(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	c := s.Client(func(o *redis.Options) { o.MaxRetries = -1 })
	ctx := timeout(t, 10*time.Second)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	pid := info(t, c, "server", "process_id")
	addr := s.Addr()

	if err := s.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if err := c.Ping(ctx).Err(); err == nil {
		t.Error("PING after Kill: err = nil; want a connection error")
	}
	if err := s.Kill(); !errors.Is(err, redistest.ErrNotRunning) {
		t.Errorf("second Kill: err = %v; want ErrNotRunning", err)
	}

	if err := s.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if s.Addr() != addr {
		t.Errorf("Addr() after Restart = %s; want %s", s.Addr(), addr)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
	if got := info(t, c, "server", "process_id"); got == pid {
		t.Errorf("process_id after Restart = %s; want a new process", got)
	}
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS k after Restart = %d, %v; want 0 (no persistence)", n, err)
	}
}

func TestServerRestartPortTaken(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	if err := s.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	ln, err := net.Listen("tcp", s.Addr())
	if err != nil {
		t.Fatalf("take the killed server's port: %v", err)
	}
	defer ln.Close()
	err = s.Restart(t.Context())
	if err == nil || !strings.Contains(err.Error(), "Address already in use") {
		t.Errorf("Restart on a taken port: err = %v; want the bind failure from the log", err)
	}
}

func TestServerCloseIsIdempotent(t *testing.T) {
	redistest.SkipIfShort(t)
	t.Parallel()
	s, err := redistest.Start(t.Context(), redistest.ServerOptions{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	s.Client() // closed by Close
	if err := s.Pause(); err != nil {
		t.Fatalf("Pause: %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = s.Close() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Close #%d: %v", i, err)
		}
	}
	if _, err := os.Stat(s.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat(Dir()) after Close: err = %v; want not exist", err)
	}
	if err := s.Restart(t.Context()); !errors.Is(err, redistest.ErrClosed) {
		t.Errorf("Restart after Close: err = %v; want ErrClosed", err)
	}
}

func TestReplicated(t *testing.T) {
	t.Parallel()
	r := redistest.NewReplicated(t, 2, redistest.ServerOptions{})
	ctx := timeout(t, 20*time.Second)
	primary := r.Primary().Client()
	if err := primary.Set(ctx, "k", "v1", 0).Err(); err != nil {
		t.Fatalf("SET on primary: %v", err)
	}
	if n, err := primary.Wait(ctx, 2, 5*time.Second).Result(); err != nil || n != 2 {
		t.Fatalf("WAIT 2 = %d, %v; want 2", n, err)
	}
	for _, rep := range r.Replicas() {
		if got, err := rep.Client().Get(ctx, "k").Result(); err != nil || got != "v1" {
			t.Errorf("GET k on replica %s = %q, %v; want \"v1\"", rep, got, err)
		}
		if got := info(t, rep.Client(), "replication", "master_link_status"); got != "up" {
			t.Errorf("replica %s master_link_status = %s; want up", rep, got)
		}
	}

	old := r.Primary()
	promoted := r.Replicas()[0]
	if err := r.Promote(ctx, promoted); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	if r.Primary() != promoted || !slices.Contains(r.Replicas(), old) {
		t.Fatalf("after Promote: primary %s, replicas %v; want %s with %s among replicas", r.Primary(), r.Replicas(), promoted, old)
	}
	pc := promoted.Client()
	if err := pc.Set(ctx, "k", "v2", 0).Err(); err != nil {
		t.Fatalf("SET on promoted primary: %v", err)
	}
	if n, err := pc.Wait(ctx, 2, 5*time.Second).Result(); err != nil || n != 2 {
		t.Fatalf("WAIT 2 on promoted primary = %d, %v; want 2", n, err)
	}
	for _, rep := range r.Replicas() {
		if got, err := rep.Client().Get(ctx, "k").Result(); err != nil || got != "v2" {
			t.Errorf("GET k on %s after Promote = %q, %v; want \"v2\"", rep, got, err)
		}
	}
}

func TestReplicatedTLS(t *testing.T) {
	t.Parallel()
	r := redistest.NewReplicated(t, 1, redistest.ServerOptions{TLS: redistest.TLSMutual})
	ctx := timeout(t, 20*time.Second)
	if err := r.Primary().Client().Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET on primary: %v", err)
	}
	if n, err := r.Primary().Client().Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %d, %v; want 1", n, err)
	}
	if got, err := r.Replicas()[0].Client().Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Errorf("GET k on replica = %q, %v; want \"v\"", got, err)
	}
}

// newCluster3x1 starts three primaries with one replica each and logs how
// long that took.
func newCluster3x1(t *testing.T) *redistest.Cluster {
	t.Helper()
	start := time.Now()
	c := redistest.NewCluster(t, redistest.ClusterOptions{Primaries: 3, ReplicasPerPrimary: 1})
	t.Logf("3x1 cluster ready in %v", time.Since(start).Round(time.Millisecond))
	return c
}

// checkClusterOK fails t unless every node in nodes reports cluster_state:ok.
func checkClusterOK(t *testing.T, nodes []*redistest.Server) {
	t.Helper()
	for _, n := range nodes {
		text, err := n.Client().ClusterInfo(t.Context()).Result()
		if err != nil {
			t.Fatalf("CLUSTER INFO on %s: %v", n, err)
		}
		if !strings.Contains(text, "cluster_state:ok") {
			t.Errorf("CLUSTER INFO on %s: %q; want cluster_state:ok", n, text)
		}
	}
}

// writeKeys sets n keys named prefix+i through c.
func writeKeys(t *testing.T, c *redis.ClusterClient, prefix string, n int) {
	t.Helper()
	ctx := timeout(t, 20*time.Second)
	for i := range n {
		if err := c.Set(ctx, fmt.Sprint(prefix, i), i, 0).Err(); err != nil {
			t.Fatalf("SET %s%d: %v", prefix, i, err)
		}
	}
}

// checkKeys fails t unless the n keys written by writeKeys read back
// through c.
func checkKeys(t *testing.T, c *redis.ClusterClient, prefix string, n int) {
	t.Helper()
	ctx := timeout(t, 20*time.Second)
	for i := range n {
		got, err := c.Get(ctx, fmt.Sprint(prefix, i)).Int()
		if err != nil || got != i {
			t.Fatalf("GET %s%d = %d, %v; want %d", prefix, i, got, err, i)
		}
	}
}

func TestCluster(t *testing.T) {
	t.Parallel()
	c := newCluster3x1(t)
	checkClusterOK(t, c.Nodes())
	primaries := c.Primaries()
	if len(primaries) != 3 || len(c.Replicas()) != 3 || len(c.Nodes()) != 6 || len(c.Addrs()) != 6 {
		t.Fatalf("Primaries, Replicas, Nodes, Addrs = %d, %d, %d, %d; want 3, 3, 6, 6",
			len(primaries), len(c.Replicas()), len(c.Nodes()), len(c.Addrs()))
	}
	for i, p := range primaries {
		reps := c.ReplicasOf(p)
		if len(reps) != 1 {
			t.Fatalf("ReplicasOf(%s) = %v; want one replica", p, reps)
		}
		if got := info(t, reps[0].Client(), "replication", "master_port"); got != fmt.Sprint(p.Port()) {
			t.Errorf("replica %s master_port = %s; want %d", reps[0], got, p.Port())
		}
		if p.ID() == "" || len(p.ID()) != 40 {
			t.Errorf("primary %d ID() = %q; want a 40-character node ID", i, p.ID())
		}
		first := i * redistest.NumSlots / 3
		if got := c.NodeForSlot(first); got != p {
			t.Errorf("NodeForSlot(%d) = %v; want %v", first, got, p)
		}
	}
	if got := c.NodeForSlot(redistest.NumSlots); got != nil {
		t.Errorf("NodeForSlot(%d) = %v; want nil", redistest.NumSlots, got)
	}

	cc := c.Client()
	const n = 1000
	writeKeys(t, cc, "key:", n)
	checkKeys(t, cc, "key:", n)
	total := int64(0)
	for _, p := range primaries {
		size, err := p.Client().DBSize(t.Context()).Result()
		if err != nil {
			t.Fatalf("DBSIZE on %s: %v", p, err)
		}
		if size == 0 {
			t.Errorf("DBSIZE on %s = 0; want keys spread over every primary", p)
		}
		total += size
	}
	if total != n {
		t.Errorf("sum of DBSIZE over primaries = %d; want %d", total, n)
	}
}

func TestClusterFailover(t *testing.T) {
	t.Parallel()
	c := newCluster3x1(t)
	cc := c.Client()
	writeKeys(t, cc, "fo:", 200)

	old := c.Primaries()[0]
	replica := c.ReplicasOf(old)[0]
	start := time.Now()
	if err := c.Failover(timeout(t, 30*time.Second), replica); err != nil {
		t.Fatalf("Failover: %v", err)
	}
	t.Logf("failover took %v", time.Since(start).Round(time.Millisecond))

	if got := info(t, replica.Client(), "replication", "role"); got != "master" {
		t.Errorf("role of %s after Failover = %s; want master", replica, got)
	}
	if got := info(t, old.Client(), "replication", "role"); got != "slave" {
		t.Errorf("role of old primary %s after Failover = %s; want slave", old, got)
	}
	if got := c.NodeForSlot(0); got != replica {
		t.Errorf("NodeForSlot(0) = %v; want %v", got, replica)
	}
	if got := c.ReplicasOf(replica); !slices.Equal(got, []*redistest.Server{old}) {
		t.Errorf("ReplicasOf(%s) = %v; want [%s]", replica, got, old)
	}
	checkClusterOK(t, c.Nodes())
	checkKeys(t, cc, "fo:", 200)
	writeKeys(t, cc, "after:", 100)
}

func TestClusterKillPrimaryRestart(t *testing.T) {
	t.Parallel()
	c := newCluster3x1(t)
	cc := c.Client()
	writeKeys(t, cc, "kr:", 100)
	victim := c.Primaries()[1]
	heir := c.ReplicasOf(victim)[0]
	ctx := timeout(t, 30*time.Second)

	if err := victim.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	start := time.Now()
	if err := c.WaitHealthy(ctx); err != nil {
		t.Fatalf("WaitHealthy after killing a primary: %v", err)
	}
	t.Logf("automatic failover took %v", time.Since(start).Round(time.Millisecond))
	if got := c.NodeForSlot(redistest.NumSlots / 2); got != heir {
		t.Errorf("NodeForSlot(%d) after the kill = %v; want its replica %v", redistest.NumSlots/2, got, heir)
	}
	if got := c.ReplicasOf(heir); len(got) != 0 {
		t.Errorf("ReplicasOf(%s) while the old primary is down = %v; want none", heir, got)
	}

	if err := victim.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if err := c.WaitHealthy(ctx); err != nil {
		t.Fatalf("WaitHealthy after Restart: %v", err)
	}
	if got := c.ReplicasOf(heir); !slices.Equal(got, []*redistest.Server{victim}) {
		t.Errorf("ReplicasOf(%s) after Restart = %v; want the restarted node %s", heir, got, victim)
	}
	checkClusterOK(t, c.Nodes())
	checkKeys(t, cc, "kr:", 100)
}

func TestClusterMoveSlot(t *testing.T) {
	t.Parallel()
	c := newCluster3x1(t)
	cc := c.Client()
	ctx := timeout(t, 30*time.Second)
	const n = 250 // more than one MIGRATE batch
	writeKeys(t, cc, "{hot}:", n)
	slot, err := cc.ClusterKeySlot(ctx, "{hot}:0").Result()
	if err != nil {
		t.Fatalf("CLUSTER KEYSLOT: %v", err)
	}
	from := c.NodeForSlot(int(slot))
	var to *redistest.Server
	for _, p := range c.Primaries() {
		if p != from {
			to = p
			break
		}
	}

	if err := c.MoveSlot(ctx, int(slot), to); err != nil {
		t.Fatalf("MoveSlot(%d, %s): %v", slot, to, err)
	}
	if got := c.NodeForSlot(int(slot)); got != to {
		t.Errorf("NodeForSlot(%d) = %v; want %v", slot, got, to)
	}
	for _, tc := range []struct {
		node *redistest.Server
		want int64
	}{{to, n}, {from, 0}} {
		got, err := tc.node.Client().ClusterCountKeysInSlot(ctx, int(slot)).Result()
		if err != nil || got != tc.want {
			t.Errorf("CLUSTER COUNTKEYSINSLOT %d on %s = %d, %v; want %d", slot, tc.node, got, err, tc.want)
		}
	}
	for _, node := range c.Nodes() {
		//lint:ignore SA1019 CLUSTER SLOTS is what cluster clients read.
		slots, err := node.Client().ClusterSlots(ctx).Result()
		if err != nil {
			t.Fatalf("CLUSTER SLOTS on %s: %v", node, err)
		}
		for _, s := range slots {
			if s.Start <= int(slot) && int(slot) <= s.End && s.Nodes[0].ID != to.ID() {
				t.Errorf("CLUSTER SLOTS on %s: slot %d owned by %s; want %s", node, slot, s.Nodes[0].Addr, to)
			}
		}
	}
	checkClusterOK(t, c.Nodes())
	checkKeys(t, cc, "{hot}:", n)

	if err := c.MoveSlot(ctx, int(slot), to); err != nil {
		t.Errorf("MoveSlot to the current owner: %v; want nil", err)
	}
}

func TestClusterTLS(t *testing.T) {
	t.Parallel()
	c := redistest.NewCluster(t, redistest.ClusterOptions{
		Primaries:          3,
		ReplicasPerPrimary: 1,
		Server:             redistest.ServerOptions{TLS: redistest.TLSMutual, Password: "pw"},
	})
	cc := c.Client()
	writeKeys(t, cc, "{tls}:", 20)
	slot, err := cc.ClusterKeySlot(t.Context(), "{tls}:0").Result()
	if err != nil {
		t.Fatalf("CLUSTER KEYSLOT: %v", err)
	}
	from := c.NodeForSlot(int(slot))
	to := c.Primaries()[0]
	if to == from {
		to = c.Primaries()[1]
	}
	// MIGRATE runs over TLS with AUTH.
	if err := c.MoveSlot(timeout(t, 30*time.Second), int(slot), to); err != nil {
		t.Fatalf("MoveSlot: %v", err)
	}
	checkKeys(t, cc, "{tls}:", 20)
}

func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	s := redistest.NewSentinel(t, redistest.SentinelOptions{})
	ctx := t.Context()
	c := s.Client()
	defer c.Close()
	if err := c.Set(ctx, "k", "v1", 0).Err(); err != nil {
		t.Fatalf("SET through the failover client: %v", err)
	}
	old := s.Data().Primary()
	if err := s.Data().WaitSynced(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Failover(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("failover took %v", time.Since(start))
	if s.Data().Primary() == old {
		t.Fatalf("Data().Primary() = %s after Failover; want a replica promoted", old)
	}
	// The client follows the sentinel to the new primary.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Set(ctx, "k", "v2", 0).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SET after the failover: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got, err := s.Data().Primary().Client().Get(ctx, "k").Result(); got != "v2" || err != nil {
		t.Errorf("GET k on the new primary = %q, %v; want v2", got, err)
	}
}
