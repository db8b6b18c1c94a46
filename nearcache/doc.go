// Package nearcache keeps replies to reads of chosen Redis keys in process
// memory and drops them when Redis says the keys changed. It is the
// storage and consistency machinery behind redhot's middleware, which
// decides which keys are worth caching (the hot and pinned ones) and turns
// go-redis commands into Fill, Lookup and GetString calls.
//
// # Connections
//
// For each Redis node the cache opens its own connection (dialled with the
// application client's dialer, so TLS and Sentinel apply), speaks RESP3 on
// it (HELLO 3, with the client's credentials) and turns on CLIENT
// TRACKING. The connection carries only fills and heartbeats, which name no
// key, so the server tracks exactly the keys the cache fills, as OPTIN mode
// would make it, without the CLIENT CACHING YES that OPTIN needs before
// every fill (it made a third of the commands a fill cost the server). A
// fill is pipelined as the read and PTTL of each key. One goroutine reads
// the connection continuously and processes replies and invalidation push
// messages in the order the server wrote them:
//
//   - an invalidation that arrives before a fill's read reply concerns a
//     write the read already saw; one that arrives after it, but before the
//     fill's last reply, marks the fill stale and it is not published;
//   - one that arrives after the fill was published removes the entry.
//
// A reply proves that every invalidation the server wrote before it has
// been applied. The cache therefore serves a node's entries only until the
// send time of the last such reply plus Options.MaxStaleness, sends a
// heartbeat every MaxStaleness/4 (ROLE, or PING where ROLE is refused; in
// a cluster also CLUSTER SLOTS), and closes a connection whose oldest
// request has waited MaxStaleness. Losing the connection (killed, server
// restarted), a null invalidation (FLUSHALL, FLUSHDB), a change of role
// (failover) or of the slots a cluster node owns, and a MOVED or ASK reply
// each drop all entries of the node at once: a per-node token that every
// hit compares is bumped, and the entries are swept. The server's tracking
// table overflowing (tracking-table-max-keys) makes it send invalidations
// for the keys it forgets; they are applied like any other.
//
// A server or proxy that does not speak RESP3 is served in redirect mode:
// a second connection subscribes to __redis__:invalidate and the fill
// connection redirects its invalidations there. The two streams are not
// ordered with each other, so each key has a guard epoch that an
// invalidation moves; a fill stamped with the epoch at its send is not
// published if the epoch moved before its reply arrived. Heartbeats are
// PINGs on the subscriber.
//
// A server that refuses CLIENT TRACKING (ACL, managed service) is not
// cached, unless Options.AllowTTLOnly: then entries live Options.TTLOnly
// and that is the staleness bound. Stats reports each node's mode.
//
// # Writes through the client
//
// BeginWrite and EndWrite bracket every write the application sends
// through its own client. Until EndWrite the key's entry is still served:
// only reads concurrent with the write can see it, and for them the value
// from before the write is as correct as the one after. EndWrite drops the
// entry and moves the key's guard epoch, so that no fill built before it
// is published or shared: such a fill may have been executed before the
// write on the server, and the invalidation that would remove its value
// may still be on its way when the writer, its write acknowledged, reads
// the key. So a read after a write through the same client never sees the
// value from before it.
//
// # Refreshes and shared reads
//
// When an entry is dropped because its key changed (an invalidation, or
// EndWrite) and its owner still wants the key (Options.Refresh: for
// redhot, the key is hot, pinned or matches a pattern), the cache reads
// every variant of the entry again at once on the node's fill connection,
// so that the next reads find the new value instead of missing. A refresh
// is a fill: stamped with the key's guard when it is built and published
// under the same rules, so one that raced with a write through the
// client, or whose read reply an invalidation followed, is not published.
// Refreshes are bounded: a key is refreshed only when an entry of it was
// dropped (while its refresh is in flight it has none, so a key written
// continuously by others is read again at most once per read that lands),
// or once per write through the client that ends; an invalidation that
// arrives while a write to the key is in flight leaves the refresh to the
// write's end; and each node has at most Options.MaxRefreshes in flight.
//
// A miss shares the read of the same key and variant already in flight, a
// refresh or another miss's fill, instead of sending its own (Stats.Joined),
// when that read could have been its own: built after every write through
// the client to the key had ended, on the node's current connection life,
// less than MaxStaleness/2 before, and not followed by an invalidation of
// the key. Otherwise the miss sends its own read.
//
// # Storage
//
// Entries are per key, with one variant per read and arguments (GET, HGET
// field, LRANGE 0 -1, ...): the server invalidates keys, so all variants
// of a key go together. An entry expires after Options.TTL (with jitter)
// and never outlives the key's TTL on the server, read with every fill.
// The hit path reads an index of immutable open-addressing tables behind
// atomic pointers, one per shard, and takes no lock; a sampled clock keeps
// the monotonic clock's cost (20 to 30 ns on a virtual machine) off most
// hits. Within 100 ms of an entry's expiry or of its node's staleness
// deadline a hit reads the real clock as well, so a starved sampling
// goroutine cannot stretch either bound. The size bound (entries and bytes) and the choice of victims
// belong to an otter cache that mirrors the index; it hears of one hit in
// SampleEvery, and runs its maintenance on the goroutine whose call made
// it due rather than on a new goroutine each time, which under a stream
// of hits woke a thread every ~80 µs.
package nearcache
