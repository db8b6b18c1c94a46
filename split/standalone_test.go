package split

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/internal/redistest"
)

// TestStandalone checks plain suffixes and every object on one server.
func TestStandalone(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	rdb := srv.Client()
	s, err := New(rdb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Cluster() {
		t.Fatal("Cluster() = true on a standalone server")
	}

	ctr, err := s.Counter("user:{42}:views", CounterOptions{Shards: 4})
	if err != nil {
		t.Fatalf("a key with a hash tag on a standalone server: %v", err)
	}
	for range 100 {
		if err := ctr.Incr(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := ctr.Total(ctx); n != 100 || err != nil {
		t.Errorf("Total = %d, %v; want 100", n, err)
	}
	keys, _ := rdb.Keys(ctx, "user:*").Result()
	for _, k := range keys {
		if !strings.HasPrefix(k, "user:{42}:views#") || strings.HasSuffix(k, "}") {
			t.Errorf("shard key %q; want a plain suffix like user:{42}:views#0/4", k)
		}
	}

	val, _ := s.Value("flag", ValueOptions{Copies: 3})
	if err := val.Set(ctx, "on", 0); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"flag#0/3", "flag#1/3", "flag#2/3"} {
		if d := rdb.HGet(ctx, k, "d").Val(); d != "on" {
			t.Errorf("copy %s = %q; want on", k, d)
		}
	}
	if got, err := val.Get(ctx); got != "on" || err != nil {
		t.Errorf("Get = %q, %v; want on", got, err)
	}
	h, _ := s.Hash("h", ShardedOptions{Shards: 2})
	if _, err := h.HSet(ctx, "a", "1", "b", "2"); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.HLen(ctx); n != 2 {
		t.Errorf("HLen = %d; want 2", n)
	}

	// A missing value: the first Get reads every copy, the next ones within
	// 100ms trust that.
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clocked, _ := New(rdb, Options{Now: func() time.Time { return time.Unix(0, now.Load()) }})
	defer clocked.Close()
	absent, _ := clocked.Value("absent", ValueOptions{Copies: 6, VerifyEvery: -1})
	hmgets := func(get func()) int64 {
		before := hmgetCalls(t, rdb)
		get()
		return hmgetCalls(t, rdb) - before
	}
	get := func() {
		if _, err := absent.Get(ctx); !errors.Is(err, redis.Nil) {
			t.Fatalf("Get of an absent value = %v; want redis.Nil", err)
		}
	}
	if n := hmgets(get); n != 7 {
		t.Errorf("first Get of an absent value: %d HMGETs; want 1 + 6", n)
	}
	if n := hmgets(get); n != 1 {
		t.Errorf("second Get within 100ms: %d HMGETs; want 1", n)
	}
	now.Add(int64(200 * time.Millisecond))
	if n := hmgets(get); n != 7 {
		t.Errorf("Get after 200ms: %d HMGETs; want 7", n)
	}

	_ = s.Close()
	if err := ctr.Incr(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Incr after Close = %v; want ErrClosed", err)
	}
	if _, err := s.Counter("x", CounterOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Counter after Close = %v; want ErrClosed", err)
	}
}

// TestAtMostOnce loses the reply to an increment (the server is paused past
// the client's read timeout, then resumed, so it does apply the command)
// and checks that go-redis did not send it again: the shard holds 1. The
// same through a plain INCRBY, which go-redis resends after a read
// timeout, counts several.
func TestAtMostOnce(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.NewServer(t, redistest.ServerOptions{})
	rdb := srv.Client(func(o *redis.Options) {
		o.ReadTimeout = 150 * time.Millisecond
		o.MaxRetries = 3
		o.MinRetryBackoff, o.MaxRetryBackoff = time.Millisecond, time.Millisecond
		o.PoolSize = 8
	})
	s, err := New(rdb, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctr, _ := s.Counter("once", CounterOptions{Shards: 1})
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}

	// warm opens connections, so that retries find one ready and send the
	// command again rather than stall on a new connection's handshake.
	warm := func() {
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() { _ = rdb.Do(ctx, "eval", "local i = 0 while i < 300000 do i = i + 1 end return i", 0).Err() })
		}
		wg.Wait()
	}
	lose := func(incr func() error) error {
		warm()
		if err := srv.Pause(); err != nil {
			t.Fatal(err)
		}
		err := incr()
		if err := srv.Resume(); err != nil {
			t.Fatal(err)
		}
		return err
	}
	err = lose(func() error { return ctr.Incr(ctx) })
	if !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("Incr with its reply lost = %v; want ErrUnknownOutcome", err)
	}
	plainErr := lose(func() error { return rdb.IncrBy(ctx, "plain", 1).Err() })
	if plainErr == nil {
		t.Fatal("plain INCRBY with its reply lost succeeded")
	}
	var n, plain int
	for range 50 { // the resumed server works through its backlog
		time.Sleep(20 * time.Millisecond)
		n, _ = rdb.Get(ctx, ctr.Keys()[0]).Int()
		plain, _ = rdb.Get(ctx, "plain").Int()
		if n > 0 && plain > 1 {
			break
		}
	}
	if n != 1 {
		t.Errorf("shard = %d after one Incr whose reply was lost; want 1 (applied once, never resent)", n)
	}
	t.Logf("one Incr: shard %d; one plain INCRBY: %d", n, plain)
	if plain < 2 {
		t.Errorf("plain INCRBY applied %d times; want several, or this test shows nothing", plain)
	}
}

// TestWaitReplicas checks WAIT on a primary with two replicas: writes that
// reach both succeed; asking for three fails with ErrNotReplicated, yet the
// write was applied.
func TestWaitReplicas(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	r := redistest.NewReplicated(t, 2, redistest.ServerOptions{})
	rdb := r.Primary().Client()
	s, err := New(rdb, Options{WaitReplicas: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctr, _ := s.Counter("durable", CounterOptions{Shards: 3, TTL: time.Minute})
	for range 20 {
		if err := ctr.Incr(ctx); err != nil {
			t.Fatalf("Incr with WaitReplicas 2: %v", err)
		}
	}
	val, _ := s.Value("durable:v", ValueOptions{Copies: 3})
	if err := val.Set(ctx, "x", 0); err != nil {
		t.Fatalf("Set with WaitReplicas 2: %v", err)
	}
	replica := r.Replicas()[0].Client()
	for _, k := range ctr.Keys() {
		if a, b := rdb.Get(ctx, k).Val(), replica.Get(ctx, k).Val(); a != b {
			t.Errorf("%s: primary %q, replica %q; want the replica to have every acknowledged write", k, a, b)
		}
	}

	greedy, _ := New(rdb, Options{WaitReplicas: 3, WaitTimeout: 50 * time.Millisecond})
	defer greedy.Close()
	gctr, _ := greedy.Counter("durable", CounterOptions{Shards: 3, TTL: time.Minute})
	if err := gctr.Incr(ctx); !errors.Is(err, ErrNotReplicated) || errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("Incr waiting for 3 of 2 replicas = %v; want ErrNotReplicated", err)
	}
	if n, _ := ctr.Total(ctx); n != 21 {
		t.Errorf("Total = %d; want 21: the unreplicated increment was applied", n)
	}
}

// hmgetCalls returns how many HMGETs the server has run.
func hmgetCalls(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	text, err := rdb.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_hmget:calls="); ok {
			n, _ := strconv.ParseInt(strings.SplitN(rest, ",", 2)[0], 10, 64)
			return n
		}
	}
	return 0
}
