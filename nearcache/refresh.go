package nearcache

// Reads in flight, shared by misses (single flight), and refreshes: reads
// sent at once when a cached key changes, so that the next reads of a key
// that is still wanted find the new value instead of missing.
//
// Both rest on the rules that already keep fills honest. A refresh is a
// fill, stamped with the key's guard when it is built and published by
// the reader goroutine under the same checks: no write through the client
// to the key ended since the stamp, no flush of the node, no invalidation
// between its read's reply and its last reply. A miss may share a read in
// flight only when that read could have been its own: built after every
// write through the client to the key had ended, on the node's current
// connection life, recently enough that its value is within the
// staleness bound of the miss's call, and not followed by an
// invalidation of the key.

// maxRefreshVariants bounds the variants of a key read again by one
// refresh; an entry's other variants are filled by the next misses.
const maxRefreshVariants = 8

// flight is a read of one variant of a key on its way to the server: a
// miss's fill or a refresh. Misses of the same key and variant may wait
// for it instead of sending their own read (see Cache.joinOrAdd).
type flight struct {
	id    string   // variant ID
	read  []string // the read, to send it again (see EndWrite)
	o     *op
	reply int    // index of the read's reply in o.replies
	st    stamp  // the key's guard when the read was built
	node  *node  // where it was sent
	token uint64 // node.token when it was sent
}

// joinOrAdd returns the read of t's key and variant in flight that a fill
// may share (see Fill), or, if there is none, records o, built as of node
// token token and not yet sent, as that read and returns nil. o's release
// then forgets it.
func (c *Cache) joinOrAdd(n *node, token uint64, t *target, o *op) *flight {
	sh := c.ix.shard(t.st.hash)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if fl := c.joinable(sh, t.key, t.id); fl != nil {
		return fl
	}
	sh.addFlight(t.key, &flight{id: t.id, read: t.read, o: o, reply: t.reply, st: t.st, node: n, token: token})
	key, hash := t.key, t.st.hash
	o.release = func(o *op) { c.forget(key, hash, o) }
	return nil
}

// joinable returns the read of key's variant id in flight that a miss
// may share now, or nil. The read must have been built after every write
// through the client to the key had ended (its stamp is still current,
// but for writes begun since, which are concurrent with the miss), on the
// node's current connection life (no flush since), and less than
// MaxStaleness/2 ago, so that the server ran it at most that long before
// the miss was called. A read of which an invalidation arrived after its
// reply, or at all, is no longer listed (see Cache.invalidate). The
// caller holds sh.mu.
func (c *Cache) joinable(sh *shard, key, id string) *flight {
	for _, fl := range sh.flights[key] {
		if fl.id != id {
			continue
		}
		g := sh.guard(fl.st.hash)
		if g.epoch.Load() != fl.st.epoch || c.globalEpoch.Load() != fl.st.global ||
			fl.node.token.Load() != fl.token ||
			c.realNow()-fl.o.sentAt >= int64(c.opts.MaxStaleness/2) {
			return nil
		}
		return fl
	}
	return nil
}

// addFlight records fl as the read in flight of its variant of key. The
// caller holds sh.mu.
func (sh *shard) addFlight(key string, fl *flight) {
	if sh.flights == nil {
		sh.flights = make(map[string][]*flight)
	}
	fls := sh.flights[key]
	for i, old := range fls {
		if old.id == fl.id {
			fls[i] = fl
			return
		}
	}
	sh.flights[key] = append(fls, fl)
}

// forget removes the reads of o from key's reads in flight, once o is
// over. Reads of key that replaced them stay.
func (c *Cache) forget(key string, hash uint64, o *op) {
	sh := c.ix.shard(hash)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	fls := sh.flights[key]
	kept := fls[:0]
	for _, fl := range fls {
		if fl.o != o {
			kept = append(kept, fl)
		}
	}
	clear(fls[len(kept):])
	if len(kept) == 0 {
		delete(sh.flights, key)
	} else {
		sh.flights[key] = kept
	}
}

// again is what a refresh reads again for one key: the variants of an
// entry that was dropped, or of reads in flight that a write made
// unpublishable.
type again struct {
	key  string
	hash uint64
	node *node
	vars []readAgain
	// now sends the refresh even if writes of the key's guard are in
	// flight (see EndWrite).
	now bool
}

// readAgain is one variant to read again.
type readAgain struct {
	id   string
	read []string
	elem bool // read is MGET of the key alone; its one element is the value
}

// add adds the variant id, read by read, unless it is there already or
// the limit is reached.
func (a *again) add(id string, read []string, elem bool) {
	if read == nil || len(a.vars) >= maxRefreshVariants {
		return
	}
	for _, v := range a.vars {
		if v.id == id {
			return
		}
	}
	a.vars = append(a.vars, readAgain{id: id, read: read, elem: elem})
}

