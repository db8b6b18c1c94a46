package heat

import (
	"hash/maphash"
	"math"
	"slices"
	"time"
)

// KeyStat is what the tracker knows about one key at one moment.
type KeyStat struct {
	// Key is the key, or its first MaxKeyBytes bytes when Truncated.
	Key string
	// Truncated reports that Key is a prefix of a longer key.
	Truncated bool
	// Rate is the estimated accesses per second over the last Window.
	Rate float64
	// Low and High bound Rate: Low counts only the accesses the tracker saw
	// while the key was in its table; High adds the sketch's upper bound on
	// the accesses before that.
	Low, High float64
	// ReadRate and WriteRate split Rate by Op.
	ReadRate, WriteRate float64
	// Share is the key's part of all traffic since the tracker began
	// tracking it, decayed like Rate. Comparing the key with the traffic of
	// the same span keeps shares right while the total changes.
	Share float64
	// Hot reports whether the rules currently flag the key.
	Hot bool
	// HotSince is when the key turned hot; zero when it is not hot.
	HotSince time.Time
}

// Totals is the rate of all traffic the tracker saw.
type Totals struct {
	// Rate is all accesses per second over the last Window.
	Rate float64
	// ReadRate and WriteRate split Rate by Op.
	ReadRate, WriteRate float64
}

// merged is one key's state merged over the stripes during a read. The
// sums are decayed counts at the read's time.
type merged struct {
	hash    uint64
	key     []byte
	fullLen int64
	exact   float64 // count since admission, summed over the stripes tracking it
	prior   float64 // sketch estimates at admission, summed
	writes  float64 // part of exact from writes
	since   float64 // traffic since admission in the stripes tracking it
	t0      int64   // earliest admission over the stripes tracking it
	in      uint64  // bit s set when stripe s tracks the key

	rate, high, writeRate, share float64 // set by finish
}

func (m *merged) add(sn *snap, stripe int) {
	if m.in == 0 || sn.admitted < m.t0 {
		m.t0 = sn.admitted
	}
	m.exact += sn.exact
	m.prior += sn.prior
	m.writes += sn.writes
	m.since += sn.since
	m.in |= 1 << stripe
}

// stripeTotals are one stripe's decayed traffic and smallest table count
// at a read's time.
type stripeTotals struct {
	total, min float64
}

// finish turns m's sums into rates. A key's accesses may move between
// stripes (its goroutines move between processors), so its counts are
// summed over the stripes and normalised by the time since it was first
// admitted anywhere; its share compares them with the traffic of the same
// stripes since then, and with all traffic of the stripes not tracking it.
// A stripe not tracking the key may still have seen up to its minimum
// count of it, which goes into High.
func (t *Tracker) finish(m *merged, now int64, st []stripeTotals, normTotal, floor float64) {
	n := t.norm(now, m.t0)
	m.rate = m.exact / n
	m.writeRate = m.writes / n
	m.high = (m.exact + m.prior) / n
	d := m.since
	for i, x := range st {
		if m.in&(1<<i) == 0 {
			d += x.total
			m.high += x.min / normTotal
		}
	}
	m.share = 0
	if d = max(d, floor); d > 0 {
		m.share = min(m.exact/d, 1)
	}
}

// view is a merged read of all stripes at one time.
type view struct {
	now    int64
	totals Totals
	keys   []merged // sorted by rate, highest first
}

// reader holds reusable buffers for merged reads. It is owned by whoever
// holds the lock that guards it.
type reader struct {
	snaps  []snap
	totals []stripeTotals
	buf    []byte
	pos    map[uint64]int
	keys   []merged
}

func (r *reader) init() { r.pos = make(map[uint64]int) }

