package split

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ReadFrom says which copy of a Value a Get reads.
type ReadFrom int

const (
	// ReadRandom reads a copy chosen at random: the load spreads evenly
	// over the copies, and so over the primaries.
	ReadRandom ReadFrom = iota
	// ReadNearest reads a random copy among those on the primary with the
	// lowest round-trip time at the last refresh (see
	// Options.RefreshInterval); a random copy before the first refresh
	// and on a standalone server.
	ReadNearest
)

// ValueOptions configure a Value.
type ValueOptions struct {
	// Copies is the number of copies, 1 to MaxShards. Every process using
	// the same key must use the same number: it is part of the copy keys'
	// names.
	// default: DefaultShards (12)
	Copies int

	// Read chooses the copy each Get reads.
	// default: ReadRandom
	Read ReadFrom

	// VerifyEvery makes one Get in VerifyEvery (at random) read every copy,
	// as Verify does, so that an update that reached only some copies (its
	// writer failed half-way) is found and completed even while no copy is
	// missing. A negative value turns the sampling off.
	// default: 100
	VerifyEvery int

	// TombstoneTTL is how long the marker Delete leaves in each copy lives:
	// a copy that missed the Delete and is read within that time is
	// repaired to deleted, not the other copies to its old value.
	// default: 1 minute
	TombstoneTTL time.Duration
}

// Value is a read-hot value kept as several copies on distinct slots (and
// primaries): Set writes every copy, Get reads one.
//
// Each copy is a Redis hash with fields v (version), w (writer) and d (the
// data; absent in the tombstone Delete writes). Writes go through a script
// that leaves a copy alone if it already holds the same or a newer
// version, so copies only move forward and a late or repeated write is
// harmless. Versions order writes across processes: microseconds of the
// writer's clock (Options.Now), never below a version the Value has
// already written or read, ties broken by a random writer ID. So the
// newest Set wins everywhere (last writer wins, by the writers' clocks).
//
// Repair. A Get that finds its copy missing (expired early, lost in a
// failover, never written because a Set failed there), or older than a
// version this Value has already seen, reads every copy, returns the
// newest and rewrites the copies that are missing or older with it, with
// the newest copy's remaining TTL (one more round trip, only then). One
// Get in VerifyEvery does the same unprompted, which is how a half-applied
// update is noticed when no copy is missing: an update that reached at
// least one copy is rolled forward to all; one that reached none never
// happened. Verify does it on demand and reports what it found. When the
// read of every copy finds none (the value expired or was never set),
// Gets that find their copy missing return redis.Nil for the next 100 ms
// without reading every copy again, so an expired hot value does not
// multiply its load by the copy count.
//
// A single Value reads its own writes and does not go back to an older
// version while a copy holding the newer one can be read; two processes
// may briefly see different versions while a Set is under way, as with
// any replicated store.
type Value struct {
	layout
	read        ReadFrom
	verifyEvery int
	tombstone   int64 // milliseconds
	writer      int64 // this Value's tie-break, in [1, 2^50)

	last atomic.Int64 // the newest version this Value wrote or read

	// absentUntil (Options.Now, UnixNano) is set for absentWindow when a
	// read of every copy found none, so that Gets of a key that expired
	// or was never set do not each read every copy: a hot key that
	// expires would otherwise multiply its load by the copy count.
	absentUntil atomic.Int64

	near atomic.Pointer[nearest] // ReadNearest's candidates for one slot map
}

// nearest caches, for one slot map, the copies on the fastest primary.
type nearest struct {
	view   *slotView
	copies []int
}

// absentWindow is how long a Get that finds its copy missing trusts a read
// of every copy that found none, rather than reading every copy again.
const absentWindow = 100 * time.Millisecond

