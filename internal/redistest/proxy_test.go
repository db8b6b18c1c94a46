package redistest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
)

// proxied returns a server, a proxy in front of it, a client through the
// proxy with short timeouts and no retries, and a direct client.
func proxied(t *testing.T) (*redistest.Server, *redistest.Proxy, *redis.Client, *redis.Client) {
	t.Helper()
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	p := redistest.NewProxy(t, srv.Addr())
	via := srv.Client(func(o *redis.Options) {
		o.Addr = p.Addr()
		o.DialTimeout = 300 * time.Millisecond
		o.ReadTimeout = 300 * time.Millisecond
		o.WriteTimeout = 300 * time.Millisecond
		o.MaxRetries = -1
		o.PoolSize = 2
	})
	return srv, p, via, srv.Client()
}

// roundTrip returns how long one PING through c takes, the fastest of n.
func roundTrip(t *testing.T, c *redis.Client, n int) time.Duration {
	t.Helper()
	best := time.Hour
	for range n {
		start := time.Now()
		if err := c.Ping(t.Context()).Err(); err != nil {
			t.Fatalf("PING through the proxy: %v", err)
		}
		best = min(best, time.Since(start))
	}
	return best
}

func TestProxyForwards(t *testing.T) {
	t.Parallel()
	_, p, via, direct := proxied(t)
	ctx := t.Context()
	big := strings.Repeat("x", 1<<20) // several chunks each way
	if err := via.Set(ctx, "k", big, 0).Err(); err != nil {
		t.Fatalf("SET through the proxy: %v", err)
	}
	if got, err := direct.Get(ctx, "k").Result(); err != nil || got != big {
		t.Fatalf("GET k directly = %d bytes, %v; want %d bytes", len(got), err, len(big))
	}
	if got, err := via.Get(ctx, "k").Result(); err != nil || got != big {
		t.Fatalf("GET k through the proxy = %d bytes, %v; want %d bytes", len(got), err, len(big))
	}
	if p.Accepted() == 0 || p.Open() == 0 {
		t.Errorf("Accepted() = %d, Open() = %d; want both > 0", p.Accepted(), p.Open())
	}
}

func TestProxyLatency(t *testing.T) {
	t.Parallel()
	_, p, via, _ := proxied(t)
	base := roundTrip(t, via, 5)
	const d = 30 * time.Millisecond
	p.SetLatency(d)
	if rt := roundTrip(t, via, 3); rt < 2*d {
		t.Errorf("PING with %v each way took %v; want at least %v", d, rt, 2*d)
	}
	p.SetLatency(d, redistest.ServerToClient)
	p.SetLatency(0, redistest.ClientToServer)
	// Delayed both ways, no round trip could take under 2d.
	if rt := roundTrip(t, via, 5); rt < d || rt >= 2*d {
		t.Errorf("PING with %v one way took %v; want between %v and %v", d, rt, d, 2*d)
	}
	p.Heal()
	if rt := roundTrip(t, via, 5); rt >= d {
		t.Errorf("PING after Heal took %v; want under %v (base %v)", rt, d, base)
	}
}

func TestProxyPartition(t *testing.T) {
	t.Parallel()
	_, p, via, direct := proxied(t)
	ctx := t.Context()
	if err := via.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}

	// Requests cut: the server does not hear the SET while the partition
	// lasts, and hears it once it heals, as TCP would retransmit it.
	p.Partition(redistest.ClientToServer)
	if err := via.Set(ctx, "a", "1", 0).Err(); err == nil {
		t.Fatal("SET with requests cut succeeded")
	}
	if n, err := direct.Exists(ctx, "a").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS a = %d, %v during the partition; want 0", n, err)
	}
	p.Heal()
	waitExists(t, direct, "a")

	// Replies cut: the server applies the SET, the client times out.
	// The PING leaves a connection in the pool, so that the SET is not
	// stuck behind a new connection's handshake.
	if err := via.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Heal: %v", err)
	}
	p.Partition(redistest.ServerToClient)
	if err := via.Set(ctx, "b", "1", 0).Err(); err == nil {
		t.Fatal("SET with replies cut succeeded")
	}
	if got, err := direct.Get(ctx, "b").Result(); err != nil || got != "1" {
		t.Errorf("GET b = %q, %v; want \"1\": the request should have reached the server", got, err)
	}
	p.Heal()
	if err := via.Ping(ctx).Err(); err != nil {
		t.Errorf("PING after Heal: %v", err)
	}
}

