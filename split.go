package redhot

import (
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/split"
)

// writeHotShare is the least part of a hot key's rate that writes make for
// WriteHot to list it.
const writeHotShare = 0.5

// WriteHot returns the keys hot now whose traffic is at least half writes,
// hottest first. The near cache does little for them (each write drops
// the entry, and every instance's copy); spreading them does: a counter
// over a split.Counter (Counter), a set or hash over shards. The
// middleware never renames keys itself; switching a key to its split form
// is the service's change, since every reader and writer of the key must
// make it together.
func (m *Middleware) WriteHot() []heat.KeyStat {
	var out []heat.KeyStat
	for _, k := range m.tracker.Hot() {
		if k.Rate > 0 && k.WriteRate >= writeHotShare*k.Rate {
			out = append(out, k)
		}
	}
	return out
}

// Splitter returns the split.Splitter (configured by Options.Split) on the
// middleware's client, made on first use and closed by Close. Its objects'
// commands go through the client, so the middleware observes their shard
// keys like any others, and a write through them drops cached copies.
func (m *Middleware) Splitter() (*split.Splitter, error) {
	m.splitMu.Lock()
	defer m.splitMu.Unlock()
	if m.closed.Load() {
		return nil, ErrClosed
	}
	if m.splitter == nil {
		s, err := split.New(m.client, m.splitOpts)
		if err != nil {
			return nil, err
		}
		m.splitter = s
	}
	return m.splitter, nil
}

// Counter returns a sharded counter stored under key, for a write-hot
// counter (see WriteHot and split.Counter). It does no I/O.
func (m *Middleware) Counter(key string, opts split.CounterOptions) (*split.Counter, error) {
	s, err := m.Splitter()
	if err != nil {
		return nil, err
	}
	return s.Counter(key, opts)
}

// Value returns a replicated value stored under key, for a read-hot value
// that even the near cache and replicas cannot carry (see split.Value).
// It does no I/O.
func (m *Middleware) Value(key string, opts split.ValueOptions) (*split.Value, error) {
	s, err := m.Splitter()
	if err != nil {
		return nil, err
	}
	return s.Value(key, opts)
}

// Set returns a set stored under key, sharded by member (see split.Set).
// It does no I/O.
func (m *Middleware) Set(key string, opts split.ShardedOptions) (*split.Set, error) {
	s, err := m.Splitter()
	if err != nil {
		return nil, err
	}
	return s.Set(key, opts)
}

// Hash returns a hash stored under key, sharded by field (see
// split.Hash). It does no I/O.
func (m *Middleware) Hash(key string, opts split.ShardedOptions) (*split.Hash, error) {
	s, err := m.Splitter()
	if err != nil {
		return nil, err
	}
	return s.Hash(key, opts)
}
