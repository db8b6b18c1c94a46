package redhot

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/alert"
	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/redistest"
	"github.com/redhot/redhot/nearcache"
	"github.com/redhot/redhot/replica"
	"github.com/redhot/redhot/split"
	"github.com/redhot/redhot/stampede"
)

// logBuffer collects a logger's output for the test to search.
type logBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logger returns a logger that writes every record, debug included, to l.
func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// randomString returns a string no output could contain by chance, and
// so also a fresh key name.
func randomString() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand never fails on supported systems
	return "pw" + hex.EncodeToString(b)
}

// checkInvalidated checks that the near cache serves key, and sees a write
// to it by another client.
func checkInvalidated(tb testing.TB, mw *Middleware, other *redis.Client, key string) {
	tb.Helper()
	ctx := context.Background()
	if err := other.Set(ctx, key, "v1", 0).Err(); err != nil {
		tb.Fatal(err)
	}
	mw.Pin(key)
	cached(tb, mw, key)
	if err := other.Set(ctx, key, "v2", 0).Err(); err != nil {
		tb.Fatal(err)
	}
	eventually(tb, mw, key, "v2", time.Second)
}

// TestSecurityTLS runs the middleware over TLS, verifying the server, and
// over mutual TLS: the near cache's own connections use the client's TLS
// configuration and keep tracking. With a CA that did not sign the
// server's certificate, commands and the near cache fail, and nothing is
// cached.
func TestSecurityTLS(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{TLS: redistest.TLSServer})
	mut := redistest.NewServer(t, redistest.ServerOptions{TLS: redistest.TLSMutual})
	tests := []struct {
		name      string
		s         *redistest.Server
		clientPEM bool // present the client certificate
	}{
		{"server auth", srv, false},
		{"mutual", mut, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb := tt.s.Client(func(o *redis.Options) {
				if !tt.clientPEM {
					o.TLSConfig.Certificates = nil
				}
			})
			mw := attach(t, rdb, Options{})
			waitMode(t, mw, nearcache.ModeTracking)
			checkInvalidated(t, mw, tt.s.Client(), "k")
		})
	}

	t.Run("wrong ca", func(t *testing.T) {
		var logs logBuffer
		// mut's CA did not sign srv's certificate.
		rdb := srv.Client(func(o *redis.Options) {
			o.TLSConfig = mut.TLSConfig()
			o.MaxRetries = -1
		})
		mw := attach(t, rdb, Options{Logger: logs.logger()})
		mw.Pin("k")
		ctx := context.Background()
		for range 3 {
			err := rdb.Get(ctx, "k").Err()
			if err == nil || errors.Is(err, redis.Nil) || !strings.Contains(err.Error(), "certificate") {
				t.Fatalf("GET over TLS with the wrong CA: %v; want a certificate error", err)
			}
		}
		waitFor(t, 5*time.Second, func() bool { return strings.Contains(logs.String(), "certificate") }, "a log line about the certificate")
		if st := mw.Stats().Cache; st.Hits != 0 || st.Fills != 0 || st.Mode == nearcache.ModeTracking {
			t.Errorf("near cache with the wrong CA: mode %v, %d hits, %d fills; want no tracking, hits or fills", st.Mode, st.Hits, st.Fills)
		}
	})
}

// middlewareRules is the least privilege of a service's user for the
// middleware with the near cache in tracking mode, beyond the service's
// own commands (here GET and SET): docs/security.md.
const middlewareRules = "~* resetchannels +get +set +pttl +client|tracking"

