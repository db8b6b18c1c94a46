// Package stampede protects the store behind a Redis cache from stampedes:
// the burst of identical recomputations that hits it when a hot key expires
// and every caller misses at once. With it, each expiry of a key costs one
// loader call across all the processes that share the Redis, and for a key
// read often enough nobody waits for that call at all.
//
// Package heat tells which keys are hot; stampede is how a service reads
// them. The whole API is [Cache.Fetch]:
//
//	v, err := cache.Fetch(ctx, "product:{42}", time.Minute, loadProduct)
//
// # Layers
//
// A Fetch that finds a fresh value costs one GET. Otherwise three
// mechanisms, from the inside out, make sure the loader runs once:
//
//   - In-process single flight. Concurrent callers of one Cache that miss
//     the same key share one fill. The fill runs on its own goroutine with
//     a context that is cancelled only when every caller waiting for it has
//     given up, so one caller's deadline never fails the others; a loader
//     panic becomes an error (wrapping [ErrLoaderPanic]) for every caller
//     and never leaves the key stuck.
//
//   - A lease across processes. The fill takes a lease, a Redis string set
//     with SET NX PX to a random token, in a script that also returns the
//     current value, so a caller that lost a race to a holder who has just
//     finished takes that value instead of loading again. The holder
//     extends the lease every LeaseTTL/3 while the loader runs and, when it
//     is done, stores the value, deletes the lease and publishes a
//     notification, in one script that does nothing if the lease has passed
//     to someone else: extension and release are compare-and-set on the
//     token. Callers in other processes wait for the notification (one
//     pub/sub connection per Cache, subscribed only to the channels of the
//     keys being waited for), look again at least every PollInterval in
//     case it was lost, and, at the latest, when the holder's lease runs
//     out, so that when a holder dies another takes over within LeaseTTL.
//     A caller gives up after WaitTimeout with [ErrLeaseTimeout] or, with
//     OnLeaseTimeout: ServeStale, the expired value if Redis still keeps it
//     (see StaleTTL).
//
//   - Probabilistic early recomputation (XFetch: Vattani, Chierichetti and
//     Lowenstein, "Optimal Probabilistic Cache Stampede Prevention", VLDB
//     2015). Each entry stores how long its computation took (delta) next
//     to its expiry. A read that finds a fresh entry recomputes it with
//     probability exp(-remaining/(delta·Beta)), which rises as expiry
//     nears (see [EarlyProbability]). The recomputation runs in the
//     background, under the lease, on a goroutine the Cache owns (Close
//     stops it), while callers keep getting the current value: a key read
//     often enough is replaced before it expires and never misses.
//
// Loader outcomes: a value is stored for the ttl given to Fetch; the
// not-found sentinel [ErrNotFound] is stored for NegativeTTL when that is
// set; other errors are returned and not stored, unless ErrorTTL is set.
// Stored TTLs can be shortened by a random Jitter so that keys filled
// together do not expire together.
//
// # Storage format
//
// One Redis string per key, read with one GET, holds a 17-byte header and
// the value:
//
//	offset  size  field
//	0       3     magic "RHS"
//	3       1     format version, 1
//	4       1     kind: 0 value, 1 not found, 2 loader error
//	5       8     expiry, Unix milliseconds, big-endian signed
//	13      4     delta, the last computation's duration, in microseconds,
//	              big-endian unsigned (saturates at about 71 minutes)
//	17      ...   the value; empty for not found; the message of a cached error
//
// The Redis TTL of the string is the entry's TTL plus StaleTTL. A value
// with another magic, an unknown version or kind, or under 17 bytes is
// treated as a miss (counted in [Stats].FormatErrors) and overwritten by
// the next fill; a future format will change the version byte. The expiry
// is absolute time from the writer's clock, so processes sharing a Redis
// need clocks in step (NTP): a skew of s shifts freshness by s.
//
// # Keys and Redis Cluster
//
// Keys are arbitrary bytes. The value is stored under the key itself; the
// lease is "stampede:lease:"+T and the notification channel
// "stampede:fill:"+T, where T keeps the key's hash slot: the key itself if
// it has a hash tag (a non-empty "{...}"), "{"+key+"}" if it has none and
// no '}', and otherwise "{"+t+"}"+key for a short tag t computed to hash
// to the key's slot. The scripts touch a value and its lease together,
// which Redis Cluster allows only within one slot. Any
// redis.UniversalClient works: standalone, Sentinel or Cluster.
//
// # Failures
//
// When a Redis command fails, OnUnavailable decides: ReturnError returns
// an error wrapping [ErrUnavailable] and the client's error; CallLoader
// calls the loader directly (still once per key per process at a time)
// and returns its answer without caching it. A holder whose lease was
// taken over (it stalled past LeaseTTL) returns its value to its own
// callers but does not overwrite the new holder's work.
//
// # Metrics
//
// [Cache.Stats] returns counters: hits, misses, loader calls and errors,
// early recomputations, lease acquisitions, waits, timeouts and losses,
// stale values served, Redis errors. There is no metrics dependency;
// export them with whatever the service uses.
package stampede
