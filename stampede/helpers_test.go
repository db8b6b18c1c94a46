package stampede

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/redhot/redhot/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Unix(1_700_000_000, 0)

// fakeClock is a Clock that moves only when told.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(epoch.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *fakeClock) Set(t time.Time)     { c.ns.Store(t.UnixNano()) }

// fixedRand returns a Rand that always draws r.
func fixedRand(r float64) func() float64 { return func() float64 { return r } }

// newServer starts a redis-server for t.
func newServer(t testing.TB) *redistest.Server {
	t.Helper()
	return redistest.NewServer(t, redistest.ServerOptions{})
}

// newClient returns a new client (its own connections) of s; the server
// closes it.
func newClient(s *redistest.Server) *redis.Client {
	return s.Client(func(o *redis.Options) {
		o.MaxRetries = -1 // fail fast when a test kills the server
	})
}

// newCache returns a Cache on client configured by o, closed when t ends
// (before the server, whose cleanup was registered earlier).
func newCache(t testing.TB, client redis.UniversalClient, o Options) *Cache {
	t.Helper()
	o.Client = client
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// timeout returns a context for t that ends after d.
func timeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// eventually calls cond every few milliseconds until it returns true, and
// fails t if it does not within d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// value returns a loader that returns v and counts its calls in n.
func value(v string, n *atomic.Int64) Loader {
	return func(context.Context) ([]byte, error) {
		n.Add(1)
		return []byte(v), nil
	}
}

// numSub returns how many clients of s are subscribed to channel.
func numSub(t *testing.T, c *redis.Client, channel string) int64 {
	t.Helper()
	m, err := c.PubSubNumSub(t.Context(), channel).Result()
	if err != nil {
		t.Fatalf("PUBSUB NUMSUB %s: %v", channel, err)
	}
	return m[channel]
}