// Value returns a replicated value stored under key. It does no I/O.
func (s *Splitter) Value(key string, opts ValueOptions) (*Value, error) {
	if err := s.checkKey(key, opts.Copies, "ValueOptions.Copies"); err != nil {
		return nil, err
	}
	switch {
	case opts.Read != ReadRandom && opts.Read != ReadNearest:
		return nil, fmt.Errorf("%w: ValueOptions.Read = %d", ErrInvalidOptions, opts.Read)
	case opts.TombstoneTTL < 0 || (opts.TombstoneTTL > 0 && opts.TombstoneTTL < time.Millisecond):
		return nil, fmt.Errorf("%w: ValueOptions.TombstoneTTL = %v (want 0 or at least 1ms)", ErrInvalidOptions, opts.TombstoneTTL)
	}
	if opts.VerifyEvery == 0 {
		opts.VerifyEvery = 100
	}
	if opts.TombstoneTTL == 0 {
		opts.TombstoneTTL = time.Minute
	}
	return &Value{
		layout:      s.newLayout(key, opts.Copies),
		read:        opts.Read,
		verifyEvery: opts.VerifyEvery,
		tombstone:   opts.TombstoneTTL.Milliseconds(),
		writer:      1 + rand.Int64N(1<<50-1),
	}, nil
}

// record is one copy as read.
type record struct {
	ok      bool   // the copy exists
	version int64  // v
	writer  int64  // w
	deleted bool   // a tombstone
	data    string // d
	ttl     int64  // PTTL in milliseconds; -1 without TTL
}

// newer reports whether r holds a newer write than o.
func (r record) newer(o record) bool {
	if !o.ok {
		return r.ok
	}
	return r.ok && (r.version > o.version || r.version == o.version && r.writer > o.writer)
}

// Set writes value to every copy, in one round trip per node, with ttl on
// each (0: no expiry). If some copies fail, Set returns a *ShardError: the
// update is half-applied, and readers complete it (see the type's
// documentation); call Set again to be sure.
func (v *Value) Set(ctx context.Context, value string, ttl time.Duration) error {
	if ttl < 0 || (ttl > 0 && ttl < time.Millisecond) {
		return fmt.Errorf("%w: ttl = %v (want 0 or at least 1ms)", ErrInvalidOptions, ttl)
	}
	return v.write(ctx, "set", record{ok: true, data: value}, ttl.Milliseconds())
}

// Delete replaces every copy with a tombstone that lives
// ValueOptions.TombstoneTTL, in one round trip per node; Get then returns
// redis.Nil.
func (v *Value) Delete(ctx context.Context) error {
	return v.write(ctx, "delete", record{ok: true, deleted: true}, v.tombstone)
}

// write writes r, with a new version, to every copy.
func (v *Value) write(ctx context.Context, name string, r record, ttl int64) error {
	v.absentUntil.Store(0)
	r.version, r.writer = v.nextVersion(), v.writer
	ops := v.copyOps(ctx, r, ttl, nil)
	if err := v.s.run(ctx, ops); err != nil {
		return err
	}
	return shardErrors(name, v.key, ops, classify)
}

// nextVersion returns a version newer than any this Value has seen.
func (v *Value) nextVersion() int64 {
	now := v.s.opts.Now().UnixMicro()
	for {
		last := v.last.Load()
		n := max(now, last+1)
		if v.last.CompareAndSwap(last, n) {
			return n
		}
	}
}

// saw records that version exists.
func (v *Value) saw(version int64) {
	for {
		last := v.last.Load()
		if version <= last || v.last.CompareAndSwap(last, version) {
			return
		}
	}
}

// copyOps returns the writes of r to the copies listed in which (all if
// nil).
func (v *Value) copyOps(ctx context.Context, r record, ttl int64, which []int) []op {
	flag, data := "1", r.data
	if r.deleted {
		flag, data = "0", ""
	}
	if which == nil {
		which = make([]int, len(v.keys))
		for i := range which {
			which[i] = i
		}
	}
	ops := make([]op, len(which))
	for j, i := range which {
		k := v.keys[i]
		ops[j] = op{cmd: redis.NewCmd(ctx, copySet.eval(k, r.version, r.writer, flag, data, max(ttl, 0))...), key: k, shard: i}
	}
	return ops
}