// TestSecurityACL runs the middleware as a user with the least privilege
// the near cache needs, where it tracks and serves hits, and as users with
// less, where it falls back as documented: without CLIENT TRACKING it
// caches nothing (or only for TTLOnly, with AllowTTLOnly), and without
// PTTL its fills fail and every read goes to Redis, still correct.
func TestSecurityACL(t *testing.T) {
	less := func(rule string) string {
		r := strings.Replace(middlewareRules+" ", " "+rule+" ", " ", 1)
		if r == middlewareRules+" " {
			t.Fatalf("%q is not in %q", rule, middlewareRules)
		}
		return strings.TrimSpace(r)
	}
	srv := redistest.NewServer(t, redistest.ServerOptions{Config: []string{
		"user app on >pw " + middlewareRules,
		"user notracking on >pw " + less("+client|tracking"),
		"user nopttl on >pw " + less("+pttl"),
	}})
	ctx := context.Background()
	asUser := func(user string) *redis.Client {
		return srv.Client(func(o *redis.Options) { o.Username, o.Password = user, "pw" })
	}
	// The user may not run COMMAND, so the middleware keeps its built-in
	// table, and says so. Nor ROLE or PING: the heartbeat's NOPERM reply
	// proves the invalidation stream complete as well as any reply, so
	// hits go on past MaxStaleness.
	t.Run("least privilege", func(t *testing.T) {
		var logs logBuffer
		rdb := asUser("app")
		const staleness = 100 * time.Millisecond
		mw := attach(t, rdb, Options{Logger: logs.logger(), MaxStaleness: staleness})
		waitMode(t, mw, nearcache.ModeTracking)
		checkInvalidated(t, mw, srv.Client(), "k")
		time.Sleep(3 * staleness)
		cached(t, mw, "k")
		waitFor(t, 5*time.Second, func() bool { return strings.Contains(logs.String(), "built-in command table") }, "a log line about the built-in command table")
	})

	tests := []struct {
		name     string
		user     string
		allow    bool
		mode     nearcache.Mode
		wantHits bool
		log      string
	}{
		{"without client tracking", "notracking", false, nearcache.ModeOff, false, "refuses CLIENT TRACKING"},
		{"without client tracking, ttl-only allowed", "notracking", true, nearcache.ModeTTLOnly, true, "TTL-only mode"},
		{"without pttl", "nopttl", false, nearcache.ModeTracking, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			rdb := asUser(tt.user)
			mw := attach(t, rdb, Options{Logger: logs.logger(), AllowTTLOnly: tt.allow})
			waitMode(t, mw, tt.mode)
			mw.Pin("k")
			if err := rdb.Set(ctx, "k", "v1", 0).Err(); err != nil {
				t.Fatal(err)
			}
			for range 50 {
				if v, err := rdb.Get(ctx, "k").Result(); v != "v1" || err != nil {
					t.Fatalf("GET k = %q, %v; want v1", v, err)
				}
			}
			st := mw.Stats().Cache
			if hits := st.Hits > 0; hits != tt.wantHits {
				t.Errorf("hits > 0 is %v; want %v (stats %+v)", hits, tt.wantHits, st)
			}
			if tt.user == "nopttl" && st.FillErrors == 0 {
				t.Errorf("FillErrors = 0 without PTTL; want the failed fills counted")
			}
			if tt.log != "" && !strings.Contains(logs.String(), tt.log) {
				t.Errorf("logs lack %q:\n%s", tt.log, logs.String())
			}
		})
	}
}

// TestSecurityPasswordNotLogged attaches the middleware to clients with a
// wrong password (as the default user and as a named one) and to an
// address where nothing listens, and checks that the password shows in
// neither the middleware's logs nor the errors commands return.
func TestSecurityPasswordNotLogged(t *testing.T) {
	srv := redistest.NewServer(t, redistest.ServerOptions{Password: randomString()})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	secret := randomString()
	tests := []struct {
		name, addr, user string
	}{
		{"wrong password", srv.Addr(), ""},
		{"wrong password, named user", srv.Addr(), "app"},
		{"unreachable", closed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logBuffer
			rdb := redis.NewClient(&redis.Options{Addr: tt.addr, Username: tt.user, Password: secret, MaxRetries: -1, DialTimeout: time.Second})
			defer rdb.Close()
			mw := attach(t, rdb, Options{Logger: logs.logger()})
			mw.Pin("k")
			ctx := context.Background()
			var errs []string
			for range 3 {
				err := rdb.Get(ctx, "k").Err()
				if err == nil || errors.Is(err, redis.Nil) {
					t.Fatalf("GET with a wrong password: %v; want an error", err)
				}
				errs = append(errs, err.Error())
				if _, err := mw.Get(ctx, "k"); err != nil {
					errs = append(errs, err.Error())
				}
			}
			// The near cache logs its failure to connect once it has tried.
			waitFor(t, 5*time.Second, func() bool { return strings.Contains(logs.String(), "near cache") }, "a log line from the near cache")
			if err := mw.Close(); err != nil {
				errs = append(errs, err.Error())
			}
			all := logs.String() + strings.Join(errs, "\n")
			if strings.Contains(all, secret) {
				t.Errorf("the password shows in logs or errors:\n%s", all)
			}
		})
	}
}

