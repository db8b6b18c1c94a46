package split

import (
	"strconv"
	"strings"
)

// MaxShards is the largest shard or copy count: one key per slot.
const MaxShards = NumSlots

// ShardSlot returns the slot of shard (or copy) i of n of key in a cluster:
//
//	(Slot(key) + floor(i * 16384 / n)) mod 16384
//
// The n shards sit on n distinct slots spaced evenly around the slot space,
// shard 0 on the key's own slot. A cluster whose primaries own contiguous
// ranges of about equal size (as redis-cli --cluster create and rebalance
// leave them) therefore holds floor(n/p) or ceil(n/p) shards on each of its
// p primaries, and n distinct primaries when n <= p. It panics if n is out of
// [1, MaxShards] or i out of [0, n).
func ShardSlot(key string, i, n int) int {
	checkShard(i, n)
	return (Slot(key) + i*NumSlots/n) % NumSlots
}

// ShardKey returns the name of shard (or copy) i of n of key:
//
//	standalone: key + "#" + i + "/" + n                 e.g. "views#3/12"
//	cluster:    key + "#" + i + "/" + n + "{" + Tag(ShardSlot(key, i, n)) + "}"
//	                                                    e.g. "views#3/12{40750}"
//
// with i and n in decimal. The name depends only on the key, i, n and the
// kind of deployment, never on which node owns which slot, so every process
// in every language names the shards alike at all times. n is part of the
// name: the same key split 12 ways and 16 ways is two separate objects. It
// panics if n is out of [1, MaxShards] or i out of [0, n).
func ShardKey(key string, i, n int, cluster bool) string {
	checkShard(i, n)
	var b strings.Builder
	b.Grow(len(key) + 20)
	b.WriteString(key)
	b.WriteByte('#')
	b.WriteString(strconv.Itoa(i))
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(n))
	if cluster {
		b.WriteByte('{')
		b.WriteString(Tag(ShardSlot(key, i, n)))
		b.WriteByte('}')
	}
	return b.String()
}

// shardKeys returns the names of all n shards of key.
func shardKeys(key string, n int, cluster bool) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = ShardKey(key, i, n, cluster)
	}
	return keys
}

func checkShard(i, n int) {
	if n < 1 || n > MaxShards || i < 0 || i >= n {
		panic("split: shard " + strconv.Itoa(i) + " of " + strconv.Itoa(n) + " out of range")
	}
}
