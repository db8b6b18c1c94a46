package split

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ShardedOptions configure a Sharded key, Set or Hash.
type ShardedOptions struct {
	// Shards is the number of shard keys, 1 to MaxShards. Every process
	// (and language) using the same key must use the same number: it
	// decides both the shard keys' names and which shard holds a sub-key.
	// default: DefaultShards (12)
	Shards int
}

// Sharded is one big logical key spread over shard keys by sub-key: the
// sub-key sub (a member, a field, a user ID) lives in shard ShardOf(sub,
// n), whose name is ShardKey(key, shard, n, cluster). Another process, in
// any language, finds the same shard with the documented hash and naming.
// Use KeyFor to run any command on the right shard; Set and Hash are
// built on it.
type Sharded struct {
	layout
}

// Sharded returns a hash-sharded key. It does no I/O.
func (s *Splitter) Sharded(key string, opts ShardedOptions) (*Sharded, error) {
	if err := s.checkKey(key, opts.Shards, "ShardedOptions.Shards"); err != nil {
		return nil, err
	}
	return &Sharded{layout: s.newLayout(key, opts.Shards)}, nil
}

// Shard returns the shard that holds sub: ShardOf(sub, shards).
func (k *Sharded) Shard(sub string) int { return ShardOf(sub, len(k.keys)) }

// KeyFor returns the name of the shard key that holds sub.
func (k *Sharded) KeyFor(sub string) string { return k.keys[k.Shard(sub)] }

// Expire sets ttl on every shard that exists (0 removes their TTLs), in
// one round trip per node.
func (k *Sharded) Expire(ctx context.Context, ttl time.Duration) error { return k.expire(ctx, ttl) }

// Delete deletes every shard, in one round trip per node.
func (k *Sharded) Delete(ctx context.Context) error { return k.del(ctx) }

// group returns subs grouped by shard, in shard order.
func (k *Sharded) group(subs []string) map[int][]string {
	g := make(map[int][]string)
	for _, m := range subs {
		i := k.Shard(m)
		g[i] = append(g[i], m)
	}
	return g
}

// each runs one command per shard and returns the ops.
func (k *Sharded) each(ctx context.Context, name string) ([]op, error) {
	ops := make([]op, len(k.keys))
	for i, key := range k.keys {
		switch name {
		case "smembers":
			ops[i] = op{cmd: redis.NewStringSliceCmd(ctx, name, key), key: key, shard: i}
		case "hgetall":
			ops[i] = op{cmd: redis.NewMapStringStringCmd(ctx, name, key), key: key, shard: i}
		default:
			ops[i] = op{cmd: redis.NewIntCmd(ctx, name, key), key: key, shard: i}
		}
	}
	if err := k.s.runReads(ctx, ops); err != nil {
		return nil, err
	}
	return ops, shardErrors(name, k.key, ops, nil)
}

// sum runs name (SCARD, HLEN) on every shard and adds the replies.
func (k *Sharded) sum(ctx context.Context, name string) (int64, error) {
	ops, err := k.each(ctx, name)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, o := range ops {
		n += o.cmd.(*redis.IntCmd).Val()
	}
	return n, nil
}

// writeGrouped runs name (SADD, SREM, HDEL) with each shard's sub-keys, in
// one round trip per node, and adds the replies. args maps a shard's
// sub-keys to the command's arguments after the key.
func (k *Sharded) writeGrouped(ctx context.Context, name string, subs []string, args func([]string) []any) (int64, error) {
	if len(subs) == 0 {
		return 0, nil
	}
	var ops []op
	for i, g := range k.group(subs) {
		a := append([]any{name, k.keys[i]}, args(g)...)
		ops = append(ops, op{cmd: redis.NewIntCmd(ctx, a...), key: k.keys[i], shard: i})
	}
	if err := k.s.run(ctx, ops); err != nil {
		return 0, err
	}
	var n int64
	for _, o := range ops {
		n += o.cmd.(*redis.IntCmd).Val()
	}
	return n, shardErrors(name, k.key, sortOps(ops), classify)
}

// sortOps sorts ops by shard, for errors listed in shard order.
func sortOps(ops []op) []op {
	for i := 1; i < len(ops); i++ {
		for j := i; j > 0 && ops[j].shard < ops[j-1].shard; j-- {
			ops[j], ops[j-1] = ops[j-1], ops[j]
		}
	}
	return ops
}

