package split

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pick says which shard a Counter's increments go to.
type Pick int

const (
	// PickRandom sends each increment to a shard chosen at random: the
	// load spreads evenly whatever the number of writers.
	PickRandom Pick = iota
	// PickSticky sends every increment of one Counter (one process,
	// usually) to the same shard: with many writers the load still spreads,
	// and each writer keeps to one node.
	PickSticky
)

// CounterOptions configure a Counter.
type CounterOptions struct {
	// Shards is the number of shard keys, 1 to MaxShards. Every process
	// counting the same key must use the same number: it is part of the
	// shard keys' names.
	// default: DefaultShards (12)
	Shards int

	// TTL, if set, makes each shard expire TTL after the increment that
	// created it (the INCRBY+PEXPIRE-if-new idiom, atomic in a script), so
	// a windowed counter ("views:2024-05-20") cleans itself up. Expire sets
	// one TTL on every shard at once.
	// default: 0 (shards do not expire)
	TTL time.Duration

	// Pick chooses the shard of each increment.
	// default: PickRandom
	Pick Pick

	// ClientID, with PickSticky, picks the shard as ShardOf(ClientID,
	// Shards), so a client keeps its shard across restarts.
	// default: a shard chosen at random when the Counter is made
	ClientID string
}

// Counter is a write-hot integer counter spread over several shard keys.
// Increments go to one shard each; Total adds them all up.
//
// Guarantee. IncrBy is sent at most once: go-redis does not resend it after
// a failure that may have come after the server received it (it is marked
// NoRetry), so no increment is ever applied twice. An IncrBy that returns
// nil was applied exactly once; one whose error wraps ErrUnknownOutcome
// (connection lost, timeout) was applied once or not at all; any other
// error means it was not applied. Total sums every shard, so, with
// positive deltas,
//
//	acknowledged ≤ Total ≤ acknowledged + unknown
//
// (leaving aside shards that expired or were deleted) for as long as
// Redis keeps what it acknowledged: through slot
// migrations (a key moves whole, atomically) and coordinated failovers
// (CLUSTER FAILOVER waits for the replica to catch up). A primary that
// crashes loses the writes it had not yet replicated; with
// Options.WaitReplicas an acknowledged increment is on that many replicas
// first, and one that was applied but not replicated in time returns an
// error wrapping ErrNotReplicated (count it as unknown).
type Counter struct {
	layout
	ttl    int64 // milliseconds; 0 without TTL
	sticky int   // the shard of PickSticky; -1 for PickRandom
}

// Counter returns a sharded counter stored under key. It does no I/O.
func (s *Splitter) Counter(key string, opts CounterOptions) (*Counter, error) {
	if err := s.checkKey(key, opts.Shards, "CounterOptions.Shards"); err != nil {
		return nil, err
	}
	switch {
	case opts.TTL < 0 || (opts.TTL > 0 && opts.TTL < time.Millisecond):
		return nil, fmt.Errorf("%w: CounterOptions.TTL = %v (want 0 or at least 1ms)", ErrInvalidOptions, opts.TTL)
	case opts.Pick != PickRandom && opts.Pick != PickSticky:
		return nil, fmt.Errorf("%w: CounterOptions.Pick = %d", ErrInvalidOptions, opts.Pick)
	case opts.ClientID != "" && opts.Pick != PickSticky:
		return nil, fmt.Errorf("%w: CounterOptions.ClientID is set but Pick is not PickSticky", ErrInvalidOptions)
	}
	c := &Counter{layout: s.newLayout(key, opts.Shards), ttl: opts.TTL.Milliseconds(), sticky: -1}
	if opts.Pick == PickSticky {
		if opts.ClientID != "" {
			c.sticky = ShardOf(opts.ClientID, len(c.keys))
		} else {
			c.sticky = s.opts.Rand(len(c.keys))
		}
	}
	return c, nil
}

// Incr adds 1 to the counter. See IncrBy.
func (c *Counter) Incr(ctx context.Context) error { return c.IncrBy(ctx, 1) }

