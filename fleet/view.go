package fleet

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redhot/redhot/heat"
)

// aggKey identifies a key in the merged view: a truncated key is the
// prefix heat kept, distinct from a whole key with the same bytes.
type aggKey struct {
	key       string
	truncated bool
}

// aggStat is one key's sums over the live instances during a merge.
type aggStat struct {
	rate, writes float64
	instances    int     // instances listing the key
	floors       float64 // sum of the floors of those instances
}

// hotKey is the record of a key hot fleet-wide.
type hotKey struct {
	since   int64     // local ms
	sinceAt time.Time // the same, as the evaluation's time
}

// view is an immutable merged view, published after each evaluation for
// Top, Totals and Stats.
type view struct {
	keys      []heat.KeyStat // highest rate first
	totals    heat.Totals
	instances int
	hot       int
	cache     CacheTotals // of the instances that report a near cache
}

// hotSet is an immutable snapshot of the keys hot fleet-wide, for IsHot.
type hotSet struct {
	exact    map[string]struct{}
	prefixes map[string]struct{} // keys the instances reported truncated
	lens     []int               // the distinct lengths of prefixes
}

// evaluate merges the live instances' summaries into the view, ages out
// instances whose last summary is older than TTL, applies the rules and
// publishes events.
func (m *Member) evaluate() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stats.evaluations.Add(1)
	now := m.nowMs()
	ttl := m.opts.TTL.Milliseconds()
	var tot heat.Totals
	var floors float64
	var cache CacheTotals
	clear(m.agg)
	for name, inst := range m.instances {
		if now-inst.seen > ttl {
			delete(m.instances, name)
			m.stats.expired.Add(1)
			continue
		}
		s := &inst.sum
		if s.cache != nil {
			cache.add(s.cache)
		}
		tot.Rate += s.totals.Rate
		tot.WriteRate += s.totals.WriteRate
		// A key the instance did not list has a rate there of at most
		// about that of the last key it listed.
		floor := 0.0
		if len(s.keys) > 0 {
			floor = s.keys[len(s.keys)-1].rate
		}
		floors += floor
		for _, k := range s.keys {
			ak := aggKey{k.key, k.truncated}
			a := m.agg[ak]
			if a == nil {
				a = &aggStat{}
				m.agg[ak] = a
			}
			a.rate += k.rate
			a.writes += k.writeRate
			a.instances++
			a.floors += floor
		}
	}
	tot.ReadRate = max(tot.Rate-tot.WriteRate, 0)

	keys := make([]heat.KeyStat, 0, len(m.agg))
	for ak, a := range m.agg {
		ks := heat.KeyStat{
			Key: ak.key, Truncated: ak.truncated,
			Rate: a.rate, Low: a.rate, High: a.rate + floors - a.floors,
			ReadRate: max(a.rate-a.writes, 0), WriteRate: a.writes,
		}
		if tot.Rate > 0 {
			ks.Share = min(a.rate/tot.Rate, 1)
		}
		keys = append(keys, ks)
	}
	slices.SortFunc(keys, func(a, b heat.KeyStat) int {
		return cmp.Or(cmp.Compare(b.Rate, a.Rate), strings.Compare(a.Key, b.Key), boolCmp(a.Truncated, b.Truncated))
	})

	ru := &m.opts.Rules
	minHot := ru.MinHot.Milliseconds()
	at := m.now()
	changed := false
	var events []Event
	for i := range keys {
		ks := &keys[i]
		ak := aggKey{ks.Key, ks.Truncated}
		hk := m.hotKeys[ak]
		if hk == nil {
			if (ru.MinRate < 0 || ks.Rate >= ru.MinRate) && (ru.MinShare < 0 || ks.Share >= ru.MinShare) {
				hk = &hotKey{since: now, sinceAt: at}
				m.hotKeys[ak] = hk
				changed = true
				events = append(events, Event{Kind: heat.Hot, Key: ks.Key, Truncated: ks.Truncated,
					Rate: ks.Rate, Share: ks.Share, Instances: m.agg[ak].instances, At: at})
			}
		} else if now-hk.since >= minHot &&
			((ru.MinRate > 0 && ks.Rate < ru.CoolRatio*ru.MinRate) || (ru.MinShare > 0 && ks.Share < ru.CoolRatio*ru.MinShare)) {
			delete(m.hotKeys, ak)
			changed = true
			events = append(events, Event{Kind: heat.Cooled, Key: ks.Key, Truncated: ks.Truncated,
				Rate: ks.Rate, Share: ks.Share, Instances: m.agg[ak].instances, At: at,
				HotFor: time.Duration(now-hk.since) * time.Millisecond})
			hk = nil
		}
		if hk != nil {
			ks.Hot, ks.HotSince = true, hk.sinceAt
		}
	}
	// Hot keys no live instance lists any more have no traffic.
	for ak, hk := range m.hotKeys {
		if _, ok := m.agg[ak]; ok || now-hk.since < minHot {
			continue
		}
		delete(m.hotKeys, ak)
		changed = true
		events = append(events, Event{Kind: heat.Cooled, Key: ak.key, Truncated: ak.truncated, At: at,
			HotFor: time.Duration(now-hk.since) * time.Millisecond})
	}
	if changed {
		hs := &hotSet{exact: make(map[string]struct{}), prefixes: make(map[string]struct{})}
		for ak := range m.hotKeys {
			if !ak.truncated {
				hs.exact[ak.key] = struct{}{}
				continue
			}
			hs.prefixes[ak.key] = struct{}{}
			if !slices.Contains(hs.lens, len(ak.key)) {
				hs.lens = append(hs.lens, len(ak.key))
			}
		}
		m.hot.Store(hs)
	}
	m.view.Store(&view{keys: keys, totals: tot, instances: len(m.instances), hot: len(m.hotKeys), cache: cache})
	for _, ev := range events {
		m.publishEvent(ev)
	}
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// IsHot reports whether key is hot fleet-wide by the last evaluation. A
// key longer than the prefix an instance reported truncated is hot when
// its prefix is (keys sharing that prefix are indistinguishable). It
// allocates nothing and takes no lock.
func (m *Member) IsHot(key string) bool {
	hs := m.hot.Load()
	if _, ok := hs.exact[key]; ok {
		return true
	}
	for _, n := range hs.lens {
		if len(key) > n {
			if _, ok := hs.prefixes[key[:n]]; ok {
				return true
			}
		}
	}
	return false
}

