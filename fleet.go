package redhot

import (
	"context"
	"errors"
	"fmt"

	"github.com/redhot/redhot/fleet"
	"github.com/redhot/redhot/heat"
)

// ErrClosed is returned by the methods that start something (JoinFleet,
// Counter, Value, Set, Hash, Splitter) after Close.
var ErrClosed = errors.New("redhot: middleware closed")

// ErrFleetJoined is returned by JoinFleet when the middleware is already a
// member of a fleet.
var ErrFleetJoined = errors.New("redhot: already joined a fleet")

// JoinFleet makes this instance a member of the fleet that shares
// opts.Stream on the middleware's client (see package fleet): it publishes
// the tracker's hot keys and the near cache's counters (unless
// opts.CacheStats is set), and reads everyone's. From then on a key hot
// across the fleet is cached here, and routed to replicas with
// Options.Replicas, even where it is only warm locally; when it cools
// fleet-wide (and is not hot here, pinned or a pattern) its entry is
// dropped. Keys the fleet reports truncated are followed for routing and
// caching, but their entries age out with their TTL rather than being
// dropped when they cool.
//
// The middleware owns the member: Close leaves the fleet. Closing the
// member yourself also stops the middleware following it; JoinFleet may
// then be called again. Like fleet.Join, it reads the stream before it
// returns.
func (m *Middleware) JoinFleet(ctx context.Context, opts fleet.Options) (*fleet.Member, error) {
	m.fleetMu.Lock()
	defer m.fleetMu.Unlock()
	// Close sets closed before it takes fleetMu to find the member: so
	// either this sees closed, or Close finds the member made here.
	if m.closed.Load() {
		return nil, ErrClosed
	}
	if m.member != nil {
		return nil, ErrFleetJoined
	}
	if opts.CacheStats == nil {
		opts.CacheStats = m.fleetCacheStats
	}
	member, err := fleet.Join(ctx, m.client, m.tracker, opts)
	if err != nil {
		return nil, fmt.Errorf("redhot: %w", err)
	}
	stream := member.Options().Stream
	m.fleetStream.Store(&stream)
	events := member.Subscribe(1024)
	m.member = member
	m.fleet.Store(member)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.followFleet(member, events)
	}()
	return member, nil
}

// followFleet drops the entries of keys that cool fleet-wide and are not
// wanted here for another reason, until the member closes; then it stops
// following it. Events the subscription could not hold are lost; their
// entries age out with their TTL.
func (m *Middleware) followFleet(member *fleet.Member, events *fleet.Subscription) {
	for ev := range events.C {
		if ev.Kind != heat.Cooled || ev.Truncated || m.cache == nil || m.wants(ev.Key) {
			continue
		}
		m.cache.Drop(ev.Key)
	}
	m.fleetMu.Lock()
	defer m.fleetMu.Unlock()
	if m.member == member {
		m.member = nil
		m.fleet.Store(nil)
		m.fleetStream.Store(nil)
	}
}

// Fleet returns the member JoinFleet made, or nil.
func (m *Middleware) Fleet() *fleet.Member {
	m.fleetMu.Lock()
	defer m.fleetMu.Unlock()
	return m.member
}

// fleetCacheStats is the fleet.Options.CacheStats of JoinFleet: the near
// cache's counters, or mode "off" without a near cache.
func (m *Middleware) fleetCacheStats() fleet.CacheStats {
	if m.cache == nil {
		return fleet.CacheStats{Mode: "off"}
	}
	st := m.cache.Stats()
	return fleet.CacheStats{
		Mode: st.Mode.String(), Hits: st.Hits, Misses: st.Misses, Fills: st.Fills,
		Invalidations: st.Invalidations, Entries: uint64(max(st.Entries, 0)), Bytes: st.Bytes,
	}
}
