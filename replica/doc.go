// Package replica sends the reads of hot keys to replicas, so that one
// primary does not serve a read-hot key alone, and keeps everything else
// (all writes, the reads of other keys) on the primary.
//
// A Router wraps a go-redis client: a *redis.Client talking to a primary
// with replicas (plain or a Sentinel failover client), or a
// *redis.ClusterClient. Which keys are hot comes from the caller: a
// predicate (Options.Hot; the redhot middleware passes its tracker's
// IsHot) and glob patterns (Options.Patterns).
//
//	r, _ := replica.New(rdb, replica.Options{Hot: tracker.IsHot, Patterns: []string{"trending:*"}})
//	defer r.Close()
//	rdb.AddHook(r.Hook())      // or let the middleware call r.Route
//
// # Routing
//
// A command is read from a replica when it is read-only (by the command
// table: GET, HGETALL, ZRANGE, ...), every key it names is routed (hot or
// matching a pattern, and not written by this client within
// Options.ReadYourWrites), and a usable replica holds them; in a cluster
// its keys must share a slot and the replica must be one of that slot's
// primary's. Anything else goes to the primary. Replicas take turns
// (RoundRobin) or the fastest is taken (LowestLatency). An MGET is split:
// routed keys from replicas, the others from the primary, in parallel,
// values in the order of the keys. Pipelines and transactions are not
// split; they go to the primary, and their writes are noted.
//
// # Which replicas are usable
//
// Every Options.RefreshInterval the Router reads INFO replication on each
// primary (in a cluster, after CLUSTER SLOTS) and pings each replica. A
// replica is usable if its primary lists it online, its acknowledged
// offset is at most Options.MaxLag bytes behind master_repl_offset, and it
// answers PING within Options.Timeout. A read that fails on a replica
// (connection error, LOADING, MASTERDOWN, MOVED, ...) is retried on the
// primary at once, the replica gets no more reads until a refresh finds
// it well, and a refresh follows within about 100 ms. So a killed replica
// costs one failed attempt per in-flight read; a paused or lagging one is
// dropped at the next refresh.
//
// Replicas are asynchronous: a read from one may miss the last writes,
// by at most MaxLag bytes of replication stream as of the last refresh.
// Options.ReadYourWrites keeps a client's reads of the keys it wrote
// within that window on the primary.
package replica
