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

// merged is one key's state merged over the stripes during a read.
type merged struct {
	hash      uint64
	key       []byte
	fullLen   int64
	rate      float64
	high      float64
	writeRate float64
	share     float64
	exact     float64 // decayed count since admission, summed over stripes
	since     float64 // decayed total traffic since admission, summed
	stripes   int
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
	snaps []snap
	buf   []byte
	pos   map[uint64]int
	keys  []merged
}

func (r *reader) init() { r.pos = make(map[uint64]int) }

// read merges the stripes at now, keeping keys whose rate could reach
// minRate (0 keeps everything).
func (t *Tracker) read(r *reader, now int64, minRate float64) view {
	r.keys = r.keys[:0]
	r.buf = r.buf[:0]
	clear(r.pos)
	var total, writes, minSum float64
	first := int64(noTime)
	// A key's rate is at least exact/norm(minAge)... and at most
	// exact/norm(∞) = exact/τ, so keys with exact < minRate·norm(minAge)
	// cannot reach minRate.
	minExact := minRate * t.norm(now, now)
	for _, s := range t.stripes {
		r.snaps = r.snaps[:0]
		var tot, wr float64
		var f int64
		r.snaps, r.buf, tot, wr, f = s.snapshot(now, minExact, r.snaps, r.buf)
		total += tot
		writes += wr
		first = earliest(first, f)
		minSum += s.minCount(now)
		for i := range r.snaps {
			sn := &r.snaps[i]
			n := t.norm(now, sn.admitted)
			j, ok := r.pos[sn.hash]
			if !ok {
				j = len(r.keys)
				r.pos[sn.hash] = j
				r.keys = append(r.keys, merged{hash: sn.hash, key: sn.key, fullLen: sn.fullLen})
			}
			m := &r.keys[j]
			m.rate += sn.exact / n
			m.high += (sn.exact + sn.prior) / n
			m.writeRate += sn.writes / n
			m.exact += sn.exact
			m.since += sn.since
			m.stripes++
		}
	}
	normTotal := t.norm(now, first)
	// A key absent from a stripe's table had at most that stripe's minimum
	// count there.
	for i := range r.keys {
		m := &r.keys[i]
		if m.stripes < len(t.stripes) {
			m.high += minSum / normTotal
		}
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
	v.totals.Rate = total / normTotal
	v.totals.WriteRate = writes / normTotal
	v.totals.ReadRate = v.totals.Rate - v.totals.WriteRate
	floor := t.shareFloor(now, v.totals.Rate)
	for i := range r.keys {
		r.keys[i].share = share(&r.keys[i], floor)
	}
	return v
}

// shareFloor is the least traffic a key's share is computed against: the
// traffic of the minimum age at the current total rate. Without it a key
// seen once a moment ago would own all the traffic of that moment.
func (t *Tracker) shareFloor(now int64, totalRate float64) float64 {
	return totalRate * t.norm(now, now)
}

func share(m *merged, floor float64) float64 {
	d := max(m.since, floor)
	if d <= 0 {
		return 0
	}
	return min(m.exact/d, 1)
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
	normTotal := t.norm(now, first)
	for _, s := range t.stripes {
		sn, found := s.lookup(h, now)
		if found {
			n := t.norm(now, sn.admitted)
			m.rate += sn.exact / n
			m.high += (sn.exact + sn.prior) / n
			m.writeRate += sn.writes / n
			m.exact += sn.exact
			m.since += sn.since
		} else {
			m.high += sn.prior / normTotal
		}
	}
	m.share = share(&m, t.shareFloor(now, tot.Rate))
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
