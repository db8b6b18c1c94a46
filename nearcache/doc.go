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
// through its own client. BeginWrite drops the key and blocks publication
// of fills of it until EndWrite; EndWrite moves the key's guard epoch, so
// that a fill sent before the write returned is not published either: it
// may have been executed before the write on the server, and the
// invalidation that would remove it may still be on its way when the
// writer reads the key again. So a read after a write through the same
// client never sees the value from before it.
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
// hits. The size bound (entries and bytes) and the choice of victims
// belong to an otter cache that mirrors the index; it hears of one hit in
// SampleEvery.
package nearcache