// Top returns the k keys with the highest fleet-wide rates, highest first,
// as of the last evaluation. Rate sums the live instances' rates (Low
// equals Rate); High adds, for each instance that did not list the key,
// the rate of the last key it listed, the most the key can have there.
// Share is the key's part of the fleet's traffic; Hot and HotSince follow
// the fleet rules.
func (m *Member) Top(k int) []heat.KeyStat {
	if k <= 0 {
		return nil
	}
	v := m.view.Load()
	return slices.Clone(v.keys[:min(k, len(v.keys))])
}

// Totals returns the fleet's traffic: the sums over live instances.
func (m *Member) Totals() heat.Totals { return m.view.Load().totals }

// InstanceInfo describes one live instance.
type InstanceInfo struct {
	// ID is the instance's id (Options.Instance); Self marks this one.
	ID   string
	Self bool
	// Seq is the sequence number of its current summary.
	Seq uint64
	// Age is how long ago the summary reached the server, by the server's
	// clock.
	Age time.Duration
	// SentAt is the instance's own clock when it sent the summary; it is
	// shown, never used (clocks may be skewed).
	SentAt time.Time
	// Totals is the instance's traffic.
	Totals heat.Totals
	// Keys is the number of keys the summary lists.
	Keys int
	// Cache is the instance's near-cache counters, nil if its summaries
	// carry none (no middleware attached, or an older release).
	Cache *CacheStats
}

// Instances returns the live instances, by id.
func (m *Member) Instances() []InstanceInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.nowMs()
	out := make([]InstanceInfo, 0, len(m.instances))
	for name, inst := range m.instances {
		info := InstanceInfo{
			ID: name, Self: name == m.opts.Instance, Seq: inst.sum.seq,
			Age:    time.Duration(max(now-inst.seen, 0)) * time.Millisecond,
			SentAt: inst.sum.sentAt, Totals: inst.sum.totals, Keys: len(inst.sum.keys),
		}
		if c := inst.sum.cache; c != nil {
			cc := *c
			info.Cache = &cc
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b InstanceInfo) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Event reports a key turning hot fleet-wide or cooling down.
type Event struct {
	// Kind is heat.Hot or heat.Cooled.
	Kind heat.EventKind
	// Key is the key, or the prefix the instances kept when Truncated.
	Key       string
	Truncated bool
	// Rate and Share are the key's fleet-wide rate and share of the fleet's
	// traffic when the event fired.
	Rate, Share float64
	// Instances is how many live instances listed the key.
	Instances int
	// At is the local clock when the event fired.
	At time.Time
	// HotFor is how long the key was hot; set on Cooled events.
	HotFor time.Duration
}

// Subscription delivers fleet-wide hot and cooled events. Events are sent
// without blocking: when C is full the event is dropped and counted.
type Subscription struct {
	// C receives the events. It is closed by Close or by the Member's
	// Close.
	C <-chan Event

	c       chan Event
	m       *Member
	dropped atomic.Uint64
	once    sync.Once
}

// Subscribe returns a subscription to fleet-wide hot and cooled events
// with room for buffer pending events (64 when buffer <= 0). Events come
// from the reading goroutine (or the caller of Sync) after each merge.
func (m *Member) Subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = 64
	}
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, m: m}
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	if m.subsClosed {
		s.closeLocked()
	} else {
		m.subs = append(m.subs, s)
	}
	return s
}

// Dropped returns how many events did not fit in C.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close stops the subscription and closes C.
func (s *Subscription) Close() {
	s.m.subsMu.Lock()
	defer s.m.subsMu.Unlock()
	if i := slices.Index(s.m.subs, s); i >= 0 {
		s.m.subs = slices.Delete(s.m.subs, i, i+1)
	}
	s.closeLocked()
}

// closeLocked closes C once; the caller holds subsMu or owns s alone.
func (s *Subscription) closeLocked() { s.once.Do(func() { close(s.c) }) }

func (m *Member) publishEvent(ev Event) {
	m.stats.events.Add(1)
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	for _, s := range m.subs {
		select {
		case s.c <- ev:
		default:
			s.dropped.Add(1)
			m.stats.dropped.Add(1)
		}
	}
}