// IncrBy adds delta to one shard of the counter, in one round trip. See
// the type's documentation for what its error says about whether delta was
// applied.
func (c *Counter) IncrBy(ctx context.Context, delta int64) error {
	s := c.s
	if s.closed.Load() {
		return ErrClosed
	}
	i := c.sticky
	if i < 0 {
		i = s.opts.Rand(len(c.keys))
	}
	key := c.keys[i]
	var args []any
	if c.ttl > 0 {
		args = incrTTL.evalSha(key, delta, c.ttl)
	} else {
		args = []any{"incrby", key, delta}
	}
	cmd := noRetry{redis.NewCmd(ctx, args...)}
	o := []op{{cmd: cmd, key: key, shard: i}}
	if s.opts.WaitReplicas > 0 {
		if err := s.run(ctx, o); err != nil {
			return err
		}
	} else {
		_ = s.client.Process(ctx, cmd)
	}
	err := cmd.Err()
	if err != nil && c.ttl > 0 && isNoScript(err) {
		// Not applied: the node has not seen the script yet.
		cmd = noRetry{redis.NewCmd(ctx, incrTTL.eval(key, delta, c.ttl)...)}
		o[0].cmd = cmd
		if s.opts.WaitReplicas > 0 {
			if err := s.run(ctx, o); err != nil {
				return err
			}
		} else {
			_ = s.client.Process(ctx, cmd)
		}
		err = cmd.Err()
	}
	if err != nil {
		return fmt.Errorf("split: incrby %q shard %d: %w", c.key, i, classify(err))
	}
	return nil
}

// Total returns the sum of all shards: one GET per shard, in one round trip
// per node. A missing shard counts 0. If any shard cannot be read, Total
// returns a *ShardError and no sum: a partial sum would undercount.
func (c *Counter) Total(ctx context.Context) (int64, error) {
	ops := make([]op, len(c.keys))
	for i, k := range c.keys {
		ops[i] = op{cmd: redis.NewStringCmd(ctx, "get", k), key: k, shard: i}
	}
	if err := c.s.runReads(ctx, ops); err != nil {
		return 0, err
	}
	if err := shardErrors("total", c.key, ops, nil); err != nil {
		return 0, err
	}
	var total int64
	for _, o := range ops {
		v, err := o.cmd.(*redis.StringCmd).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			return 0, fmt.Errorf("split: total %q: shard %d (%s) holds %q, not an integer", c.key, o.shard, o.key, v)
		}
		total += n
	}
	return total, nil
}

// Expire sets ttl on every shard that exists (0 removes their TTLs), in
// one round trip per node. Shards created later get CounterOptions.TTL.
func (c *Counter) Expire(ctx context.Context, ttl time.Duration) error {
	return c.expire(ctx, ttl)
}

// Delete deletes every shard, in one round trip per node. An increment
// racing with it may survive on its shard.
func (c *Counter) Delete(ctx context.Context) error { return c.del(ctx) }

// expire sets ttl on every shard key of l (0: PERSIST).
func (l *layout) expire(ctx context.Context, ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("%w: ttl = %v", ErrInvalidOptions, ttl)
	}
	ops := make([]op, len(l.keys))
	for i, k := range l.keys {
		var cmd redis.Cmder
		if ttl > 0 {
			cmd = redis.NewBoolCmd(ctx, "pexpire", k, max(1, ttl.Milliseconds()))
		} else {
			cmd = redis.NewBoolCmd(ctx, "persist", k)
		}
		ops[i] = op{cmd: cmd, key: k, shard: i}
	}
	if err := l.s.run(ctx, ops); err != nil {
		return err
	}
	return shardErrors("expire", l.key, ops, classify)
}

// del deletes every shard key of l.
func (l *layout) del(ctx context.Context) error {
	ops := make([]op, len(l.keys))
	for i, k := range l.keys {
		ops[i] = op{cmd: redis.NewIntCmd(ctx, "del", k), key: k, shard: i}
	}
	if err := l.s.run(ctx, ops); err != nil {
		return err
	}
	return shardErrors("delete", l.key, ops, classify)
}

// isNoScript reports whether err is Redis's NOSCRIPT reply.
func isNoScript(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr) && len(rerr.Error()) >= 8 && rerr.Error()[:8] == "NOSCRIPT"
}
