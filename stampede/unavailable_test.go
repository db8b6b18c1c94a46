package stampede

import (
	"errors"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestRedisDown kills the server: Fetch either answers from the loader or
// fails with ErrUnavailable, as configured.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fallback Fallback
		wantErr  bool
	}{
		{"return error", ReturnError, true},
		{"call loader", CallLoader, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			c := newCache(t, newClient(s), Options{OnUnavailable: tc.fallback})
			ctx := timeout(t, 10*time.Second)
			var calls atomic.Int64
			if _, err := c.Fetch(ctx, "k", time.Minute, value("v", &calls)); err != nil {
				t.Fatal(err)
			}
			if err := s.Kill(); err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				v, err := c.Fetch(ctx, "k", time.Minute, value("from loader", &calls))
				if tc.wantErr {
					if !errors.Is(err, ErrUnavailable) || !errors.Is(err, syscall.ECONNREFUSED) {
						t.Fatalf("Fetch #%d with Redis down = %q, %v; want ErrUnavailable wrapping the connection error", i, v, err)
					}
				} else if string(v) != "from loader" || err != nil {
					t.Fatalf("Fetch #%d with Redis down = %q, %v; want the loader's value", i, v, err)
				}
			}
			want := int64(1)
			if !tc.wantErr {
				want = 3
			}
			if st := c.Stats(); calls.Load() != want || st.RedisErrors < 2 {
				t.Errorf("%d loader calls, Stats %+v; want %d calls and the Redis errors counted", calls.Load(), st, want)
			}
		})
	}
}

// TestRedisDownWhileWaiting: Redis dies while a caller waits for another
// holder; the caller stops waiting at its next look instead of waiting out
// WaitTimeout.
func TestRedisDownWhileWaiting(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newCache(t, newClient(s), Options{OnUnavailable: CallLoader, PollInterval: 20 * time.Millisecond, WaitTimeout: time.Minute})
	ctx := timeout(t, 10*time.Second)
	if err := newClient(s).Set(ctx, namesFor("k").lease, "other", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 1)
	var calls atomic.Int64
	go func() {
		v, err := c.Fetch(ctx, "k", time.Minute, value("from loader", &calls))
		if err == nil && string(v) != "from loader" {
			err = errors.New("Fetch = " + string(v) + "; want from loader")
		}
		errs <- err
	}()
	eventually(t, 5*time.Second, "caller waiting", func() bool { return c.Stats().LeaseWaits == 1 })
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatalf("waiting Fetch when Redis dies: %v", err)
	}
}
