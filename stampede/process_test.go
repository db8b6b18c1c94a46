package stampede

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// holderEnv, when set in the environment of this test binary, makes
// TestHolderProcess act as a lease holder on the Redis at that address.
const holderEnv = "STAMPEDE_TEST_HOLDER_ADDR"

// holderLeaseTTL is the lease TTL of the holder process.
const holderLeaseTTL = 300 * time.Millisecond

// TestHolderProcess is not a test: it is the other process of
// TestHolderKilled. It takes the lease of "k", says "loading" on stdout
// and loads forever, extending the lease, until it is killed.
func TestHolderProcess(t *testing.T) {
	addr := os.Getenv(holderEnv)
	if addr == "" {
		t.Skip("helper process of TestHolderKilled")
	}
	client := redis.NewClient(&redis.Options{Addr: addr})
	c := Must(Options{Client: client, LeaseTTL: holderLeaseTTL})
	_, _ = c.Fetch(context.Background(), "k", time.Minute, func(ctx context.Context) ([]byte, error) {
		fmt.Println("loading")
		<-ctx.Done()
		return nil, ctx.Err()
	})
}

// TestHolderKilled starts a second process that takes the lease and is
// killed with SIGKILL mid-computation. While it lives, its lease holds (it
// extends it) and this process waits; once it is dead, this process takes
// over when the lease expires.
func TestHolderKilled(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	admin := newClient(s)
	ctx := timeout(t, 20*time.Second)

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHolderProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), holderEnv+"="+s.Addr())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && !strings.Contains(lines.Text(), "loading") {
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	go func() { // drain the rest
		for lines.Scan() {
		}
	}()
	lease := namesFor("k").lease
	if admin.Exists(ctx, lease).Val() != 1 {
		t.Fatalf("the holder process holds no lease")
	}

	c := newCache(t, newClient(s), Options{LeaseTTL: holderLeaseTTL, PollInterval: 20 * time.Millisecond, WaitTimeout: 10 * time.Second})
	var calls atomic.Int64
	type result struct {
		v   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := c.Fetch(ctx, "k", time.Minute, value("taken over", &calls))
		done <- result{v, err}
	}()
	eventually(t, 5*time.Second, "waiting for the holder", func() bool { return c.Stats().LeaseWaits == 1 })

	// Three lease TTLs later the live holder still has the lease.
	time.Sleep(3 * holderLeaseTTL)
	if calls.Load() != 0 || admin.Exists(ctx, lease).Val() != 1 {
		t.Fatalf("lease lost while its holder lived (loader calls here: %d)", calls.Load())
	}

	killed := time.Now()
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup at all
		t.Fatal(err)
	}
	_ = cmd.Wait()
	r := <-done
	if string(r.v) != "taken over" || r.err != nil {
		t.Fatalf("Fetch after the holder died = %q, %v; want the value of this process's loader", r.v, r.err)
	}
	took := time.Since(killed)
	st := c.Stats()
	if calls.Load() != 1 || st.LeaseAcquisitions != 1 || st.LeaseTimeouts != 0 {
		t.Errorf("%d loader calls, Stats %+v; want 1 call after taking the lease over, no timeout", calls.Load(), st)
	}
	t.Logf("took over %v after the kill (lease TTL %v)", took, holderLeaseTTL)
}
