package nearcache

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// IDGet is the variant ID of GET: the one GetString serves.
const IDGet = idGet

// IDMGet is the variant ID under which an element of an MGET reply is
// cached for its key. MGET answers nil for a key of another type where GET
// fails, so the two are kept apart; an MGET may be answered from either.
const IDMGet = "mget"

const idGet = "get"

// VariantID returns the ID under which the reply of the read cmd on key is
// cached: the lowercase command name, then each argument after the key,
// length-prefixed, so that no two distinct argument lists share an ID.
// args are the command's arguments after the key.
func VariantID(cmd string, args ...string) string {
	if len(args) == 0 {
		lc := strings.ToLower(cmd)
		if lc == idGet {
			return idGet
		}
		return lc
	}
	b := make([]byte, 0, len(cmd)+8*len(args))
	b = append(b, strings.ToLower(cmd)...)
	for _, a := range args {
		b = append(b, 0)
		b = binary.AppendUvarint(b, uint64(len(a)))
		b = append(b, a...)
	}
	return string(b)
}

// Fill is one read sent on a node's tracked connection.
type Fill struct {
	// Args is the read as sent: the command name and its arguments.
	Args []string
	// Keys are the keys whose replies are cached. For a single-key read,
	// one key and its reply; for MGET (Multi), Args[1:] in order, and
	// element i of the reply belongs to Keys[i].
	Keys []string
	// Skip, for MGET, marks the keys that are read but not cached (cold
	// keys read along with hot ones). Nil caches every key.
	Skip []bool
	// Multi says the reply is an array with one element per key (MGET).
	Multi bool
	// ID is the variant ID the reply is cached under (VariantID, IDMGet).
	ID string
}

// Fill sends f on the tracked connection of the node that serves its
// first key, publishes the replies to the cache unless something changed
// the keys meanwhile, and returns the reply. The value returned is shared
// with the cache and must not be modified. Fill keeps f.Args, to read the
// key again when it changes (see Options.Refresh): the caller must not
// modify it afterwards.
//
// A single-key fill (not Multi) shares the read of the same key and
// variant already in flight, a miss's or a refresh's, when that read was
// sent after every write through the client to the key had ended and
// less than MaxStaleness/2 ago: its reply is then as fresh as the
// caller's own read could be within the staleness bound, and a burst of
// misses costs the server one read. Stats counts these as Joined.
//
// It returns ErrNotConnected or ErrOff when the read cannot go through the
// cache (the caller then sends it its usual way), and the context's error,
// or a timeout after Options.FillTimeout, if the reply is late. An error
// reply of the server (WRONGTYPE, MOVED) is returned as the Value, of
// KindError, and not cached.
func (c *Cache) Fill(ctx context.Context, f *Fill) (*Value, error) {
	if len(f.Keys) == 0 {
		return nil, fmt.Errorf("nearcache: Fill without keys")
	}
	n, err := c.nodeFor(ctx, f.Keys[0])
	if err != nil {
		return nil, err
	}
	s, mode := n.session()
	if s == nil {
		if mode == ModeOff {
			return nil, ErrOff
		}
		return nil, ErrNotConnected
	}

	// The read, then PTTL of each cached key, so that no entry outlives
	// its key. The server tracks every key read on the fill connection.
	cmds := [][]string{f.Args}
	ts := make([]target, 0, len(f.Keys))
	for i, k := range f.Keys {
		if f.Skip != nil && f.Skip[i] {
			continue
		}
		t := target{key: k, id: f.ID, st: c.stampOf(k), elem: -1, pttl: len(cmds), read: f.Args}
		if f.Multi {
			t.elem, t.elems, t.read = i, len(f.Keys), []string{"MGET", k}
		}
		ts = append(ts, t)
		cmds = append(cmds, []string{"PTTL", k})
	}
	token := n.token.Load()
	o := c.fillOp(n, s, token, ts, cmds, 1)
	if !f.Multi && len(ts) == 1 {
		if fl := c.joinOrAdd(n, token, &ts[0], o); fl != nil {
			c.joined.Add(1)
			return c.await(ctx, n, fl.o, fl.reply)
		}
	}
	if err := s.fill.send(o); err != nil {
		o.end(err)
		c.fillErrors.Add(1)
		return nil, fmt.Errorf("%w: %v", ErrNotConnected, err)
	}
	return c.await(ctx, n, o, 0)
}

// target is one value an op publishes: the reply (or an element of the
// reply) of one of its reads, as a variant of a key.
type target struct {
	key   string
	id    string   // variant ID
	st    stamp    // the key's guard when the op was built
	reply int      // index of the read's reply in the op's replies
	elem  int      // element of an MGET reply, or -1 for the whole reply
	elems int      // with elem: the number of elements the reply must have
	pttl  int      // index of the key's PTTL reply
	read  []string // the read, alone, that gives the value again
}

