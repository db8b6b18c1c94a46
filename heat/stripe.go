package heat

import (
	"math"
	"sync"
	"unsafe"
)

// entry is one tracked key of a stripe's table. All counts are in the
// stripe's forward-decay units (see stripe.scale).
type entry struct {
	hash     uint64
	count    float64 // exact + prior; the heap is ordered by it
	prior    float64 // sketch estimate at admission: an upper bound of the count before
	writes   float64 // part of exact that came from writes
	totalAt  float64 // the stripe's total just before admission
	admitted int64   // clock nanoseconds at admission
	heapPos  int32
	keyLen   int32 // bytes of the key stored in the stripe's key arena
	fullLen  int64 // length of the key as observed
}

// exact returns the count received since admission.
func (e *entry) exact() float64 { return e.count - e.prior }

// stripe is one independent augmented sketch. A Tracker spreads observations
// over its stripes by processor, and merges them when read.
type stripe struct {
	// mu guards every field below. It is held by one Observe at a time and,
	// briefly, by readers that copy the table out.
	mu sync.Mutex

	landmark int64   // clock nanoseconds of the forward-decay landmark
	tick     int64   // clock value the cached weight was computed for
	weight   float64 // exp((tick-landmark)/window): the weight of one access now
	invTau   float64 // 1/window in 1/ns

	total  float64 // sum of all weights observed, decayed
	writes float64 // part of total from writes
	ops    uint64  // observations, for Stats
	evicts uint64  // table evictions, for Stats
	first  int64   // clock nanoseconds of the first observation; noTime before

	entries []entry  // the table; len(entries) entries in use, cap = capacity
	heap    []int32  // min-heap of entry indices ordered by count
	index   []uint64 // open addressing: tag<<32 | entry index+1; 0 = empty
	keys    []byte   // key arena: capacity slots of maxKey bytes
	maxKey  int

	sketch    []sketchBlock
	blockMask uint32 // len(sketch)-1; len(sketch) is a power of two

	_ [64]byte // keep neighbouring stripes off this stripe's cache lines
}

func newStripe(capacity, maxKey, blocks int, window int64, now int64) *stripe {
	// A load factor of at most 1/4 keeps unsuccessful probes (most
	// accesses of a cold key) near one slot.
	idx := 1
	for idx < capacity*4 {
		idx <<= 1
	}
	return &stripe{
		landmark:  now,
		first:     noTime,
		tick:      now,
		weight:    1,
		invTau:    1 / float64(window),
		entries:   make([]entry, 0, capacity),
		heap:      make([]int32, 0, capacity),
		index:     make([]uint64, idx),
		keys:      make([]byte, capacity*maxKey),
		maxKey:    maxKey,
		sketch:    make([]sketchBlock, blocks),
		blockMask: uint32(blocks - 1),
	}
}

// memoryBytes is the heap memory the stripe holds. It reads only fields
// set once by newStripe, so it needs no lock: entries and heap, which
// Observe reslices, have capacity len(keys)/maxKey.
func (s *stripe) memoryBytes() int {
	capacity := len(s.keys) / s.maxKey
	return int(unsafe.Sizeof(*s)) +
		capacity*int(unsafe.Sizeof(entry{})) +
		capacity*4 + len(s.index)*8 + len(s.keys) + len(s.sketch)*int(unsafe.Sizeof(sketchBlock{}))
}

// noTime marks a time that has not happened yet.
const noTime = math.MinInt64

// rescaleEvery is how far, in windows, the landmark may fall behind before
// every count is rescaled. exp(32) is about 8e13, far from float64 limits,
// and rescaling every 32 windows is cheap.
const rescaleEvery = 32

// weightAt returns the weight of one access at clock time now, moving the
// landmark when it has fallen too far behind. The caller holds s.mu.
func (s *stripe) weightAt(now int64) float64 {
	if now == s.tick {
		return s.weight
	}
	if now < s.tick { // the clock went backwards: keep the newest weight
		return s.weight
	}
	x := float64(now-s.landmark) * s.invTau
	if x > rescaleEvery {
		s.rescale(now)
		x = 0
	}
	s.tick = now
	s.weight = math.Exp(x)
	return s.weight
}

// rescale moves the landmark to now, dividing every count by the weight of
// the old landmark's distance. The caller holds s.mu.
func (s *stripe) rescale(now int64) {
	f := math.Exp(-float64(now-s.landmark) * s.invTau)
	s.landmark = now
	s.total *= f
	s.writes *= f
	for i := range s.entries {
		e := &s.entries[i]
		e.count *= f
		e.prior *= f
		e.writes *= f
		e.totalAt *= f
	}
	for i := range s.sketch {
		for j := range s.sketch[i] {
			s.sketch[i][j] *= f
		}
	}
}

