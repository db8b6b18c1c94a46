package redhot

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/command"
	"github.com/redhot/redhot/heat"
	"github.com/redhot/redhot/internal/keyslot"
	"github.com/redhot/redhot/nearcache"
)

// hook is the Middleware's go-redis hook on the client it was attached to.
type hook struct{ m *Middleware }

var _ redis.Hook = hook{}

func (h hook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook wraps the processing of single commands. go-redis builds one
// wrapper per client and per clone of it: a Tx made by Watch gets its own.
// A wrapper that has seen WATCH never answers from the cache again, so
// that a transaction's optimistic check compares against what the server
// holds, not a cached copy.
func (h hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	var watched atomic.Bool
	return func(ctx context.Context, cmd redis.Cmder) error {
		return h.m.process(ctx, cmd, next, &watched)
	}
}

// ProcessPipelineHook wraps pipelines and MULTI/EXEC transactions: every
// command is observed and writes drop their keys, but reads in a pipeline
// are not answered from the cache (a pipeline may run on a Tx after WATCH,
// which the hook cannot tell).
func (h hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		return h.m.processPipeline(ctx, cmds, next, true)
	}
}

// nodeHook is attached to each node client of a cluster client. It sees
// every attempt of a command on a node, after the cluster client's hook
// saw the command once: it drops the node's entries on MOVED and ASK, and
// guards the writes of Watch transactions, which run on node clients
// directly.
type nodeHook struct {
	m    *Middleware
	addr string
}

func (h nodeHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h nodeHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.m.closed.Load() {
			return next(ctx, cmd)
		}
		w := h.m.writesOf(cmd.Args(), false)
		w.begin(h.m.cache)
		err := next(ctx, cmd)
		w.end(h.m.cache)
		h.moved(cmd.Err())
		return err
	}
}

func (h nodeHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.m.closed.Load() {
			return next(ctx, cmds)
		}
		err := h.m.processPipeline(ctx, cmds, next, false)
		for _, cmd := range cmds {
			h.moved(cmd.Err())
		}
		return err
	}
}

// moved drops the node's entries if err is a MOVED or ASK redirection:
// the node no longer serves (all of) a slot it was filled from.
func (h nodeHook) moved(err error) {
	if err == nil || h.m.cache == nil {
		return
	}
	if msg := err.Error(); strings.HasPrefix(msg, "MOVED ") || strings.HasPrefix(msg, "ASK ") {
		h.m.cache.FlushNode(h.addr, nearcache.FlushSlots)
	}
}

// writes are the keys a command may change, or all of them.
type writes struct {
	keys []string
	all  bool
}

func (w *writes) begin(c *nearcache.Cache) {
	if c == nil {
		return
	}
	if w.all {
		c.BeginWriteAll()
	}
	for _, k := range w.keys {
		c.BeginWrite(k)
	}
}

func (w *writes) end(c *nearcache.Cache) {
	if c == nil {
		return
	}
	for _, k := range w.keys {
		c.EndWrite(k)
	}
	if w.all {
		c.EndWriteAll()
	}
}

// writesOf returns what the command line args may change, and observes
// its keys if observe is set. A command that the table does not know, or
// that writes without declaring keys (FLUSHALL, FLUSHDB, SWAPDB, EVAL with
// no keys, FUNCTION LOAD), may change anything.
func (m *Middleware) writesOf(args []any, observe bool) writes {
	var w writes
	var kb [8]command.Key
	t := m.table.Load()
	spec := t.FindAny(args)
	keys := spec.KeysAny(args, kb[:0])
	if observe {
		m.commands.add(1)
		m.access.add(uint64(len(keys)))
	}
	for _, k := range keys {
		if observe {
			m.observe(args[k.Pos], k.Access)
		}
		if k.Access == command.Write {
			if s, ok := keyString(args[k.Pos]); ok {
				w.keys = append(w.keys, s)
			} else {
				w.all = true
			}
		}
	}
	if (spec == nil && !readOnlyContainer(t, args)) || (spec.IsWrite() && len(w.keys) == 0) {
		w.all = len(args) > 0
	}
	return w
}

// readOnlyContainer reports whether args is an unknown subcommand of a
// known container command none of whose known subcommands writes, such as
// CLIENT SETINFO (Redis 7.2) against Redis 7.0's table: go-redis sends it
// on every new connection, and it changes no key.
func readOnlyContainer(t *command.Table, args []any) bool {
	if len(args) < 2 {
		return false
	}
	name, ok := args[0].(string)
	if !ok {
		return false
	}
	c, ok := t.Lookup(name)
	if !ok || len(c.Subcommands) == 0 {
		return false
	}
	for i := range c.Subcommands {
		if c.Subcommands[i].IsWrite() {
			return false
		}
	}
	return true
}

// observe tells the tracker about one key access.
func (m *Middleware) observe(arg any, a command.Access) {
	op := heat.Read
	if a == command.Write {
		op = heat.Write
	}
	switch k := arg.(type) {
	case string:
		m.tracker.Observe(k, op)
	case []byte:
		m.tracker.ObserveBytes(k, op)
	default:
		if s, ok := argString(arg); ok {
			m.tracker.Observe(s, op)
		}
	}
}

// keyString returns a key argument as a string.
func keyString(arg any) (string, bool) {
	if s, ok := arg.(string); ok {
		return s, true
	}
	return argString(arg)
}

