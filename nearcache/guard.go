package nearcache

import "sync/atomic"

// guardsPerShard is the number of write guards of each index shard: 4096
// in all, so that writes to one key seldom hold up fills of another.
const guardsPerShard = 16

// guard records the writes through this client to the keys that hash to
// it. A fill may be published only if no such write was in flight when
// its reply arrived and none ended between the moment the fill was sent
// and that moment (see Cache.BeginWrite). Its fields are written under the
// lock of the shard that owns it and read by publication under the same
// lock.
type guard struct {
	epoch    atomic.Uint64 // writes ended (and, in redirect mode, invalidations)
	inflight atomic.Int64  // writes begun and not yet ended
}

func (sh *shard) guard(h uint64) *guard {
	return &sh.guards[(h/indexShards/1024)%guardsPerShard]
}

// BeginWrite is called before a command that may change key is sent
// through the client. It drops the key's entry and keeps fills of the key
// from being published until the matching EndWrite, so that once the write
// has returned no read through this client sees the value from before it,
// even if the server's invalidation has not arrived yet.
//
// Why a fill sent before the write ends must not be published: the fill
// travels on another connection and may have been executed before the
// write, and the invalidation that would remove its value may still be on
// its way when the writer, its write acknowledged, reads the key.
func (c *Cache) BeginWrite(key string) {
	h := c.ix.hash(key)
	sh := c.ix.shard(h)
	sh.mu.Lock()
	sh.guard(h).inflight.Add(1)
	e := sh.remove(h, key, nil)
	sh.mu.Unlock()
	if e != nil {
		c.dropPolicy(e)
		c.writeDrops.Add(1)
	}
}

// EndWrite is called when the write announced by BeginWrite(key) has
// returned, successfully or not.
func (c *Cache) EndWrite(key string) {
	h := c.ix.hash(key)
	sh := c.ix.shard(h)
	sh.mu.Lock()
	g := sh.guard(h)
	g.epoch.Add(1)
	g.inflight.Add(-1)
	sh.mu.Unlock()
}

// BeginWriteAll is BeginWrite for a command that may change any key:
// FLUSHALL, FLUSHDB, SWAPDB, a script that declares no keys, a command the
// command table does not know. It drops every entry.
func (c *Cache) BeginWriteAll() {
	c.globalInflight.Add(1)
	c.dropAll(FlushWrite)
}

// EndWriteAll ends what BeginWriteAll began.
func (c *Cache) EndWriteAll() {
	// Publication reads globalInflight, then globalEpoch: one that sees
	// the decrement sees the increment too.
	c.globalEpoch.Add(1)
	c.globalInflight.Add(-1)
}

// stamp is what a fill records when it is sent, to decide on publication.
type stamp struct {
	hash   uint64
	epoch  uint64 // of the key's guard
	global uint64 // c.globalEpoch
}

func (c *Cache) stampOf(key string) stamp {
	h := c.ix.hash(key)
	return stamp{hash: h, epoch: c.ix.shard(h).guard(h).epoch.Load(), global: c.globalEpoch.Load()}
}

// clearToPublish reports whether a fill stamped st may be published. The
// caller holds the lock of the key's shard.
func (c *Cache) clearToPublish(sh *shard, st stamp) bool {
	g := sh.guard(st.hash)
	if g.inflight.Load() != 0 || g.epoch.Load() != st.epoch {
		return false
	}
	return c.globalInflight.Load() == 0 && c.globalEpoch.Load() == st.global
}
