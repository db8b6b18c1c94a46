package heat

import (
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// EventKind says which way a key crossed the rules.
type EventKind uint8

const (
	// Hot: the key met every enabled rule.
	Hot EventKind = iota + 1
	// Cooled: the key, hot for at least MinHot, fell below the cooling
	// thresholds.
	Cooled
)

// String returns "hot" or "cooled".
func (k EventKind) String() string {
	switch k {
	case Hot:
		return "hot"
	case Cooled:
		return "cooled"
	}
	return "unknown"
}

// Event reports a key turning hot or cooling down.
type Event struct {
	Kind EventKind
	// Key is the key, or its first MaxKeyBytes bytes when Truncated.
	Key       string
	Truncated bool
	// Rate and Share are the key's estimates when the event fired.
	Rate  float64
	Share float64
	// At is the tracker's clock when the event fired.
	At time.Time
	// HotFor is how long the key was hot; set on Cooled events.
	HotFor time.Duration
}

// hotState is the evaluator's record of one hot key.
type hotState struct {
	key       string
	truncated bool
	since     int64
}

// hotSet is an immutable snapshot of the hot keys, published after each
// evaluation that changed it, for IsHot.
type hotSet struct {
	keys map[uint64]time.Time
}

// evaluator holds the state of rule evaluation; Tracker.evalMu guards it.
type evaluator struct {
	r   reader
	hot map[uint64]*hotState
}

func (e *evaluator) init() {
	e.r.init()
	e.hot = make(map[uint64]*hotState)
}

// Subscription delivers hot and cooled events. Events are sent without
// blocking: when C is full the event is dropped and counted.
type Subscription struct {
	// C receives the events. It is closed by Close or by the tracker's
	// Close.
	C <-chan Event

	c       chan Event
	t       *Tracker
	dropped atomic.Uint64
	once    sync.Once
}

// Subscribe returns a subscription to hot and cooled events with room for
// buffer pending events (64 when buffer <= 0). Events are produced by the
// tracker's evaluation goroutine (or the caller of Evaluate) and never
// delay Observe.
func (t *Tracker) Subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = 64
	}
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, t: t}
	t.subsMu.Lock()
	defer t.subsMu.Unlock()
	select {
	case <-t.stop:
		s.closeLocked()
	default:
		t.subs = append(t.subs, s)
	}
	return s
}

// Dropped returns how many events did not fit in C.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close stops the subscription and closes C.
func (s *Subscription) Close() {
	s.t.subsMu.Lock()
	defer s.t.subsMu.Unlock()
	for i, x := range s.t.subs {
		if x == s {
			s.t.subs = append(s.t.subs[:i], s.t.subs[i+1:]...)
			break
		}
	}
	s.closeLocked()
}

// closeLocked closes C once; the caller holds subsMu or owns s alone.
func (s *Subscription) closeLocked() { s.once.Do(func() { close(s.c) }) }

func (t *Tracker) publish(ev Event) {
	t.events.Add(1)
	t.subsMu.Lock()
	defer t.subsMu.Unlock()
	for _, s := range t.subs {
		select {
		case s.c <- ev:
		default:
			s.dropped.Add(1)
		}
	}
}

