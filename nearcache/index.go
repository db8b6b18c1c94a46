package nearcache

import (
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
)

// entry is everything cached for one Redis key: one variant per command
// and arguments (GET, HGET f, LRANGE 0 -1, ...). Entries are immutable once
// published; adding or dropping a variant publishes a new entry. The
// server invalidates keys, not variants, so all of them go together.
type entry struct {
	key    string
	hash   uint64
	get    *variant   // the GET variant, for the direct path; nil if none
	vars   []*variant // every variant, get included
	weight uint32     // estimated bytes, for the cache's bound
}

// variant is the cached reply of one read of a key.
type variant struct {
	id      string // command and arguments after the key (see VariantID)
	val     Value
	node    *node  // the node whose invalidation stream covers it
	token   uint64 // node.token when the fill was sent
	expires int64  // clock time after which it must not be served

	// read is the command that reads the variant again (for a refresh):
	// the read as filled, or for an element of an MGET, MGET of the key
	// alone, whose reply's one element (elem) is the value.
	read []string
	elem bool
}

// find returns the variant called id, or nil.
func (e *entry) find(id string) *variant {
	if id == idGet {
		return e.get
	}
	for _, v := range e.vars {
		if v.id == id {
			return v
		}
	}
	return nil
}

// with returns a copy of e in which v replaces the variant of the same id.
func (e *entry) with(v *variant) *entry {
	n := &entry{key: e.key, hash: e.hash, vars: make([]*variant, 0, len(e.vars)+1)}
	for _, old := range e.vars {
		if old.id != v.id {
			n.vars = append(n.vars, old)
		}
	}
	n.vars = append(n.vars, v)
	n.finish()
	return n
}

func newEntry(key string, hash uint64, v *variant) *entry {
	e := &entry{key: key, hash: hash, vars: []*variant{v}}
	e.finish()
	return e
}

// finish sets get and weight from vars.
func (e *entry) finish() {
	size := 96 + len(e.key)
	e.get = nil
	for _, v := range e.vars {
		if v.id == idGet {
			e.get = v
		}
		size += 64 + len(v.id) + v.val.size()
		for _, a := range v.read {
			size += 16 + len(a)
		}
	}
	e.weight = uint32(min(size, 1<<31))
}

// valid reports whether v may be served at now: its node has not been
// flushed since the fill, the node's invalidation stream was verified
// recently enough, and the entry has not expired.
func (v *variant) valid(now int64) bool {
	return now < v.until()
}

// until returns the time before which v may be served: the earlier of its
// node's staleness deadline and its own expiry, or math.MinInt64 once the
// node has been flushed since the fill.
func (v *variant) until() int64 {
	n := v.node
	if n.token.Load() != v.token {
		return math.MinInt64
	}
	return min(n.deadline.Load(), v.expires)
}

// indexShards is the number of independently locked parts of the index.
const indexShards = 256

// index maps keys to entries for the hit path. Readers take no lock and
// write nothing: each shard is an immutable open-addressing table behind
// an atomic pointer, and writers (fills, invalidations, evictions, all far
// rarer than hits) copy the shard's table under the shard's lock. One
// seeded hash of the key picks the shard and the slot, so a hit hashes the
// key once.
type index struct {
	seed   maphash.Seed
	shards [indexShards]shard
}

// shard is one part of the index, with the write guards and the reads in
// flight of its keys.
type shard struct {
	// mu serialises writers of tab and guards guards and flights:
	// publication of a fill checks the guards and inserts under mu, and a
	// write through the client marks its key and drops the entry under
	// mu, so neither can slip between the other's check and change.
	mu     sync.Mutex
	tab    atomic.Pointer[table]
	guards [guardsPerShard]guard
	// flights are the reads of the shard's keys on their way that a miss
	// may wait for instead of sending its own (see Cache.joinOrAdd), by
	// key.
	flights map[string][]*flight
	_       [64]byte
}

// table is an immutable open-addressing hash table with linear probing,
// at most half full.
type table struct {
	slots []slot
	n     int
}

type slot struct {
	hash uint64
	e    *entry
}

var emptyTable = &table{}

func newIndex() *index {
	ix := &index{seed: maphash.MakeSeed()}
	for i := range ix.shards {
		ix.shards[i].tab.Store(emptyTable)
	}
	return ix
}

func (ix *index) hash(key string) uint64 { return maphash.String(ix.seed, key) }

func (ix *index) shard(h uint64) *shard { return &ix.shards[h%indexShards] }

// get returns the entry of key, whose hash is h, or nil.
func (ix *index) get(h uint64, key string) *entry {
	t := ix.shards[h%indexShards].tab.Load()
	if len(t.slots) == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := (h / indexShards) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.e == nil {
			return nil
		}
		if s.hash == h && s.e.key == key {
			return s.e
		}
	}
}

// lookup is get on a table already loaded.
func (t *table) lookup(h uint64, key string) *entry {
	if len(t.slots) == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := (h / indexShards) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.e == nil {
			return nil
		}
		if s.hash == h && s.e.key == key {
			return s.e
		}
	}
}

// put stores e (replacing the entry of the same key) in sh. The caller
// holds sh.mu.
func (sh *shard) put(e *entry) {
	old := sh.tab.Load()
	n := old.n
	if old.lookup(e.hash, e.key) == nil {
		n++
	}
	sh.tab.Store(rebuild(old, n, e, nil))
}

// remove drops the entry of key from sh, and returns it, if it is there
// and, when only is not nil, is only. The caller holds sh.mu.
func (sh *shard) remove(h uint64, key string, only *entry) *entry {
	old := sh.tab.Load()
	e := old.lookup(h, key)
	if e == nil || (only != nil && e != only) {
		return nil
	}
	sh.tab.Store(rebuild(old, old.n-1, nil, e))
	return e
}

// removeIf drops every entry of sh for which drop returns true and returns
// them. The caller holds sh.mu.
func (sh *shard) removeIf(drop func(*entry) bool) []*entry {
	old := sh.tab.Load()
	var gone, kept []*entry
	for _, s := range old.slots {
		if s.e == nil {
			continue
		}
		if drop(s.e) {
			gone = append(gone, s.e)
		} else {
			kept = append(kept, s.e)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	if len(kept) == 0 {
		sh.tab.Store(emptyTable)
		return gone
	}
	size := 8
	for size < 2*len(kept) {
		size <<= 1
	}
	t := &table{slots: make([]slot, size), n: len(kept)}
	for _, e := range kept {
		t.insert(e)
	}
	sh.tab.Store(t)
	return gone
}

// rebuild returns a table of n entries: old's, with add stored (replacing
// the entry of its key) and drop left out.
func rebuild(old *table, n int, add, drop *entry) *table {
	if n == 0 {
		return emptyTable
	}
	size := 8
	for size < 2*n {
		size <<= 1
	}
	t := &table{slots: make([]slot, size), n: n}
	for _, s := range old.slots {
		if s.e == nil || s.e == drop || (add != nil && s.e.hash == add.hash && s.e.key == add.key) {
			continue
		}
		t.insert(s.e)
	}
	if add != nil {
		t.insert(add)
	}
	return t
}

func (t *table) insert(e *entry) {
	mask := uint64(len(t.slots) - 1)
	for i := (e.hash / indexShards) & mask; ; i = (i + 1) & mask {
		if t.slots[i].e == nil {
			t.slots[i] = slot{hash: e.hash, e: e}
			return
		}
	}
}

// len returns the number of entries.
func (ix *index) len() int {
	n := 0
	for i := range ix.shards {
		n += ix.shards[i].tab.Load().n
	}
	return n
}
