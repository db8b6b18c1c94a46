package inspect_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/inspect"
	"github.com/redhot/redhot/internal/redistest"
)

// TestMonitorStream reads a running MONITOR sample: the hot key shows
// while it runs, with its read/write split, turns hot under the rules, and
// its rate decays once the traffic stops (the clock follows the local
// clock while the server is idle).
func TestMonitorStream(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	c := s.Client()
	stop := traffic(t, func(ctx context.Context) error {
		pipe := c.Pipeline()
		for range 10 {
			pipe.Get(ctx, "hot")
		}
		pipe.Set(ctx, "warm", "v", 0)
		pipe.Do(ctx, "select", 1)
		pipe.Get(ctx, "db1key")
		pipe.Do(ctx, "select", 0)
		_, err := pipe.Exec(ctx)
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		return err
	})
	tg := connect(t, urlOf(s))
	ms, err := inspect.StartMonitor(t.Context(), tg, inspect.MonitorStreamOptions{Duration: 20 * time.Second, Window: 500 * time.Millisecond})
	if err != nil {
		t.Fatalf("StartMonitor = %v", err)
	}
	defer ms.Close()

	var top []heat.KeyStat
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		top = ms.Top(5)
		if len(top) > 0 && top[0].Key == "hot" && top[0].Hot {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(top) == 0 || top[0].Key != "hot" || !top[0].Hot {
		t.Fatalf("Top(5) = %+v; want hot first, flagged hot, while sampling", top)
	}
	if top[0].WriteRate != 0 || top[0].ReadRate < 100 {
		t.Errorf("hot read/write = %v/%v; want reads only, at a tight loop's rate", top[0].ReadRate, top[0].WriteRate)
	}
	if i := slices.IndexFunc(top, func(k heat.KeyStat) bool { return k.Key == "warm" }); i < 0 || top[i].ReadRate != 0 || top[i].WriteRate <= 0 {
		t.Errorf("Top(5) = %+v; want warm with writes only", top)
	}
	if slices.ContainsFunc(top, func(k heat.KeyStat) bool { return k.Key == "db1key" }) {
		t.Errorf("Top(5) = %+v includes a key of db 1", top)
	}
	if tot := ms.Totals(); tot.Rate < top[0].Rate || tot.ReadRate <= 0 || tot.WriteRate <= 0 {
		t.Errorf("Totals() = %+v; want at least the hot key's rate, reads and writes", tot)
	}
	st := ms.Stats()
	if !st.Running || st.Sampled == 0 || st.Nodes != 1 || st.Duration != 20*time.Second {
		t.Errorf("Stats() = %+v; want running, commands sampled, 1 node, 20s bound", st)
	}

	// The traffic stops: the server's timestamps stop too, but the rates
	// must still decay.
	stop()
	before := ms.Top(1)[0].Rate
	time.Sleep(1500 * time.Millisecond)
	if after := ms.Top(1); len(after) > 0 && after[0].Rate > before/4 {
		t.Errorf("rate 1.5s after the traffic stopped = %v (was %v); want it decayed (window 0.5s)", after[0].Rate, before)
	}
}

// TestMonitorStreamBounded: sampling stops at Duration and at MaxCommands,
// and the last figures stay readable.
func TestMonitorStreamBounded(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	c := s.Client()
	// The key exists before the first sample, whenever the traffic
	// goroutine gets to run.
	if err := c.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	traffic(t, func(ctx context.Context) error { return c.Incr(ctx, "counter").Err() })
	tg := connect(t, urlOf(s))
	tests := []struct {
		name string
		opts inspect.MonitorStreamOptions
	}{
		{"duration", inspect.MonitorStreamOptions{Duration: 700 * time.Millisecond}},
		{"max commands", inspect.MonitorStreamOptions{Duration: time.Minute, MaxCommands: 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			ms, err := inspect.StartMonitor(t.Context(), tg, tt.opts)
			if err != nil {
				t.Fatalf("StartMonitor = %v", err)
			}
			defer ms.Close()
			select {
			case <-ms.Done():
			case <-time.After(15 * time.Second):
				t.Fatalf("sampling still running after 15s")
			}
			st := ms.Stats()
			if st.Running || st.Sampled == 0 {
				t.Errorf("Stats() = %+v; want stopped with commands sampled", st)
			}
			if tt.opts.MaxCommands > 0 && st.Sampled < tt.opts.MaxCommands {
				t.Errorf("Sampled = %d; want at least %d", st.Sampled, tt.opts.MaxCommands)
			}
			if time.Since(start) > 10*time.Second {
				t.Errorf("stopped after %v", time.Since(start))
			}
			if top := ms.Top(1); len(top) != 1 || top[0].Key != "counter" || top[0].WriteRate <= 0 {
				t.Errorf("Top(1) after the end = %+v; want counter, written", top)
			}
		})
	}
}

// TestMonitorStreamErrors: a user without MONITOR, and a server that goes
// away, give one clear error or warning, never a hang.
func TestMonitorStreamErrors(t *testing.T) {
	t.Parallel()
	acl := redistest.NewServer(t, redistest.ServerOptions{Config: []string{"user limited on >pw ~* +@read +@connection +info -monitor"}})
	tg := connect(t, "redis://limited@"+acl.Addr(), func(o *inspect.ConnOptions) { o.Password = "pw" })
	if _, err := inspect.StartMonitor(t.Context(), tg, inspect.MonitorStreamOptions{Duration: 5 * time.Second}); !errors.Is(err, inspect.ErrNoPerm) {
		t.Errorf("StartMonitor as a user without MONITOR = %v; want ErrNoPerm", err)
	}

	s := redistest.NewServer(t, redistest.ServerOptions{})
	tg2 := connect(t, urlOf(s))
	ms, err := inspect.StartMonitor(t.Context(), tg2, inspect.MonitorStreamOptions{Duration: time.Minute})
	if err != nil {
		t.Fatalf("StartMonitor = %v", err)
	}
	defer ms.Close()
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ms.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the stream did not stop after its server died")
	}
	if st := ms.Stats(); len(st.Warnings) == 0 {
		t.Errorf("Stats().Warnings empty after the server died; want the node named")
	}
}

