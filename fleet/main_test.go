package fleet_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
)

// TestMain checks that no test leaves a goroutine behind: the members'
// publishing and reading goroutines and the go-redis clients.
func TestMain(m *testing.M) {
	redis.SetLogger(quietLogger{})
	goleak.VerifyTestMain(m)
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// source is a fleet.Source whose keys and totals the test sets.
type source struct {
	mu     sync.Mutex
	keys   []heat.KeyStat
	totals heat.Totals
}

func newSource(total float64, keys ...heat.KeyStat) *source {
	s := &source{}
	s.set(total, keys...)
	return s
}

func (s *source) set(total float64, keys ...heat.KeyStat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys, s.totals = keys, heat.Totals{Rate: total, ReadRate: total}
}

func (s *source) Top(k int) []heat.KeyStat {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]heat.KeyStat(nil), s.keys[:min(k, len(s.keys))]...)
}

func (s *source) Totals() heat.Totals {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totals
}

func ks(key string, rate float64) heat.KeyStat {
	return heat.KeyStat{Key: key, Rate: rate, ReadRate: rate}
}

// join joins a member and closes it when the test ends.
func join(t *testing.T, c redis.UniversalClient, src fleet.Source, opts fleet.Options) *fleet.Member {
	t.Helper()
	m, err := fleet.Join(t.Context(), c, src, opts)
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func publish(t *testing.T, ms ...*fleet.Member) {
	t.Helper()
	for _, m := range ms {
		if err := m.Publish(t.Context()); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
}

func syncAll(t *testing.T, ms ...*fleet.Member) {
	t.Helper()
	for _, m := range ms {
		if err := m.Sync(t.Context()); err != nil {
			t.Fatalf("Sync: %v", err)
		}
	}
}

// waitFor polls cond, for members whose goroutines run on the real clock,
// and fails the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ids(infos []fleet.InstanceInfo) []string {
	var out []string
	for _, in := range infos {
		out = append(out, in.ID)
	}
	return out
}