// observe records one access of key with hash h and the given weight
// multiplier at clock time now. The caller holds s.mu.
func (s *stripe) observe(h uint64, key string, write bool, mult float64, now int64) {
	w := s.weightAt(now) * mult
	if s.first == noTime {
		s.first = now
	}
	s.ops++
	s.total += w
	if write {
		s.writes += w
	}
	// Every access goes to the sketch, so its estimate bounds a key's whole
	// count. A tracked key's estimate is at least its table count, which is
	// at least the table minimum; so a key whose estimate is below the
	// minimum is neither tracked nor due for admission, and the common case
	// of a cold key costs one sketch cache line and no index probe.
	est := s.sketchAdd(h, w)
	full := len(s.entries) == cap(s.entries)
	if full && est < s.entries[s.heap[0]].count {
		return
	}
	if i := s.find(h); i >= 0 {
		e := &s.entries[i]
		e.count += w
		if write {
			e.writes += w
		}
		s.down(int(e.heapPos))
		return
	}
	if !full {
		s.admit(len(s.entries), h, key, write, w, est, now)
		return
	}
	minIdx := s.heap[0]
	if est <= s.entries[minIdx].count {
		return
	}
	s.evicts++
	s.deleteIndex(s.entries[minIdx].hash)
	s.admit(int(minIdx), h, key, write, w, est, now)
}

// sketchBlock is one cache line of sketch counters. Each key maps to one
// block and to four counters inside it, one in each pair of slots, so a
// sketch update touches a single cache line (a blocked Count-Min sketch
// with four hash functions).
type sketchBlock [8]float64

// cells returns the block and the four counter slots of hash h.
func (s *stripe) cells(h uint64) (b *sketchBlock, c0, c1, c2, c3 uint64) {
	b = &s.sketch[uint32(h)&s.blockMask]
	h2 := h >> 40
	return b, h2 & 1, 2 | (h2>>1)&1, 4 | (h2>>2)&1, 6 | (h2>>3)&1
}

// sketchAdd adds w to h's counters with conservative update and returns
// h's new estimate.
func (s *stripe) sketchAdd(h uint64, w float64) float64 {
	b, c0, c1, c2, c3 := s.cells(h)
	est := minOf4(b[c0], b[c1], b[c2], b[c3]) + w
	raise(&b[c0], est)
	raise(&b[c1], est)
	raise(&b[c2], est)
	raise(&b[c3], est)
	return est
}

// sketchEstimate returns h's sketch estimate without changing it.
func (s *stripe) sketchEstimate(h uint64) float64 {
	b, c0, c1, c2, c3 := s.cells(h)
	return minOf4(b[c0], b[c1], b[c2], b[c3])
}

func raise(p *float64, v float64) {
	if *p < v {
		*p = v
	}
}

func minOf4(a, b, c, d float64) float64 {
	if b < a {
		a = b
	}
	if d < c {
		c = d
	}
	if c < a {
		a = c
	}
	return a
}

// admit stores key in table slot i (a new slot when i == len(entries)).
// est is the key's sketch estimate including this access of weight w.
func (s *stripe) admit(i int, h uint64, key string, write bool, w, est float64, now int64) {
	if i == len(s.entries) {
		s.entries = s.entries[:i+1]
		s.heap = append(s.heap, int32(i))
		s.entries[i].heapPos = int32(len(s.heap) - 1)
	}
	e := &s.entries[i]
	e.hash = h
	e.count = est
	e.prior = est - w
	e.writes = 0
	if write {
		e.writes = w
	}
	e.totalAt = s.total - w
	e.admitted = now
	n := copy(s.keys[i*s.maxKey:(i+1)*s.maxKey], key)
	e.keyLen = int32(n)
	e.fullLen = int64(len(key))
	s.insertIndex(h, int32(i))
	s.down(int(e.heapPos))
	s.up(int(e.heapPos))
}

// key returns a copy-free view of entry i's stored key bytes.
func (s *stripe) key(i int) []byte {
	e := &s.entries[i]
	return s.keys[i*s.maxKey : i*s.maxKey+int(e.keyLen)]
}

// tag is the part of a hash kept in the index beside the entry number, so
// that probing for an absent key rarely reads the entries.
func tag(h uint64) uint64 { return h >> 32 << 32 }

// find returns the table index of hash h, or -1.
func (s *stripe) find(h uint64) int {
	mask := uint64(len(s.index) - 1)
	t := tag(h)
	for p := h & mask; ; p = (p + 1) & mask {
		v := s.index[p]
		if v == 0 {
			return -1
		}
		if v&^0xffffffff == t {
			if i := int(uint32(v)) - 1; s.entries[i].hash == h {
				return i
			}
		}
	}
}

