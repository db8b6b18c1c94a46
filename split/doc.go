// Package split spreads one hot key's load over several keys, and so over
// several slots and primaries of a Redis Cluster: a write-hot counter over
// shard keys (Counter), a read-hot value over copies (Value), a big set or
// hash over shard sets and hashes by member or field (Set, Hash), and any
// other big key by sub-key (Sharded). It works on go-redis clients, on a
// standalone server too, where it only splits the key. The redhot
// middleware finds which keys are hot; this package is what a service
// switches a hot key to.
//
//	s, _ := split.New(rdb, split.Options{})
//	defer s.Close()
//	views, _ := s.Counter("views", split.CounterOptions{Shards: 12})
//	_ = views.Incr(ctx)               // one shard, one round trip
//	n, _ := views.Total(ctx)          // every shard, one round trip per node
//
// # Key names
//
// Shard (or copy) i of n of key is named
//
//	standalone  key#i/n                               views#3/12
//	cluster     key#i/n{Tag(ShardSlot(key, i, n))}    views#3/12{40750}
//
// where, in a cluster, shard i sits on slot
//
//	ShardSlot(key, i, n) = (CRC16(key) mod 16384 + floor(i*16384/n)) mod 16384
//
// (CRC16 is Redis's CRC-16/XMODEM; shard 0 is on the key's own slot) and
// Tag(slot) is the decimal form of the smallest integer t >= 0 with
// CRC16(str(t)) mod 16384 == slot, found by search (at most 109757). The
// names are a pure function of key, i and n: every process, in any
// language, at any moment, names the shards alike, whatever the slot map
// says. A sub-key (member, field) belongs to shard ShardOf(sub, n), the
// 32-bit FNV-1a hash of its bytes modulo n. The test vectors are in
// split_test.go and the examples.
//
// # Placement
//
// The n shard slots are spaced evenly around the slot space. A cluster
// whose primaries own contiguous ranges of roughly equal size (what
// cluster creation and rebalancing produce) therefore holds floor(n/p) or
// ceil(n/p) shards on each of its p primaries: n distinct primaries when
// n <= p, every primary when n >= p, with a max/mean load of at most
// ceil(n/p)/(n/p) (1 when p divides n; the default of 12 shards divides
// evenly over 1, 2, 3, 4, 6 and 12 primaries). The Splitter reads the slot
// map (CLUSTER SLOTS) every Options.RefreshInterval, on Refresh, and
// about 100 ms after RefreshSoon (which a MOVED reply should prompt);
// Placement reports each shard's slot and current primary, how many
// distinct primaries hold shards, and a Warning when that is fewer than
// min(n, p): fewer primaries than shards, or a map made uneven by slot
// moves. Placement.Err turns the warning into an error wrapping ErrSpread
// for callers who want one.
//
// Why the names do not follow the slot map. If names were chosen by
// searching for tags on each primary's current slots, two processes that
// read the map on either side of a slot move would name a counter's
// shards differently, and a Total in one would miss the increments the
// other made: silent loss, exactly what splitting must not cause. So the
// names are fixed, and the data follows the slots instead.
//
// When slots move. Redis moves a slot's keys with MIGRATE, each key whole
// and atomically; a command on a key of a migrating slot is served by the
// old owner while the key is there and redirected with ASK once it has
// moved, and go-redis follows ASK and MOVED (scripts here touch one key,
// so they follow too). No data is rewritten, copied or lost by this
// package; counters keep their totals, copies their versions. Afterwards
// a shard may share a primary with another; the next refresh makes
// Placement say so, and moving the slot back (or rebalancing) restores
// the spread. During a failover, writes to the failed primary fail until
// a replica takes over; see Counter for what an error means for an
// increment, and Options.WaitReplicas for surviving a crash.
//
// Keys with hash tags. In a cluster a key containing '{' is refused with
// ErrHashTag: its own hash tag (or a stray '{' pairing with the shard
// tag's '}') would put every shard on one slot. On a standalone server it
// is accepted.
//
// # Guarantees
//
// Counter: an increment is sent at most once (go-redis is told never to
// resend it), so one that was acknowledged was applied exactly once, one
// that failed with ErrUnknownOutcome once or not at all, and any other
// failure not at all: Total >= the sum of acknowledged positive
// increments, and exceeds it at most by the unknown ones, for as long as
// Redis keeps what it acknowledged (slot moves and coordinated failovers
// do; a crashed primary keeps only what it replicated, hence
// Options.WaitReplicas). Value: copies carry versions and only move
// forward; missing, stale and half-updated copies are repaired on read to
// the newest version. Set and Hash: each member or field lives in one
// shard; writes are grouped per shard and idempotent.
package split