// againOf returns what to read again for e, just dropped, and the reads
// of its key in flight (fls), just made unpublishable, or nil if there
// is nothing. Only variants of the node that served the newest of them,
// and that it still vouches for, are read again: after a slot moved,
// older ones may be of another node. The caller holds the shard's lock.
func againOf(key string, hash uint64, e *entry, fls []*flight) *again {
	var n *node
	switch {
	case len(fls) > 0:
		n = fls[len(fls)-1].node
	case e != nil:
		n = e.vars[len(e.vars)-1].node
	default:
		return nil
	}
	a := &again{key: key, hash: hash, node: n}
	tok := n.token.Load()
	for _, fl := range fls {
		if fl.node == n && fl.token == tok {
			a.add(fl.id, fl.read, false)
		}
	}
	if e != nil {
		for _, v := range e.vars {
			if v.node == n && v.token == tok {
				a.add(v.id, v.read, v.elem)
			}
		}
	}
	if len(a.vars) == 0 {
		return nil
	}
	return a
}

// merge adds b's variants to a, both of one key; b is the newer: if they
// are of different nodes (a slot moved), b replaces a.
func (a *again) merge(b *again) {
	if b.node != a.node {
		*a = *b
		return
	}
	for _, v := range b.vars {
		a.add(v.id, v.read, v.elem)
	}
}

// refresh reads again, at once, what each of due says, for the keys the
// owner still wants (Options.Refresh), each in one op on its node's fill
// connection; the ops of one node are sent in one write. It runs on a
// connection's reader goroutine (for an invalidation) or on the goroutine
// of EndWrite, and holds no lock.
func (c *Cache) refresh(due []*again) {
	if c.opts.Refresh == nil || len(due) == 0 {
		return
	}
	var (
		conns []*conn
		ops   [][]*op
	)
	for _, a := range due {
		s, o := c.refreshOp(a)
		if o == nil {
			continue
		}
		i := 0
		for i < len(conns) && conns[i] != s.fill {
			i++
		}
		if i == len(conns) {
			conns, ops = append(conns, s.fill), append(ops, nil)
		}
		ops[i] = append(ops[i], o)
	}
	for i, cn := range conns {
		if err := cn.send(ops[i]...); err != nil {
			for _, o := range ops[i] {
				o.end(err)
			}
		}
	}
}

// refreshOp prepares the refresh of a: one op that reads each of its
// variants, then the key's PTTL, recorded as the reads in flight of those
// variants. It returns nil if the key is no longer wanted, its node is not
// connected or already has MaxRefreshes refreshes in flight, the key was
// filled meanwhile, a write that may change any key is in flight, or,
// unless a comes from EndWrite (a.now), a write through the client to a
// key of its guard is: EndWrite sends it then.
func (c *Cache) refreshOp(a *again) (*session, *op) {
	n := a.node
	if !c.opts.Refresh(a.key) {
		return nil, nil
	}
	s, _ := n.session()
	if s == nil {
		return nil, nil
	}
	if n.refreshing.Add(1) > int64(c.opts.MaxRefreshes) {
		n.refreshing.Add(-1)
		c.refreshLimited.Add(1)
		return nil, nil
	}

	cmds := make([][]string, 0, len(a.vars)+1)
	ts := make([]target, len(a.vars))
	for i, v := range a.vars {
		ts[i] = target{key: a.key, id: v.id, reply: i, elem: -1, pttl: len(a.vars), read: v.read}
		if v.elem {
			ts[i].elem, ts[i].elems = 0, 1
		}
		cmds = append(cmds, v.read)
	}
	cmds = append(cmds, []string{"PTTL", a.key})

	sh := c.ix.shard(a.hash)
	sh.mu.Lock()
	g := sh.guard(a.hash)
	switch {
	case sh.tab.Load().lookup(a.hash, a.key) != nil || c.globalInflight.Load() != 0:
		// Filled again already; or a write that may change any key is
		// in flight, and the next miss fills the key.
		sh.mu.Unlock()
		n.refreshing.Add(-1)
		return nil, nil
	case !a.now && g.inflight.Load() != 0:
		// It would be dropped when the writes end: the EndWrite of the
		// key, or the last of the guard, sends it.
		g.postpone(a)
		sh.mu.Unlock()
		n.refreshing.Add(-1)
		return nil, nil
	}
	st := stamp{hash: a.hash, epoch: g.epoch.Load(), global: c.globalEpoch.Load()}
	for i := range ts {
		ts[i].st = st
	}
	token := n.token.Load()
	o := c.fillOp(n, s, token, ts, cmds, len(a.vars))
	for i := range ts {
		if ts[i].elem < 0 {
			sh.addFlight(a.key, &flight{id: ts[i].id, read: ts[i].read, o: o, reply: i, st: st, node: n, token: token})
		}
	}
	sh.mu.Unlock()
	key, hash := a.key, a.hash
	o.release = func(o *op) {
		c.forget(key, hash, o)
		n.refreshing.Add(-1)
	}
	c.refreshes.Add(1)
	return s, o
}