// Evaluate applies the rules now: keys that meet them turn hot, hot keys
// that fell below the cooling thresholds cool, and events go to the
// subscribers. The background goroutine calls it every EvalInterval; with
// an injected Clock, call it yourself.
func (t *Tracker) Evaluate() {
	t.evalMu.Lock()
	defer t.evalMu.Unlock()
	t.evaluations.Add(1)
	e := &t.eval
	ru := t.opts.Rules
	now := t.now()
	tot, first := t.totals(now)
	if first == noTime || now-first < t.minAge {
		// Too little traffic has been seen for shares and rates to mean
		// anything: with three accesses in a millisecond, each key has a
		// third of all traffic.
		return
	}
	total := tot.Rate

	// Only keys that could stay hot matter: their rate is at least the
	// lowest cooling threshold.
	minRate := 0.0
	if ru.TopK == 0 || ru.MinRate > 0 || ru.MinShare > 0 {
		if ru.MinRate > 0 {
			minRate = ru.MinRate * ru.CoolRatio
		}
		if ru.MinShare > 0 {
			// Shares are taken over each key's own span, so a key may
			// meet the share rule with a rate a little below share ×
			// total: keep a margin.
			minRate = math.Max(minRate, 0.5*ru.MinShare*ru.CoolRatio*total)
		}
	}
	v := t.read(&e.r, now, minRate)
	coolRank := math.MaxInt
	if ru.TopK > 0 {
		coolRank = int(math.Ceil(float64(ru.TopK) / ru.CoolRatio))
	}
	changed := false
	at := time.Unix(0, now)
	for rank := range v.keys {
		m := &v.keys[rank]
		share := m.share
		st, isHot := e.hot[m.hash]
		if !isHot {
			if (ru.MinRate < 0 || m.rate >= ru.MinRate) &&
				(ru.MinShare < 0 || share >= ru.MinShare) &&
				(ru.TopK == 0 || rank < ru.TopK) {
				st = &hotState{key: string(m.key), truncated: int64(len(m.key)) < m.fullLen, since: now}
				e.hot[m.hash] = st
				changed = true
				t.publish(Event{Kind: Hot, Key: st.key, Truncated: st.truncated, Rate: m.rate, Share: share, At: at})
			}
			continue
		}
		if now-st.since < int64(ru.MinHot) {
			continue
		}
		if (ru.MinRate > 0 && m.rate < ru.MinRate*ru.CoolRatio) ||
			(ru.MinShare > 0 && share < ru.MinShare*ru.CoolRatio) ||
			rank >= coolRank {
			delete(e.hot, m.hash)
			changed = true
			t.publish(Event{Kind: Cooled, Key: st.key, Truncated: st.truncated, Rate: m.rate, Share: share, At: at, HotFor: time.Duration(now - st.since)})
		}
	}
	// Hot keys that the read left out are below every cooling threshold.
	for h, st := range e.hot {
		if _, ok := e.r.pos[h]; ok || now-st.since < int64(ru.MinHot) {
			continue
		}
		delete(e.hot, h)
		changed = true
		t.publish(Event{Kind: Cooled, Key: st.key, Truncated: st.truncated, At: at, HotFor: time.Duration(now - st.since)})
	}
	if changed {
		hs := &hotSet{keys: make(map[uint64]time.Time, len(e.hot))}
		for h, st := range e.hot {
			hs.keys[h] = time.Unix(0, st.since)
		}
		t.hot.Store(hs)
	}
}

// IsHot reports whether key was hot at the last evaluation. It allocates
// nothing and takes no lock.
func (t *Tracker) IsHot(key string) bool {
	hs := t.hot.Load()
	if len(hs.keys) == 0 {
		return false
	}
	_, ok := hs.keys[maphash.String(t.seed, key)]
	return ok
}

// Hot returns the keys hot at the last evaluation, with their current
// estimates, highest rate first.
func (t *Tracker) Hot() []KeyStat {
	hs := t.hot.Load()
	if len(hs.keys) == 0 {
		return nil
	}
	var r reader
	r.init()
	v := t.read(&r, t.now(), 0)
	out := make([]KeyStat, 0, len(hs.keys))
	for i := range v.keys {
		since, ok := hs.keys[v.keys[i].hash]
		if !ok {
			continue
		}
		ks := t.stat(&v.keys[i])
		ks.Hot, ks.HotSince = true, since
		out = append(out, ks)
	}
	return out
}

// Stats describe the tracker's own work.
type Stats struct {
	// Observations is the number of Observe calls so far.
	Observations uint64
	// Tracked is the number of keys in the tables (summed over stripes).
	Tracked int
	// Evictions is the number of times a key replaced the least counted
	// key of a full table: the churn at the bottom of the table.
	Evictions uint64
	// Hot is the number of keys hot at the last evaluation.
	Hot int
	// Evaluations is the number of rule evaluations so far.
	Evaluations uint64
	// Events is the number of hot and cooled events produced.
	Events uint64
	// DroppedEvents is the number of events lost by full subscriptions.
	DroppedEvents uint64
	// MemoryBytes is the fixed memory of sketches and tables.
	MemoryBytes int
}

// Stats returns the tracker's counters.
func (t *Tracker) Stats() Stats {
	st := Stats{
		Evaluations: t.evaluations.Load(),
		Events:      t.events.Load(),
		Hot:         len(t.hot.Load().keys),
		MemoryBytes: t.MemoryBytes(),
	}
	for _, s := range t.stripes {
		s.mu.Lock()
		st.Observations += s.ops
		st.Evictions += s.evicts
		st.Tracked += len(s.entries)
		s.mu.Unlock()
	}
	t.subsMu.Lock()
	for _, s := range t.subs {
		st.DroppedEvents += s.dropped.Load()
	}
	t.subsMu.Unlock()
	return st
}
