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
// goes to Redis untouched, or, with Options.Replicas, hot reads the near
// cache does not answer go to replicas. [Middleware.JoinFleet] shares what
// is hot with the service's other instances, so that a key hot across the
// fleet is cached everywhere, and [Middleware.WriteHot] with
// [Middleware.Counter] and friends say which keys to split and make their
// split forms on the same client.
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
// # Reading from replicas
//
// With Options.Replicas set, the middleware runs a replica.Router on the
// client: a standalone primary's replicas (found with INFO replication, or
// given) or, in a cluster, the replicas of each slot's primary. A read
// that the near cache does not answer (the cache is off or still
// connecting, the command is not one it caches, such as GETRANGE or
// ZRANGEBYSCORE, or a fill failed) goes to an in-sync replica when every
// key it names is one the middleware would cache: hot in the tracker,
// pinned, matching Patterns, or hot across the fleet. Writes, reads of
// other keys, reads after WATCH and pipelines and transactions go to the
// primary. Reads of a key this client wrote within
// Options.Replicas.ReadYourWrites (2 seconds unless set), in a single
// command or a pipeline, go to the primary too, so a client reads its own
// writes; other clients' writes reach the replicas within their lag
// (replica.Options.MaxLag). A replica that fails a read is skipped and the
// read retried on the primary. [Middleware.Router] gives each replica's
// state; Stats counts replica and primary reads.
//
// # Across a fleet
//
// Each instance sees only its own traffic: a key read 30 times a second on
// each of forty instances is warm everywhere and hot nowhere.
// [Middleware.JoinFleet] makes the instance a fleet.Member on the same
// client: it publishes its hot keys and its near cache's counters to a
// Redis Stream and reads everyone's. A key hot across the fleet is then
// cached here (and routed to replicas) even though it is only warm
// locally, and dropped from the cache when it cools fleet-wide, unless it
// is hot here, pinned or a pattern. Every member sees every instance's
// near-cache hits, misses, fills, invalidations, entries and mode
// (fleet.Member.Instances and CacheTotals; the dashboard shows them). The
// fleet's stream itself is observed like any key but never read from a
// replica. Close leaves the fleet.
//
// # Write-hot keys and splitting them
//
// The near cache and replicas spread reads; nothing in the middleware can
// spread the writes of one key, because each write must reach the one
// primary that holds it. [Middleware.WriteHot] (and Stats.WriteHot) lists
// the keys hot now mostly by writes, at least half of their rate, such as
// a global counter. Package split spreads such a key over several keys on
// distinct slots and primaries; [Middleware.Counter], [Middleware.Value],
// [Middleware.Set] and [Middleware.Hash] make its objects on the
// middleware's client (one split.Splitter, Options.Split, closed by
// Close), so their commands are observed and their writes keep the near
// cache correct. The middleware never rewrites key names in the hook:
// every reader and writer of a key must switch to its split form
// together, which only the service can arrange.
//
// # Limits
//
// The bound assumes the node that answers a fill is the one that takes the
// key's writes. A cluster primary cut off from its cluster but not from
// this client keeps answering until the cluster's node timeout makes it
// refuse; until then its entries may be older than the bound.
package redhot