func strings2any(s []string) []any {
	a := make([]any, len(s))
	for i, x := range s {
		a[i] = x
	}
	return a
}

// Set is a big set spread over shard sets by member (see Sharded). Each
// member lives in exactly one shard, so SCARD and SMEMBERS add up the
// shards without duplicates.
type Set struct {
	Sharded
}

// Set returns a sharded set. It does no I/O.
func (s *Splitter) Set(key string, opts ShardedOptions) (*Set, error) {
	k, err := s.Sharded(key, opts)
	if err != nil {
		return nil, err
	}
	return &Set{Sharded: *k}, nil
}

// SAdd adds members, one SADD per shard involved, in one round trip per
// node, and returns how many were new. On a *ShardError the count covers
// the shards that succeeded.
func (s *Set) SAdd(ctx context.Context, members ...string) (int64, error) {
	return s.writeGrouped(ctx, "sadd", members, strings2any)
}

// SRem removes members, like SAdd, and returns how many were there.
func (s *Set) SRem(ctx context.Context, members ...string) (int64, error) {
	return s.writeGrouped(ctx, "srem", members, strings2any)
}

// SIsMember reports whether member is in the set: one SISMEMBER on its
// shard.
func (s *Set) SIsMember(ctx context.Context, member string) (bool, error) {
	if s.s.closed.Load() {
		return false, ErrClosed
	}
	return s.s.client.SIsMember(ctx, s.KeyFor(member), member).Result()
}

// SMembers returns every member: SMEMBERS on every shard, in one round
// trip per node. Fine for thousands of members; for millions, SSCAN each
// shard key (Keys) instead.
func (s *Set) SMembers(ctx context.Context) ([]string, error) {
	ops, err := s.each(ctx, "smembers")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range ops {
		out = append(out, o.cmd.(*redis.StringSliceCmd).Val()...)
	}
	return out, nil
}

// SCard returns the number of members: SCARD on every shard, in one round
// trip per node.
func (s *Set) SCard(ctx context.Context) (int64, error) { return s.sum(ctx, "scard") }

// Hash is a big hash spread over shard hashes by field (see Sharded).
type Hash struct {
	Sharded
}

// Hash returns a sharded hash. It does no I/O.
func (s *Splitter) Hash(key string, opts ShardedOptions) (*Hash, error) {
	k, err := s.Sharded(key, opts)
	if err != nil {
		return nil, err
	}
	return &Hash{Sharded: *k}, nil
}

// HSet sets fields from field, value pairs, one HSET per shard involved,
// in one round trip per node, and returns how many fields were new.
func (h *Hash) HSet(ctx context.Context, pairs ...string) (int64, error) {
	if len(pairs)%2 != 0 {
		return 0, fmt.Errorf("%w: HSet needs field, value pairs; got %d arguments", ErrInvalidOptions, len(pairs))
	}
	values := make(map[string]string, len(pairs)/2)
	fields := make([]string, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		if _, dup := values[pairs[i]]; !dup {
			fields = append(fields, pairs[i])
		}
		values[pairs[i]] = pairs[i+1] // the last value of a repeated field wins, as in HSET
	}
	return h.writeGrouped(ctx, "hset", fields, func(fs []string) []any {
		a := make([]any, 0, 2*len(fs))
		for _, f := range fs {
			a = append(a, f, values[f])
		}
		return a
	})
}

// HDel deletes fields, one HDEL per shard involved, and returns how many
// existed.
func (h *Hash) HDel(ctx context.Context, fields ...string) (int64, error) {
	return h.writeGrouped(ctx, "hdel", fields, strings2any)
}

// HGet returns the value of field, or redis.Nil: one HGET on its shard.
func (h *Hash) HGet(ctx context.Context, field string) (string, error) {
	if h.s.closed.Load() {
		return "", ErrClosed
	}
	return h.s.client.HGet(ctx, h.KeyFor(field), field).Result()
}

// HGetAll returns every field: HGETALL on every shard, in one round trip
// per node.
func (h *Hash) HGetAll(ctx context.Context) (map[string]string, error) {
	ops, err := h.each(ctx, "hgetall")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string)
	for _, o := range ops {
		for f, v := range o.cmd.(*redis.MapStringStringCmd).Val() {
			out[f] = v
		}
	}
	return out, nil
}

// HLen returns the number of fields: HLEN on every shard, in one round
// trip per node.
func (h *Hash) HLen(ctx context.Context) (int64, error) { return h.sum(ctx, "hlen") }
