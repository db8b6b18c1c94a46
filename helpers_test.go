package redhot

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/redhot/redhot/nearcache"
)

// TestMain checks that no test leaves a goroutine behind: the middleware's,
// the near cache's connections and the go-redis clients of the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// attach attaches a Middleware to c for the test and closes it when the
// test ends.
func attach(tb testing.TB, c redis.UniversalClient, opts Options) *Middleware {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{tb}, nil))
	}
	mw, err := New(c, opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { _ = mw.Close() })
	return mw
}

// testWriter sends log lines to the test's log.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// waitMode waits until the near cache reports mode.
func waitMode(tb testing.TB, mw *Middleware, mode nearcache.Mode) {
	tb.Helper()
	waitFor(tb, 10*time.Second, func() bool {
		st := mw.Stats().Cache
		return st.Mode == mode && len(st.Nodes) > 0
	}, "near cache mode "+mode.String())
}

// waitFor polls cond every millisecond until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, cond func() bool, what string) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// cached waits until a GET of key through c is answered by the near cache
// (a hit), and fails the test if it is not within a few seconds.
func cached(tb testing.TB, mw *Middleware, key string) {
	tb.Helper()
	ctx := context.Background()
	waitFor(tb, 5*time.Second, func() bool {
		before := mw.Stats().Cache.Hits
		_, err := mw.client.Get(ctx, key).Result()
		if err != nil && err != redis.Nil {
			tb.Fatalf("GET %s: %v", key, err)
		}
		return mw.Stats().Cache.Hits > before
	}, "GET "+key+" to hit the near cache")
}