func TestProxyHalfOpen(t *testing.T) {
	t.Parallel()
	_, p, via, direct := proxied(t)
	ctx := t.Context()
	if err := via.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	p.HalfOpen()
	start := time.Now()
	if err := via.Set(ctx, "held", "1", 0).Err(); err == nil {
		t.Fatal("SET on a silent connection succeeded")
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("SET on a silent connection failed after %v; want the read timeout", d)
	}
	// A new connection is accepted and just as silent.
	conn, err := net.DialTimeout("tcp", p.Addr(), time.Second)
	if err != nil {
		t.Fatalf("dial a half-open proxy: %v", err)
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("PING\r\n"))
	_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if n, err := conn.Read(make([]byte, 16)); !errors.Is(err, syscall.ETIMEDOUT) && !isTimeout(err) {
		t.Errorf("read on a new half-open connection = %d, %v; want a timeout", n, err)
	}
	if n, err := direct.Exists(ctx, "held").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS held = %d, %v during the fault; want 0", n, err)
	}
	// Heal delivers what was held back, like late packets.
	p.Heal()
	waitExists(t, direct, "held")
	if err := via.Ping(ctx).Err(); err != nil {
		t.Errorf("PING after Heal: %v", err)
	}
}

// waitExists waits until key exists, read through c.
func waitExists(t *testing.T, c *redis.Client, key string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := c.Exists(t.Context(), key).Result()
		if err == nil && n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("EXISTS %s = %d, %v 5s after Heal; want the held write delivered", key, n, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestProxyDropAndReset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inject func(*redistest.Proxy)
		want   func(error) bool
	}{
		{"drop", (*redistest.Proxy).Drop, func(err error) bool {
			return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
		}},
		{"reset", (*redistest.Proxy).Reset, func(err error) bool {
			return errors.Is(err, syscall.ECONNRESET)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, p, _, _ := proxied(t)
			conn, err := net.Dial("tcp", p.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte("PING\r\n")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 16)
			if n, err := conn.Read(buf); err != nil || string(buf[:n]) != "+PONG\r\n" {
				t.Fatalf("PING through the proxy = %q, %v", buf[:n], err)
			}
			tt.inject(p)
			_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, err = conn.Read(buf)
			if !tt.want(err) {
				t.Errorf("read on an open connection after %s: %v", tt.name, err)
			}
			// New connections get the same treatment until Heal.
			// On loopback the reset can even reach the dial.
			conn2, err := net.Dial("tcp", p.Addr())
			if err == nil {
				defer conn2.Close()
				_ = conn2.SetReadDeadline(time.Now().Add(2 * time.Second))
				_, err = conn2.Read(buf)
			}
			if !tt.want(err) {
				t.Errorf("read on a new connection after %s: %v", tt.name, err)
			}
			p.Heal()
			conn3, err := net.Dial("tcp", p.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer conn3.Close()
			_, _ = conn3.Write([]byte("PING\r\n"))
			_ = conn3.SetReadDeadline(time.Now().Add(2 * time.Second))
			if n, err := conn3.Read(buf); err != nil || string(buf[:n]) != "+PONG\r\n" {
				t.Errorf("PING after Heal = %q, %v", buf[:n], err)
			}
		})
	}
}

func TestProxyServerDown(t *testing.T) {
	t.Parallel()
	srv, p, via, _ := proxied(t)
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	err := via.Ping(t.Context()).Err()
	if err == nil {
		t.Fatal("PING through a proxy to a killed server succeeded")
	}
	if err := srv.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := via.Ping(t.Context()).Err(); err != nil {
		t.Errorf("PING after the restart: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := via.Ping(t.Context()).Err(); err == nil {
		t.Error("PING through a closed proxy succeeded")
	}
}

func TestStartProxyBadTarget(t *testing.T) {
	t.Parallel()
	if _, err := redistest.StartProxy("no-port"); err == nil || !strings.Contains(err.Error(), "no-port") {
		t.Errorf("StartProxy(\"no-port\") = %v; want an error naming the target", err)
	}
}