func TestMonitorStreamBadOptions(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	tg := connect(t, urlOf(s))
	for _, o := range []inspect.MonitorStreamOptions{
		{Duration: -time.Second},
		{Window: -time.Second},
		{Rules: heat.Rules{MinShare: 2}},
	} {
		if _, err := inspect.StartMonitor(t.Context(), tg, o); !errors.Is(err, inspect.ErrBadOptions) {
			t.Errorf("StartMonitor(%+v) = %v; want ErrBadOptions", o, err)
		}
	}
}

// TestLoadMeter: rates appear from the second sample on, on the node that
// takes the traffic.
func TestLoadMeter(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	c := s.Client()
	// The key exists before the first sample, whenever the traffic
	// goroutine gets to run.
	if err := c.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	traffic(t, func(ctx context.Context) error {
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			return err
		}
		return c.Get(ctx, "k").Err()
	})
	tg := connect(t, urlOf(s))
	m := inspect.NewLoadMeter(t.Context(), tg)
	first, err := m.Sample(t.Context())
	if err != nil {
		t.Fatalf("Sample = %v", err)
	}
	if len(first.Nodes) != 1 || first.IntervalSeconds != 0 || first.Nodes[0].OpsPerSec != 0 || first.Nodes[0].Keys < 1 {
		t.Errorf("first Sample = %+v; want one node with its keys and no rates yet", first)
	}
	time.Sleep(300 * time.Millisecond)
	second, err := m.Sample(t.Context())
	if err != nil {
		t.Fatalf("Sample = %v", err)
	}
	n := second.Nodes[0]
	if second.IntervalSeconds < 0.2 || n.OpsPerSec <= 0 || n.ReadsPerSec <= 0 || n.WritesPerSec <= 0 || n.Node != s.Addr() {
		t.Errorf("second Sample = %+v (%+v); want reads and writes per second over ~0.3s", second, n)
	}

	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Sample(t.Context()); !errors.Is(err, inspect.ErrUnreachable) {
		t.Errorf("Sample of a dead server = %v; want ErrUnreachable", err)
	}
}

// TestNewClient: the client reaches the same deployment with the same
// credentials, standalone and cluster.
func TestNewClient(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := redistest.NewServer(t, redistest.ServerOptions{Password: "pw"})
	tg := connect(t, "redis://"+s.Addr()+"/2", func(o *inspect.ConnOptions) { o.Password = "pw" })
	c := tg.NewClient()
	defer c.Close()
	if err := c.Set(ctx, "via-client", "1", 0).Err(); err != nil {
		t.Fatalf("SET through NewClient: %v", err)
	}
	if _, ok := c.(*redis.Client); !ok {
		t.Errorf("NewClient on a standalone server = %T; want *redis.Client", c)
	}
	if got := s.Client(func(o *redis.Options) { o.DB = 2 }).Get(ctx, "via-client").Val(); got != "1" {
		t.Errorf("GET via-client in db 2 = %q; want the client to use the URL's db", got)
	}

	cl := redistest.NewCluster(t, redistest.ClusterOptions{})
	tc := connect(t, "redis://"+cl.Addrs()[0])
	cc := tc.NewClient()
	defer cc.Close()
	if _, ok := cc.(*redis.ClusterClient); !ok {
		t.Fatalf("NewClient on a cluster = %T; want *redis.ClusterClient", cc)
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		if err := cc.Set(ctx, k, "v", 0).Err(); err != nil {
			t.Errorf("SET %s through the cluster client: %v", k, err)
		}
	}
}