// read merges the stripes at now, keeping keys whose rate could reach
// minRate (0 keeps everything).
func (t *Tracker) read(r *reader, now int64, minRate float64) view {
	r.keys = r.keys[:0]
	r.buf = r.buf[:0]
	clear(r.pos)
	var total, writes float64
	first := int64(noTime)
	// A key's rate is at least exact/norm(minAge)... and at most
	// exact/norm(∞) = exact/τ, so keys with exact < minRate·norm(minAge)
	// cannot reach minRate.
	minExact := minRate * t.norm(now, now)
	r.totals = r.totals[:0]
	for si, s := range t.stripes {
		r.snaps = r.snaps[:0]
		var tot, wr float64
		var f int64
		r.snaps, r.buf, tot, wr, f = s.snapshot(now, minExact, r.snaps, r.buf)
		total += tot
		writes += wr
		first = earliest(first, f)
		r.totals = append(r.totals, stripeTotals{total: tot, min: s.minCount(now)})
		for i := range r.snaps {
			sn := &r.snaps[i]
			j, ok := r.pos[sn.hash]
			if !ok {
				j = len(r.keys)
				r.pos[sn.hash] = j
				r.keys = append(r.keys, merged{hash: sn.hash, key: sn.key, fullLen: sn.fullLen})
			}
			r.keys[j].add(sn, si)
		}
	}
	normTotal := t.norm(now, first)
	totalRate := total / normTotal
	floor := t.shareFloor(now, totalRate)
	for i := range r.keys {
		t.finish(&r.keys[i], now, r.totals, normTotal, floor)
	}
	slices.SortFunc(r.keys, func(a, b merged) int {
		switch {
		case a.rate > b.rate:
			return -1
		case a.rate < b.rate:
			return 1
		}
		return 0
	})
	v := view{now: now, keys: r.keys}
	v.totals.Rate = totalRate
	v.totals.WriteRate = writes / normTotal
	v.totals.ReadRate = v.totals.Rate - v.totals.WriteRate
	return v
}

// shareFloor is the least traffic a key's share is computed against: the
// traffic of the minimum age at the current total rate. Without it a key
// seen once a moment ago would own all the traffic of that moment.
func (t *Tracker) shareFloor(now int64, totalRate float64) float64 {
	return totalRate * t.norm(now, now)
}

func (t *Tracker) stat(m *merged) KeyStat {
	ks := KeyStat{
		Key:       string(m.key),
		Truncated: int64(len(m.key)) < m.fullLen,
		Rate:      m.rate,
		Low:       m.rate,
		High:      math.Max(m.high, m.rate),
		WriteRate: m.writeRate,
		ReadRate:  math.Max(m.rate-m.writeRate, 0),
	}
	ks.Share = m.share
	return ks
}

// Top returns the k keys with the highest rates now, highest first.
func (t *Tracker) Top(k int) []KeyStat {
	if k <= 0 {
		return nil
	}
	var r reader
	r.init()
	v := t.read(&r, t.now(), 0)
	hs := t.hot.Load()
	out := make([]KeyStat, 0, min(k, len(v.keys)))
	for i := range v.keys {
		if len(out) == k {
			break
		}
		ks := t.stat(&v.keys[i])
		if since, ok := hs.keys[v.keys[i].hash]; ok {
			ks.Hot, ks.HotSince = true, since
		}
		out = append(out, ks)
	}
	return out
}

// Totals returns the rate of all traffic now.
func (t *Tracker) Totals() Totals {
	tot, _ := t.totals(t.now())
	return tot
}

// totals returns the rate of all traffic at now and the time of the first
// observation (0 when there is none). Rates are over the time since the
// first observation, not since New, so traffic that starts late is not
// diluted.
func (t *Tracker) totals(now int64) (Totals, int64) {
	var total, writes float64
	first := int64(noTime)
	for _, s := range t.stripes {
		tot, wr, f := s.totals(now)
		total += tot
		writes += wr
		first = earliest(first, f)
	}
	if first == noTime {
		return Totals{}, noTime
	}
	n := t.norm(now, first)
	return Totals{Rate: total / n, WriteRate: writes / n, ReadRate: (total - writes) / n}, first
}

// earliest returns the earlier of two times, where noTime means none.
func earliest(a, b int64) int64 {
	if a == noTime || (b != noTime && b < a) {
		return b
	}
	return a
}

// Estimate returns what the tracker knows of one key now. A key outside
// every table gets Rate 0 and High set to the sketch's upper bound.
func (t *Tracker) Estimate(key string) KeyStat {
	now := t.now()
	h := maphash.String(t.seed, key)
	m := merged{hash: h, key: []byte(key), fullLen: int64(len(key))}
	tot, first := t.totals(now)
	st := make([]stripeTotals, len(t.stripes))
	for i, s := range t.stripes {
		sn, found := s.lookup(h, now)
		st[i].total, _, _ = s.totals(now)
		st[i].min = sn.prior // the sketch's bound for an untracked key
		if found {
			m.add(&sn, i)
		}
	}
	if m.in == 0 {
		m.t0 = now
	}
	t.finish(&m, now, st, t.norm(now, first), t.shareFloor(now, tot.Rate))
	ks := t.stat(&m)
	if len(key) > t.opts.MaxKeyBytes {
		ks.Key = key[:t.opts.MaxKeyBytes]
		ks.Truncated = true
	}
	if since, ok := t.hot.Load().keys[h]; ok {
		ks.Hot, ks.HotSince = true, since
	}
	return ks
}