// Get returns the value from one copy, in one round trip, or redis.Nil if
// there is none (never set, expired, deleted). A missing or stale copy
// makes it read them all and repair them (see the type's documentation).
func (v *Value) Get(ctx context.Context) (string, error) {
	if v.s.closed.Load() {
		return "", ErrClosed
	}
	if v.verifyEvery > 0 && v.s.opts.Rand(v.verifyEvery) == 0 {
		r, _, err := v.readAll(ctx)
		return r.result(err)
	}
	i := v.pick()
	cmd := redis.NewSliceCmd(ctx, "hmget", v.keys[i], "v", "w", "d")
	_ = v.s.client.Process(ctx, cmd)
	r, err := parseRecord(cmd)
	if err == nil && !r.ok && v.s.opts.Now().UnixNano() < v.absentUntil.Load() {
		return "", redis.Nil // every copy was missing a moment ago
	}
	if err != nil || !r.ok || r.version < v.last.Load() {
		// A failed node, a missing copy or an old one: ask them all.
		r, _, err = v.readAll(ctx)
		return r.result(err)
	}
	v.saw(r.version)
	return r.result(nil)
}

// result returns what Get returns for r.
func (r record) result(err error) (string, error) {
	switch {
	case err != nil:
		return "", err
	case !r.ok || r.deleted:
		return "", redis.Nil
	}
	return r.data, nil
}

// pick returns the copy a Get reads.
func (v *Value) pick() int {
	if v.read == ReadNearest {
		if view := v.s.view.Load(); view != nil {
			n := v.near.Load()
			if n == nil || n.view != view {
				n = &nearest{view: view, copies: view.nearest(v.slots)}
				v.near.Store(n)
			}
			if len(n.copies) > 0 {
				return n.copies[v.s.opts.Rand(len(n.copies))]
			}
		}
	}
	return v.s.opts.Rand(len(v.keys))
}

// parseRecord decodes the reply to HMGET copy v w d.
func parseRecord(cmd *redis.SliceCmd) (record, error) {
	vals, err := cmd.Result()
	if err != nil {
		return record{}, err
	}
	if len(vals) != 3 {
		return record{}, fmt.Errorf("split: HMGET returned %d values, want 3", len(vals))
	}
	vs, _ := vals[0].(string)
	if vs == "" {
		return record{}, nil
	}
	var r record
	r.ok = true
	if r.version, err = strconv.ParseInt(vs, 10, 64); err != nil {
		return record{}, fmt.Errorf("split: copy version %q: %w", vs, err)
	}
	ws, _ := vals[1].(string)
	r.writer, _ = strconv.ParseInt(ws, 10, 64)
	if d, ok := vals[2].(string); ok {
		r.data = d
	} else {
		r.deleted = true
	}
	return r, nil
}

// Report is what Verify found.
type Report struct {
	// Version is the newest version found; 0 if no copy exists.
	Version int64
	// Deleted says the newest version is a tombstone.
	Deleted bool
	// Missing lists the copies that did not exist although another did.
	Missing []int
	// Stale lists the copies that held an older version.
	Stale []int
	// Failed lists the copies that could not be read or repaired.
	Failed []int
	// Repaired is how many copies were rewritten with the newest version.
	Repaired int
}

// Consistent reports whether every copy held the newest version.
func (r Report) Consistent() bool {
	return len(r.Missing) == 0 && len(r.Stale) == 0 && len(r.Failed) == 0
}

// Verify reads every copy (one round trip per node), rewrites the missing
// and older ones with the newest (one more, if any), and reports what it
// found. Copies that cannot be read are listed as Failed, and the newest
// of the others is used; Verify fails only if no copy can be read.
func (v *Value) Verify(ctx context.Context) (Report, error) {
	_, rep, err := v.readAll(ctx)
	return rep, err
}

