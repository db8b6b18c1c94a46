package inspect_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redhot/redhot/inspect"
	"github.com/redhot/redhot/internal/redistest"
)

func TestConnectFaults(t *testing.T) {
	t.Parallel()
	t.Run("unreachable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		start := time.Now()
		_, err = inspect.Connect(t.Context(), inspect.ConnOptions{URL: "redis://" + addr})
		if !errors.Is(err, inspect.ErrUnreachable) {
			t.Fatalf("Connect to a closed port = %v; want ErrUnreachable", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Connect to a closed port took %v; want a prompt failure", d)
		}
	})
	t.Run("paused", func(t *testing.T) {
		s := redistest.NewServer(t, redistest.ServerOptions{})
		if err := s.Pause(); err != nil {
			t.Fatal(err)
		}
		defer s.Resume()
		_, err := inspect.Connect(t.Context(), inspect.ConnOptions{URL: urlOf(s), Timeout: 300 * time.Millisecond})
		if !errors.Is(err, inspect.ErrUnreachable) {
			t.Fatalf("Connect to a paused server = %v; want ErrUnreachable", err)
		}
	})
	t.Run("bad url", func(t *testing.T) {
		_, err := inspect.Connect(t.Context(), inspect.ConnOptions{URL: "redis://u:s3cret@host:99999"})
		if !errors.Is(err, inspect.ErrBadOptions) || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("Connect with a bad port = %v; want ErrBadOptions without the password", err)
		}
		_, err = inspect.Connect(t.Context(), inspect.ConnOptions{URL: "redis://127.0.0.1:1", TLSCA: "ca.pem"})
		if !errors.Is(err, inspect.ErrBadOptions) {
			t.Fatalf("Connect with TLS options and redis:// = %v; want ErrBadOptions", err)
		}
	})
}

func TestAuth(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{Password: "s3cret"})
	for _, tt := range []struct{ name, url, password string }{
		{"no password", urlOf(s), ""},
		{"wrong password", urlOf(s), "wrong-pw"},
		{"wrong password in URL", "redis://:wrong-pw@" + s.Addr(), ""},
		{"wrong user", "redis://nobody@" + s.Addr(), "s3cret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := inspect.Connect(t.Context(), inspect.ConnOptions{URL: tt.url, Password: tt.password})
			if !errors.Is(err, inspect.ErrAuth) {
				t.Fatalf("Connect = %v; want ErrAuth", err)
			}
			if strings.Contains(err.Error(), "wrong-pw") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q shows a password", err)
			}
		})
	}
	t.Run("right password", func(t *testing.T) {
		tg := connect(t, urlOf(s), func(o *inspect.ConnOptions) { o.Password = "s3cret" })
		rep, err := inspect.Monitor(t.Context(), tg, inspect.MonitorOptions{Duration: 200 * time.Millisecond})
		if err != nil {
			t.Fatalf("Monitor with a password = %v", err)
		}
		if strings.Contains(tg.URL(), "s3cret") {
			t.Errorf("URL() = %q shows the password", tg.URL())
		}
		roundTrip(t, rep, "monitor")
	})
}

