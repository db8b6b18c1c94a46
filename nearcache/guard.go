package nearcache

import "sync/atomic"

// guardsPerShard is the number of write guards of each index shard: 4096
// in all, so that writes to one key seldom hold up fills of another.
const guardsPerShard = 16

// guard records the writes through this client to the keys that hash to
// it. A fill may be published only if no such write ended between the
// moment the fill was built and the moment its reply arrived (see
// Cache.EndWrite); writes in flight hold up refreshes, which would be
// dropped when they end. Its fields are written under the lock of the
// shard that owns it and read under the same lock.
type guard struct {
	epoch    atomic.Uint64 // writes ended (and, in redirect mode, invalidations)
	inflight atomic.Int64  // writes begun and not yet ended: refreshes wait
	// deferred are the refreshes of the guard's keys that wait for its
	// writes in flight to end (sent earlier, they could not be
	// published), by key.
	deferred map[string]*again
}

// postpone keeps a for a refresh when the guard's writes have all ended.
// The caller holds the shard's lock.
func (g *guard) postpone(a *again) {
	if g.deferred == nil {
		g.deferred = make(map[string]*again)
	}
	if old := g.deferred[a.key]; old != nil {
		old.merge(a)
		return
	}
	g.deferred[a.key] = a
}

// due takes the postponed refreshes out of g. The caller holds the
// shard's lock.
func (g *guard) due() []*again {
	if len(g.deferred) == 0 {
		return nil
	}
	due := make([]*again, 0, len(g.deferred))
	for _, a := range g.deferred {
		due = append(due, a)
	}
	g.deferred = nil
	return due
}

func (sh *shard) guard(h uint64) *guard {
	return &sh.guards[(h/indexShards/1024)%guardsPerShard]
}

// BeginWrite is called before a command that may change key is sent
// through the client. Until the matching EndWrite the key's entry is
// still served, to reads concurrent with the write, which may see the
// value from before it (unless the server's invalidation drops it first),
// and refreshes of the key wait for the write to end.
func (c *Cache) BeginWrite(key string) {
	h := c.ix.hash(key)
	sh := c.ix.shard(h)
	sh.mu.Lock()
	sh.guard(h).inflight.Add(1)
	sh.mu.Unlock()
}

// EndWrite is called when the write announced by BeginWrite(key) has
// returned, successfully or not, and before the caller hears of it. It
// drops the key's entry and makes every fill built before now
// unpublishable, and unshareable by misses, so that no read after the
// write returned sees the value from before it, even if the server's
// invalidation has not arrived yet: a fill travels on another connection
// and may have been executed before the write. If the key is still wanted
// (Options.Refresh), what was cached or being read of it is read again at
// once; so are, once no write of the guard is in flight, the keys of the
// guard that the server invalidated while writes were.
func (c *Cache) EndWrite(key string) {
	h := c.ix.hash(key)
	sh := c.ix.shard(h)
	sh.mu.Lock()
	g := sh.guard(h)
	g.epoch.Add(1)
	idle := g.inflight.Add(-1) == 0
	e := sh.remove(h, key, nil)
	var due []*again
	if c.opts.Refresh != nil {
		// What was cached of the key, what was being read of it (those
		// reads can no longer be published or shared) and what an
		// invalidation dropped during the write are read again at once,
		// even if other writes to it are in flight: until they end, the
		// value serves the reads concurrent with them. A key written by
		// many writers at once is so refreshed once per write, never
		// more.
		a := againOf(key, h, e, sh.flights[key])
		delete(sh.flights, key)
		if old := g.deferred[key]; old != nil {
			delete(g.deferred, key)
			if a != nil {
				old.merge(a)
			}
			a = old
		}
		if idle {
			due = g.due()
		}
		if a != nil {
			a.now = true
			due = append(due, a)
		}
	}
	sh.mu.Unlock()
	if e != nil {
		c.dropPolicy(e)
		c.writeDrops.Add(1)
	}
	c.refresh(due)
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
//
// A fill that lands while a write to its key is in flight is published:
// only reads concurrent with the write can see it, and EndWrite drops it.
// A fill built before a write ended is not: it may have been executed
// before the write. Writes that may change any key (BeginWriteAll) hold
// up publication until they end, as they drop every entry when they
// begin.
func (c *Cache) clearToPublish(sh *shard, st stamp) bool {
	if sh.guard(st.hash).epoch.Load() != st.epoch {
		return false
	}
	return c.globalInflight.Load() == 0 && c.globalEpoch.Load() == st.global
}