func (s *stripe) insertIndex(h uint64, i int32) {
	mask := uint64(len(s.index) - 1)
	p := h & mask
	for s.index[p] != 0 {
		p = (p + 1) & mask
	}
	s.index[p] = tag(h) | uint64(i+1)
}

// deleteIndex removes h from the index by backward-shift deletion, which
// keeps linear probing correct without tombstones.
func (s *stripe) deleteIndex(h uint64) {
	mask := uint64(len(s.index) - 1)
	p := h & mask
	for {
		v := s.index[p]
		if v == 0 {
			return
		}
		if s.entries[uint32(v)-1].hash == h {
			break
		}
		p = (p + 1) & mask
	}
	// Shift later members of the probe run back into the hole when their
	// home slot does not lie cyclically in (hole, current].
	hole := p
	for q := (p + 1) & mask; ; q = (q + 1) & mask {
		v := s.index[q]
		if v == 0 {
			break
		}
		home := s.entries[uint32(v)-1].hash & mask
		if (q > hole && (home <= hole || home > q)) || (q < hole && home <= hole && home > q) {
			s.index[hole] = v
			hole = q
		}
	}
	s.index[hole] = 0
}

func (s *stripe) less(a, b int) bool {
	return s.entries[s.heap[a]].count < s.entries[s.heap[b]].count
}

func (s *stripe) swap(a, b int) {
	s.heap[a], s.heap[b] = s.heap[b], s.heap[a]
	s.entries[s.heap[a]].heapPos = int32(a)
	s.entries[s.heap[b]].heapPos = int32(b)
}

func (s *stripe) up(j int) {
	for j > 0 {
		p := (j - 1) / 2
		if !s.less(j, p) {
			return
		}
		s.swap(j, p)
		j = p
	}
}

func (s *stripe) down(j int) {
	n := len(s.heap)
	for {
		l := 2*j + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && s.less(r, l) {
			c = r
		}
		if !s.less(c, j) {
			return
		}
		s.swap(j, c)
		j = c
	}
}

// snap is one tracked key copied out of a stripe, with counts converted to
// plain decayed counts at the snapshot time.
type snap struct {
	hash     uint64
	key      []byte // points into the reader's buffer
	fullLen  int64
	exact    float64
	prior    float64
	writes   float64
	since    float64 // the stripe's total since admission
	admitted int64
}

// snapshot appends the stripe's entries with exact count at least minExact
// (in decayed counts at now) to dst, copying keys into buf, and returns the
// stripe's decayed total and write total at now and the time of its first
// observation.
func (s *stripe) snapshot(now int64, minExact float64, dst []snap, buf []byte) ([]snap, []byte, float64, float64, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := math.Exp(-float64(now-s.landmark) * s.invTau)
	for i := range s.entries {
		e := &s.entries[i]
		ex := e.exact() * f
		if ex < minExact {
			continue
		}
		start := len(buf)
		buf = append(buf, s.key(i)...)
		dst = append(dst, snap{
			hash:     e.hash,
			key:      buf[start:len(buf):len(buf)],
			fullLen:  e.fullLen,
			exact:    ex,
			prior:    e.prior * f,
			writes:   e.writes * f,
			since:    (s.total - e.totalAt) * f,
			admitted: e.admitted,
		})
	}
	return dst, buf, s.total * f, s.writes * f, s.first
}

// totals returns the stripe's decayed totals at now and the time of its
// first observation (noTime when it has none).
func (s *stripe) totals(now int64) (total, writes float64, first int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := math.Exp(-float64(now-s.landmark) * s.invTau)
	return s.total * f, s.writes * f, s.first
}

// lookup returns the decayed counts of hash h at now: found reports whether
// the key is in the table; otherwise prior is its sketch estimate.
func (s *stripe) lookup(h uint64, now int64) (sn snap, found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := math.Exp(-float64(now-s.landmark) * s.invTau)
	if i := s.find(h); i >= 0 {
		e := &s.entries[i]
		return snap{hash: h, fullLen: e.fullLen, exact: e.exact() * f, prior: e.prior * f, writes: e.writes * f, since: (s.total - e.totalAt) * f, admitted: e.admitted}, true
	}
	return snap{hash: h, prior: s.sketchEstimate(h) * f}, false
}

// minCount returns the decayed count of the table's smallest entry at now,
// or 0 while the table is not full.
func (s *stripe) minCount(now int64) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) < cap(s.entries) {
		return 0
	}
	f := math.Exp(-float64(now-s.landmark) * s.invTau)
	return s.entries[s.heap[0]].count * f
}