// feature is one library feature run as an ACL user: run must succeed with
// the rules docs/security.md gives for it.
type feature struct {
	name  string
	rules string
	run   func(ctx context.Context, c *redis.Client) error
	// cut is a rule whose removal must make run fail with an error that
	// contains want.
	cut, want string
}

// features returns the library features that talk to Redis, apart from
// the middleware and replica routing, which have tests of their own.
func features() []feature {
	return []feature{
		{"split counter", "~* +incrby +get", func(ctx context.Context, c *redis.Client) error {
			s, err := split.New(c, split.Options{})
			if err != nil {
				return err
			}
			defer s.Close()
			ctr, err := s.Counter("views:"+randomString(), split.CounterOptions{Shards: 4})
			if err != nil {
				return err
			}
			return countTo(ctx, ctr, 5)
		}, "+incrby", "'incrby' command"},
		{"split counter with ttl", "~* +incrby +get +pttl +pexpire +evalsha +eval", func(ctx context.Context, c *redis.Client) error {
			s, err := split.New(c, split.Options{})
			if err != nil {
				return err
			}
			defer s.Close()
			ctr, err := s.Counter("views:"+randomString(), split.CounterOptions{Shards: 4, TTL: time.Minute})
			if err != nil {
				return err
			}
			return countTo(ctx, ctr, 5)
		}, "+pexpire", "script"},
		{"split value", "~* +hmget +hset +del +pttl +evalsha +eval", func(ctx context.Context, c *redis.Client) error {
			s, err := split.New(c, split.Options{})
			if err != nil {
				return err
			}
			defer s.Close()
			// Every read checks every copy (with PTTL), as one in
			// VerifyEvery does by default.
			v, err := s.Value("flags:"+randomString(), split.ValueOptions{Copies: 4, VerifyEvery: 1})
			if err != nil {
				return err
			}
			if err := v.Set(ctx, "on", 0); err != nil {
				return err
			}
			for range 10 {
				if got, err := v.Get(ctx); err != nil || got != "on" {
					return fmt.Errorf("Get = %q, %v; want on", got, err)
				}
			}
			return nil
		}, "+pttl", "'pttl' command"},
		{"stampede", "~* +get +set +del +pttl +evalsha +eval +publish +subscribe &stampede:fill:*", stampedeOnce, "+evalsha", "'evalsha' command"},
		{"stampede without notifications", "~* +get +set +pttl +evalsha +eval", stampedeOnce, "+set", "script"},
		{"fleet member", "~redhot:fleet +xadd +xread +time", func(ctx context.Context, c *redis.Client) error {
			tr := heat.Must(heat.Options{})
			defer tr.Close()
			m, err := fleet.Join(ctx, c, tr, fleet.Options{Interval: 50 * time.Millisecond})
			if err != nil {
				return err
			}
			defer m.Close()
			deadline := time.Now().Add(5 * time.Second)
			for len(m.Instances()) == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if st := m.Stats(); len(m.Instances()) == 0 || st.PublishErrors+st.ReadErrors > 0 {
				return fmt.Errorf("the member does not see itself: %d instances, %d publish and %d read errors", len(m.Instances()), st.PublishErrors, st.ReadErrors)
			}
			return nil
		}, "+xread", "'xread' command"},
		{"alert pub/sub notifier", "&redhot:alerts +publish", func(ctx context.Context, c *redis.Client) error {
			p, err := alert.NewPubSub(c, alert.PubSubOptions{})
			if err != nil {
				return err
			}
			return p.Notify(ctx, alert.Alert{Kind: alert.Firing, Rule: "r", Key: "k"})
		}, "&redhot:alerts", "channels"},
	}
}

// countTo adds 1 to ctr n times and checks the total.
func countTo(ctx context.Context, ctr *split.Counter, n int64) error {
	for range n {
		if err := ctr.IncrBy(ctx, 1); err != nil {
			return err
		}
	}
	if got, err := ctr.Total(ctx); err != nil || got != n {
		return fmt.Errorf("Total = %d, %v; want %d", got, err, n)
	}
	return nil
}

