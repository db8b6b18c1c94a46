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
// with the cache and must not be modified.
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
	const read = 0
	type pending struct {
		key   string
		i     int // element of a Multi reply
		st    stamp
		reply int // index of its PTTL reply
	}
	keys := make([]pending, 0, len(f.Keys))
	for i, k := range f.Keys {
		if f.Skip != nil && f.Skip[i] {
			continue
		}
		keys = append(keys, pending{key: k, i: i, st: c.stampOf(k), reply: len(cmds)})
		cmds = append(cmds, []string{"PTTL", k})
	}
	token := n.token.Load()

	o := newOp(func(o *op) {
		// On the reader goroutine, in order with invalidations.
		if s.mode == ModeTracking {
			n.ack(o.sentAt)
		}
		r := &o.replies[read]
		if r.Kind == KindError {
			if strings.HasPrefix(r.Str, "MOVED ") || strings.HasPrefix(r.Str, "ASK ") {
				n.slotsMoved()
				if c.opts.OnMoved != nil {
					c.opts.OnMoved()
				}
			}
			return
		}
		if o.killed {
			c.discarded.Add(uint64(len(keys)))
			return
		}
		if f.Multi && (r.Kind != KindArray || len(r.Elems) != len(f.Keys)) {
			return
		}
		ttl := c.ttl(s.mode)
		for _, p := range keys {
			val := *r
			if f.Multi {
				val = r.Elems[p.i]
			}
			if val.Kind == KindError {
				continue
			}
			expires := o.sentAt + ttl
			if pt := &o.replies[p.reply]; pt.Kind == KindInt && pt.Int >= 0 {
				// PTTL is the key's expiry minus the server's clock
				// truncated to the millisecond, so up to a millisecond
				// long; and hits read a clock that may lag by margin.
				expires = min(expires, o.sentAt+(pt.Int-1)*int64(time.Millisecond)-c.margin)
			}
			c.publish(p.key, p.st, &variant{id: f.ID, val: val, node: n, token: token, expires: expires})
		}
	}, cmds...)
	o.read = read
	o.keys = make([]string, len(keys))
	for i, p := range keys {
		o.keys[i] = p.key
	}
	o.sentAt = c.realNow()
	if err := s.fill.send(o); err != nil {
		c.fillErrors.Add(1)
		return nil, fmt.Errorf("%w: %v", ErrNotConnected, err)
	}

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
	return &o.replies[read], nil
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