// readAll reads every copy, repairs the missing and older ones and
// returns the newest.
func (v *Value) readAll(ctx context.Context) (record, Report, error) {
	var rep Report
	ops := make([]op, 0, 2*len(v.keys))
	for i, k := range v.keys {
		ops = append(ops,
			op{cmd: redis.NewSliceCmd(ctx, "hmget", k, "v", "w", "d"), key: k, shard: i},
			op{cmd: redis.NewIntCmd(ctx, "pttl", k), key: k, shard: i})
	}
	if err := v.s.runReads(ctx, ops); err != nil {
		return record{}, rep, err
	}
	recs := make([]record, len(v.keys))
	var best record
	bestAt := -1
	var firstErr error
	for i := range v.keys {
		r, err := parseRecord(ops[2*i].cmd.(*redis.SliceCmd))
		if err == nil {
			r.ttl, err = ops[2*i+1].cmd.(*redis.IntCmd).Result()
		}
		if err != nil {
			rep.Failed = append(rep.Failed, i)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if r.ok && r.ttl == -2 {
			r.ok = false // expired between the two commands
		}
		recs[i] = r
		if r.newer(best) {
			best, bestAt = r, i
		}
	}
	if len(rep.Failed) == len(v.keys) {
		return record{}, rep, fmt.Errorf("split: read copies of %q: %w", v.key, firstErr)
	}
	if bestAt < 0 {
		if len(rep.Failed) == 0 {
			v.absentUntil.Store(v.s.opts.Now().Add(absentWindow).UnixNano())
		}
		return record{}, rep, nil // no copy at all
	}
	rep.Version, rep.Deleted = best.version, best.deleted
	var fix []int
	for i, r := range recs {
		switch {
		case slices.Contains(rep.Failed, i):
		case !r.ok:
			rep.Missing = append(rep.Missing, i)
			fix = append(fix, i)
		case best.newer(r):
			rep.Stale = append(rep.Stale, i)
			fix = append(fix, i)
		}
	}
	v.saw(best.version)
	if len(fix) == 0 {
		return best, rep, nil
	}
	ttl := best.ttl
	if ttl < 0 {
		ttl = 0
	}
	wops := v.copyOps(ctx, best, ttl, fix)
	if err := v.s.run(ctx, wops); err != nil {
		return best, rep, nil // the value is known; the repair will be retried
	}
	for _, o := range wops {
		if o.cmd.Err() != nil {
			rep.Failed = append(rep.Failed, o.shard)
		} else {
			rep.Repaired++
		}
	}
	return best, rep, nil
}

// Expire sets ttl on every copy of the newest version (0 removes their
// TTL), after a Verify to bring every copy to it. It does nothing if no
// copy exists. A Set racing with it keeps its own TTL.
func (v *Value) Expire(ctx context.Context, ttl time.Duration) error {
	if ttl < 0 || (ttl > 0 && ttl < time.Millisecond) {
		return fmt.Errorf("%w: ttl = %v (want 0 or at least 1ms)", ErrInvalidOptions, ttl)
	}
	best, _, err := v.readAll(ctx)
	if err != nil || !best.ok || best.deleted {
		return err
	}
	ops := make([]op, len(v.keys))
	for i, k := range v.keys {
		ops[i] = op{cmd: redis.NewCmd(ctx, copyExpire.eval(k, strconv.FormatInt(best.version, 10), strconv.FormatInt(best.writer, 10), ttl.Milliseconds())...), key: k, shard: i}
	}
	if err := v.s.run(ctx, ops); err != nil {
		return err
	}
	return shardErrors("expire", v.key, ops, classify)
}

// runReads is run for commands that read: the same grouping, without
// WAIT.
func (s *Splitter) runReads(ctx context.Context, ops []op) error {
	if s.closed.Load() {
		return ErrClosed
	}
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, o := range ops {
			_ = p.Process(ctx, o.cmd)
		}
		return nil
	})
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}