// stampedeOnce has two caches fetch a new key at once with a slow loader:
// one loads, the other waits for its value.
func stampedeOnce(ctx context.Context, c *redis.Client) error {
	key := "page:" + randomString()
	var caches [2]*stampede.Cache
	for i := range caches {
		sc, err := stampede.New(stampede.Options{Client: c})
		if err != nil {
			return err
		}
		defer sc.Close()
		caches[i] = sc
	}
	var (
		mu    sync.Mutex // guards calls and errs
		calls int
		errs  []error
		wg    sync.WaitGroup
	)
	for _, sc := range caches {
		wg.Go(func() {
			v, err := sc.Fetch(ctx, key, time.Minute, func(context.Context) ([]byte, error) {
				mu.Lock()
				calls++
				mu.Unlock()
				time.Sleep(200 * time.Millisecond)
				return []byte("v"), nil
			})
			if err == nil && string(v) != "v" {
				err = fmt.Errorf("Fetch = %q; want v", v)
			}
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		})
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if calls != 1 {
		return fmt.Errorf("the loader ran %d times; want 1", calls)
	}
	return nil
}

// TestSecurityACLFeatures runs each library feature as a user with the
// rules docs/security.md gives for it, which must work, and with one rule
// less, which must fail and say what was refused.
func TestSecurityACLFeatures(t *testing.T) {
	fs := features()
	var config []string
	for i, f := range fs {
		less := strings.Replace(" "+f.rules+" ", " "+f.cut+" ", " ", 1)
		if less == " "+f.rules+" " {
			t.Fatalf("%s: %q is not in %q", f.name, f.cut, f.rules)
		}
		config = append(config,
			fmt.Sprintf("user f%d on >pw resetchannels %s", i, f.rules),
			fmt.Sprintf("user f%dcut on >pw resetchannels %s", i, strings.TrimSpace(less)))
	}
	srv := redistest.NewServer(t, redistest.ServerOptions{Config: config})
	for i, f := range fs {
		t.Run(f.name, func(t *testing.T) {
			c := srv.Client(func(o *redis.Options) { o.Username, o.Password = fmt.Sprintf("f%d", i), "pw" })
			if err := f.run(t.Context(), c); err != nil {
				t.Errorf("with %q: %v; want success", f.rules, err)
			}
			c = srv.Client(func(o *redis.Options) { o.Username, o.Password = fmt.Sprintf("f%dcut", i), "pw" })
			if err := f.run(t.Context(), c); err == nil || !strings.Contains(err.Error(), f.want) {
				t.Errorf("without %s: %v; want an error mentioning %q", f.cut, err, f.want)
			}
		})
	}
}

// replicaRules is the least privilege of replica routing on a primary
// with replicas (docs/security.md), beyond the reads routed.
const replicaRules = "~* resetchannels +get +info +ping"

// TestSecurityACLReplica routes hot reads to a replica as a user with the
// least privilege replica routing needs; without PING the replicas are
// never found usable and reads stay on the primary, and without INFO the
// refresh fails and says so.
func TestSecurityACLReplica(t *testing.T) {
	rs := redistest.NewReplicated(t, 1, redistest.ServerOptions{Config: []string{
		"user app on >pw " + replicaRules,
		"user noping on >pw " + strings.Replace(replicaRules, " +ping", "", 1),
		"user noinfo on >pw " + strings.Replace(replicaRules, " +info", "", 1),
	}})
	ctx := context.Background()
	tests := []struct {
		user         string
		refreshErr   string // "" for none
		replicaReads bool
	}{
		{"app", "", true},
		{"noping", "", false},
		{"noinfo", "'info' command", false},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			c := rs.Primary().Client(func(o *redis.Options) { o.Username, o.Password = tt.user, "pw" })
			r, err := replica.New(c, replica.Options{Patterns: []string{"hot:*"}, RefreshInterval: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			err = r.Refresh(ctx)
			if (tt.refreshErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.refreshErr)) {
				t.Fatalf("Refresh: %v; want an error mentioning %q", err, tt.refreshErr)
			}
			for range 10 {
				if err := r.Get(ctx, "hot:1").Err(); err != nil && !errors.Is(err, redis.Nil) {
					t.Fatalf("GET hot:1: %v", err)
				}
			}
			if got := r.Stats().ReplicaReads > 0; got != tt.replicaReads {
				t.Errorf("reads served by a replica: %v; want %v (stats %+v)", got, tt.replicaReads, r.Stats())
			}
		})
	}
}