func TestACL(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{Config: []string{lfu,
		"user limited on >pw ~* &* +@read +@connection +info +psubscribe -config -monitor -slowlog"}})
	fill(t, s.Client(), "k:", 20)
	tg := connect(t, "redis://limited@"+s.Addr(), func(o *inspect.ConnOptions) { o.Password = "pw" })

	_, err := inspect.Monitor(t.Context(), tg, inspect.MonitorOptions{Duration: time.Second})
	if !errors.Is(err, inspect.ErrNoPerm) || !strings.Contains(err.Error(), "MONITOR") {
		t.Errorf("Monitor as a user without +monitor = %v; want ErrNoPerm naming MONITOR", err)
	}
	_, err = inspect.Slowlog(t.Context(), tg, inspect.SlowlogOptions{})
	if !errors.Is(err, inspect.ErrNoPerm) {
		t.Errorf("Slowlog as a user without +slowlog = %v; want ErrNoPerm", err)
	}
	_, err = inspect.Notify(t.Context(), tg, inspect.NotifyOptions{Duration: time.Second, AllowConfigChange: true})
	if !errors.Is(err, inspect.ErrNoPerm) {
		t.Errorf("Notify --allow-config-change without +config = %v; want ErrNoPerm", err)
	}
	rep, err := inspect.Hotkeys(t.Context(), tg, inspect.HotkeysOptions{})
	if err != nil {
		t.Fatalf("Hotkeys without CONFIG = %v; want it to work with assumed settings", err)
	}
	if !rep.LFU[0].Assumed || len(rep.Warnings) == 0 || rep.Scanned != 20 {
		t.Errorf("Hotkeys without CONFIG: settings %+v, warnings %q, scanned %d; want assumed settings, a warning, 20 keys", rep.LFU[0], rep.Warnings, rep.Scanned)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{TLS: redistest.TLSServer, Config: []string{lfu}})
	fill(t, s.Client(), "k:", 10)
	url := "rediss://" + s.Addr()
	tg := connect(t, url, func(o *inspect.ConnOptions) { o.TLSCA = s.TLSFiles().CACert })
	rep, err := inspect.Hotkeys(t.Context(), tg, inspect.HotkeysOptions{})
	if err != nil || rep.Scanned != 10 {
		t.Fatalf("Hotkeys over TLS = %v, %v; want 10 keys scanned", rep, err)
	}
	if _, err := inspect.Monitor(t.Context(), tg, inspect.MonitorOptions{Duration: 200 * time.Millisecond}); err != nil {
		t.Errorf("Monitor over TLS = %v", err)
	}
	_, err = inspect.Connect(t.Context(), inspect.ConnOptions{URL: url})
	if !errors.Is(err, inspect.ErrTLS) {
		t.Errorf("Connect without the CA = %v; want ErrTLS", err)
	}
	tg = connect(t, url, func(o *inspect.ConnOptions) { o.TLSInsecure = true })
	if _, err := inspect.Slowlog(t.Context(), tg, inspect.SlowlogOptions{}); err != nil {
		t.Errorf("Slowlog with TLSInsecure = %v", err)
	}
}

// TestKeyspaceChanging deletes and retypes keys while a throttled scan
// runs: the scan must finish with a warning, not fail.
func TestKeyspaceChanging(t *testing.T) {
	t.Parallel()
	s := redistest.NewServer(t, redistest.ServerOptions{})
	c := s.Client()
	fill(t, c, "k:", 2000)
	traffic(t, func(ctx context.Context) error {
		pipe := c.Pipeline()
		for i := range 2000 {
			k := "k:" + itoa(i)
			pipe.Del(ctx, k)
			pipe.RPush(ctx, k, "x")
		}
		pipe.Del(ctx, "k:0", "k:1", "k:2")
		_, err := pipe.Exec(ctx)
		if err != nil {
			return err
		}
		pipe = c.Pipeline()
		for i := range 2000 {
			k := "k:" + itoa(i)
			pipe.Del(ctx, k)
			pipe.Set(ctx, k, "v", 0)
		}
		_, err = pipe.Exec(ctx)
		return err
	})
	rep, err := inspect.Bigkeys(t.Context(), connect(t, urlOf(s)), inspect.BigkeysOptions{
		Scan: inspect.ScanOptions{Count: 50, MaxOpsPerSec: 4000},
	})
	if err != nil {
		t.Fatalf("Bigkeys while the keyspace changes = %v", err)
	}
	if rep.Scanned == 0 || len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "keyspace changed") {
		t.Errorf("Bigkeys scanned %d with warnings %q; want keys and a warning that the keyspace changed", rep.Scanned, rep.Warnings)
	}
}