// fillOp returns an op that sends cmds on s, the session of n, and
// publishes ts from the replies, as of node token token: first reads
// (that many commands), then PTTLs. The op's send time is taken now,
// before it is sent.
func (c *Cache) fillOp(n *node, s *session, token uint64, ts []target, cmds [][]string, reads int) *op {
	o := newOp(func(o *op) { c.land(n, s, token, ts, reads, o) }, cmds...)
	// The reads come first: once the first one has been answered, an
	// invalidation of a key concerns a write that a read may have missed.
	o.read = 0
	o.keys = make([]string, 0, 1)
	for i := range ts {
		if i == 0 || ts[i].key != ts[i-1].key {
			o.keys = append(o.keys, ts[i].key)
		}
	}
	o.sentAt = c.realNow()
	return o
}

// land publishes the values of an answered fill or refresh. It runs on the
// reader goroutine, in order with invalidations.
func (c *Cache) land(n *node, s *session, token uint64, ts []target, reads int, o *op) {
	if s.mode == ModeTracking {
		n.ack(o.sentAt)
	}
	for i := range o.replies[:reads] {
		if r := &o.replies[i]; r.Kind == KindError && (strings.HasPrefix(r.Str, "MOVED ") || strings.HasPrefix(r.Str, "ASK ")) {
			n.slotsMoved()
			if c.opts.OnMoved != nil {
				c.opts.OnMoved()
			}
			return
		}
	}
	if o.killed {
		c.discarded.Add(uint64(len(ts)))
		return
	}
	ttl := c.ttl(s.mode)
	for i := range ts {
		t := &ts[i]
		r := &o.replies[t.reply]
		if r.Kind == KindError {
			continue
		}
		if o.replies[t.pttl].Kind == KindError {
			// Without the key's expiry (PTTL refused by an ACL, say) the
			// entry could outlive the key: not published.
			c.fillErrors.Add(1)
			continue
		}
		val := *r
		if t.elem >= 0 {
			if r.Kind != KindArray || len(r.Elems) != t.elems {
				continue
			}
			val = r.Elems[t.elem]
			if val.Kind == KindError {
				continue
			}
		}
		expires := o.sentAt + ttl
		if pt := &o.replies[t.pttl]; pt.Kind == KindInt && pt.Int >= 0 {
			// PTTL is the key's expiry minus the server's clock
			// truncated to the millisecond, so up to a millisecond
			// long; and hits read a clock that may lag by margin.
			expires = min(expires, o.sentAt+(pt.Int-1)*int64(time.Millisecond)-c.margin)
		}
		c.publish(t.key, t.st, &variant{id: t.id, val: val, node: n, token: token, expires: expires, read: t.read, elem: t.elem >= 0})
	}
}

// await waits for o, sent to n, and returns its reply at index i.
func (c *Cache) await(ctx context.Context, n *node, o *op, i int) (*Value, error) {
	timer := time.NewTimer(c.opts.FillTimeout)
	defer timer.Stop()
	select {
	case <-o.done:
	case <-ctx.Done():
		c.fillErrors.Add(1)
		return nil, ctx.Err()
	case <-timer.C:
		c.fillErrors.Add(1)
		return nil, fmt.Errorf("nearcache: fill from %s: no reply within %v", n.cfg.Addr, c.opts.FillTimeout)
	case <-c.stop:
		return nil, ErrClosed
	}
	if o.err != nil {
		c.fillErrors.Add(1)
		return nil, fmt.Errorf("%w: %v", ErrNotConnected, o.err)
	}
	return &o.replies[i], nil
}

// nodeFor returns the node that serves key, creating it (and starting its
// goroutine) on first use.
func (c *Cache) nodeFor(ctx context.Context, key string) (*node, error) {
	cfg, err := c.opts.Topology(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotConnected, err)
	}
	return c.node(cfg)
}

// node returns the node of cfg.Addr, creating it on first use.
func (c *Cache) node(cfg NodeConfig) (*node, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if n := c.nodes[cfg.Addr]; n != nil {
		return n, nil
	}
	n := c.newNode(cfg)
	c.nodes[cfg.Addr] = n
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		n.run()
	}()
	return n, nil
}

// Connect starts connecting to the node of cfg now rather than on the first
// fill, so that the first hot reads find the connection up and Stats
// reports the node's mode early. It does not wait.
func (c *Cache) Connect(cfg NodeConfig) error {
	_, err := c.node(cfg)
	return err
}

// FlushNode drops the entries of the node at addr, for reason. The
// middleware calls it when a command through the client is answered with
// MOVED or ASK by that node.
func (c *Cache) FlushNode(addr string, reason FlushReason) {
	c.mu.Lock()
	n := c.nodes[addr]
	c.mu.Unlock()
	if n == nil {
		return
	}
	if reason == FlushSlots {
		n.slotsMoved()
		return
	}
	n.flush(reason)
}