// process is the hook on one command. Commands the cache does not answer
// go through send: to a replica if the replica router routes them, else
// next. After WATCH everything goes through next, on the transaction's
// connection to the primary.
func (m *Middleware) process(ctx context.Context, cmd redis.Cmder, next redis.ProcessHook, watched *atomic.Bool) error {
	if m.closed.Load() {
		return next(ctx, cmd)
	}
	args := cmd.Args()
	w := m.writesOf(args, true)
	if w.all || len(w.keys) > 0 {
		w.begin(m.cache)
		err := m.send(ctx, cmd, next)
		w.end(m.cache)
		return err
	}
	if len(args) < 2 {
		return m.send(ctx, cmd, next)
	}
	name := cmd.Name()
	if name == "watch" {
		watched.Store(true)
		return next(ctx, cmd)
	}
	if watched.Load() {
		return next(ctx, cmd)
	}
	if m.cache == nil || !cacheable[name] {
		return m.send(ctx, cmd, next)
	}
	var served bool
	var err error
	if name == "mget" {
		served, err = m.serveMGet(ctx, cmd, args)
	} else {
		served, err = m.serveRead(ctx, cmd, name, args)
	}
	if served {
		return err
	}
	return m.send(ctx, cmd, next)
}

// serveRead answers a single-key cacheable read from the cache, or fills
// the cache with it if the key is wanted. It reports false when the
// command must go to Redis the usual way.
func (m *Middleware) serveRead(ctx context.Context, cmd redis.Cmder, name string, args []any) (bool, error) {
	key, ok := keyString(args[1])
	if !ok {
		return false, nil
	}
	var id string
	switch {
	case name == "get" && len(args) == 2:
		id = nearcache.IDGet
	case name == "get" || (name == "exists" && len(args) != 2):
		return false, nil
	default:
		rest := make([]string, len(args)-2)
		for i, a := range args[2:] {
			if rest[i], ok = argString(a); !ok {
				return false, nil
			}
		}
		id = nearcache.VariantID(name, rest...)
	}
	if v := m.cache.Lookup(key, id); v != nil && setReply(cmd, name, v, m.proto) {
		return true, cmd.Err()
	}
	if !m.wants(key) {
		return false, nil
	}
	line := make([]string, len(args))
	for i, a := range args {
		if line[i], ok = argString(a); !ok {
			return false, nil
		}
	}
	v, err := m.cache.Fill(ctx, &nearcache.Fill{Args: line, Keys: []string{key}, ID: id})
	if err != nil {
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		return false, nil
	}
	if setReply(cmd, name, v, m.proto) {
		return true, cmd.Err()
	}
	return false, nil
}

// serveMGet answers MGET from the cache where it can, fetching the keys it
// misses together in one MGET on the near cache's connection (which caches
// the wanted ones among them). Cold MGETs go to Redis untouched.
func (m *Middleware) serveMGet(ctx context.Context, cmd redis.Cmder, args []any) (bool, error) {
	keys := make([]string, len(args)-1)
	for i, a := range args[1:] {
		var ok bool
		if keys[i], ok = keyString(a); !ok {
			return false, nil
		}
	}
	vals := make([]any, len(keys))
	var missing []int
	for i, k := range keys {
		v := m.cache.Lookup(k, nearcache.IDMGet)
		if v == nil {
			v = m.cache.Lookup(k, nearcache.IDGet)
		}
		switch {
		case v == nil:
			missing = append(missing, i)
		case v.Kind == nearcache.KindNull:
			vals[i] = nil
		case v.Kind == nearcache.KindString:
			vals[i] = v.Str
		default:
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		line := make([]string, 1, 1+len(missing))
		line[0] = "MGET"
		fetch := make([]string, len(missing))
		skip := make([]bool, len(missing))
		wanted := 0
		slot := -1
		for j, i := range missing {
			fetch[j] = keys[i]
			skip[j] = !m.wants(keys[i])
			if !skip[j] {
				wanted++
			}
			if m.cluster != nil {
				s := keyslot.Slot(keys[i])
				if slot >= 0 && s != slot {
					return false, nil // the misses span slots: let go-redis route it
				}
				slot = s
			}
		}
		if wanted == 0 && len(missing) == len(keys) {
			return false, nil
		}
		line = append(line, fetch...)
		v, err := m.cache.Fill(ctx, &nearcache.Fill{Args: line, Keys: fetch, Skip: skip, Multi: true, ID: nearcache.IDMGet})
		if err != nil {
			if ctx.Err() != nil {
				return true, ctx.Err()
			}
			return false, nil
		}
		if v.Kind != nearcache.KindArray || len(v.Elems) != len(missing) {
			return false, nil
		}
		for j, i := range missing {
			e := &v.Elems[j]
			switch e.Kind {
			case nearcache.KindNull:
				vals[i] = nil
			case nearcache.KindString:
				vals[i] = e.Str
			default:
				return false, nil
			}
		}
	}
	switch c := cmd.(type) {
	case *redis.SliceCmd:
		c.SetVal(vals)
	case *redis.Cmd:
		c.SetVal(vals)
	default:
		return false, nil
	}
	return true, nil
}

// processPipeline observes (if observe) and guards the writes of a
// pipeline or transaction around next.
func (m *Middleware) processPipeline(ctx context.Context, cmds []redis.Cmder, next redis.ProcessPipelineHook, observe bool) error {
	if m.closed.Load() {
		return next(ctx, cmds)
	}
	var all writes
	for _, cmd := range cmds {
		w := m.writesOf(cmd.Args(), observe)
		all.all = all.all || w.all
		all.keys = append(all.keys, w.keys...)
	}
	if observe && m.router != nil {
		// Pipelines go to the primary whole; their writes still keep
		// later reads of the keys on the primary.
		m.router.NotePipeline(cmds)
	}
	all.begin(m.cache)
	err := next(ctx, cmds)
	all.end(m.cache)
	return err
}
