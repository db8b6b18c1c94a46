// Package redhot finds and defuses hot keys in Redis from inside a Go
// service: one call attaches it to a go-redis v9 client.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	mw, err := redhot.New(rdb, redhot.Options{})
//	if err != nil { ... }
//	defer mw.Close()
//
// From then on every command the client sends, single, pipelined or in
// MULTI/EXEC, is observed: its keys (found by package command, as Redis
// itself finds them) and whether it reads or writes each are fed to a
// heat.Tracker, which says which keys are hot ([Middleware.Top],
// [Middleware.Subscribe]). Reads of hot keys, of keys pinned with
// [Middleware.Pin] and of keys matching Options.Patterns are answered
// from a near cache in process memory (package nearcache); everything else
// goes to Redis untouched.
//
// # What is cached
//
// GET, MGET (per key; the keys it misses are fetched together in one
// MGET), HGET, HMGET, HGETALL, EXISTS (one key), STRLEN, LRANGE, SMEMBERS,
// SISMEMBER, ZRANGE and ZSCORE, through the typed methods or Do, as single
// commands. Reads in pipelines and transactions are observed but always
// sent to Redis, and a Tx that has sent WATCH never reads from the cache.
// [Middleware.Get] is GET for the hottest paths: a hit builds no go-redis
// command and allocates nothing.
//
// # Consistency
//
// The near cache never serves a value older than its staleness bound,
// Options.MaxStaleness (one second by default), and a write through the
// client is seen by the next read through it:
//
//   - Redis tells the cache when a cached key changes (CLIENT TRACKING on
//     connections that carry only the cache's fills, so the server tracks
//     only the keys the cache fills).
//     Over RESP3 the fills and the invalidations travel on one ordered
//     connection per node, so an invalidation is never overtaken by the
//     stale value it invalidates. A change by another client is typically
//     dropped here within a millisecond on a local network.
//   - A value is served only while its node's invalidation stream was
//     proven complete at most MaxStaleness ago, by the reply to a
//     heartbeat sent every MaxStaleness/4 (or to any fill). A lost
//     connection, a server restart, a failover, a slot moving away, a
//     FLUSHALL and a stalled server each drop the node's entries at once.
//   - A write through the client (any command the command table says may
//     change a key, scripts included; FLUSHALL and keyless scripts count
//     as writes to everything) drops the key before it returns, and no
//     read that was in flight meanwhile is published or answers a later
//     read; reads concurrent with the write may see the value from before
//     it. (FLUSHALL and keyless scripts drop everything before they are
//     sent.)
//   - A hot, pinned or pattern key that changes, by another client's
//     write or the client's own, is read again at once, so that its next
//     reads hit; reads that miss while a read of the same key is on its
//     way share it instead of sending their own.
//   - Where the server refuses CLIENT TRACKING, caching is off unless
//     Options.AllowTTLOnly is set; then entries live Options.TTLOnly (100
//     ms by default), which becomes the staleness bound. Stats reports the
//     mode and the bound in force.
//
// The bound assumes the node that answers a fill is the one that takes the
// key's writes. A cluster primary cut off from its cluster but not from
// this client keeps answering until the cluster's node timeout makes it
// refuse; until then its entries may be older than the bound.
package redhot
