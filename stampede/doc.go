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
//   - Early recomputation. Each entry stores what its computation cost
//     (delta) next to its expiry: the time from deciding to recompute to
//     the value being ready, lease included, plus one Redis round trip for
//     storing it, so that a slow Redis or a starved scheduler moves the
//     next recomputation earlier along with the loader. The first read that finds a fresh
//     entry within delta·(1 + Beta·(0.5 + x)) of its expiry starts a
//     recomputation in the background, under the lease, on a goroutine the
//     Cache owns (Close stops it), while callers keep getting the current
//     value: a key read often enough is replaced about Beta·delta before it
//     expires and never misses. x in [0, 1) is the entry's draw, a hash of
//     the key and of the stored expiry and delta, so every process puts
//     the point at the same instant (see [RefreshLead]); the point is never
//     more than half the ttl before expiry.
//
// # Why not plain XFetch
//
// The early recomputation started as XFetch (Vattani, Chierichetti and
// Lowenstein, "Optimal Probabilistic Cache Stampede Prevention", VLDB
// 2015): every read draws r uniform in (0, 1] and recomputes when
// delta·β·(−ln r) ≥ remaining. Each read is a fresh chance, so the first
// recomputation comes when the largest of all the draws made so far
// crosses the line, and the largest of n exponential draws grows like
// ln n. Under λ reads per second, summed over every process, the
// recomputation therefore starts about delta·β·ln(λ·delta·β) before
// expiry: with 20,000 reads/s of a key that takes 100 ms, 0.76 s early
// for β = 1, and a 1 s TTL was recomputed three times per TTL. Lowering β
// only moves the problem to another read rate, and a rate that changes
// (a key turning hot) moves the point with it.
//
// The point of early recomputation is to hide one loader run behind the
// current value, which needs the recomputation to start a little more
// than delta before expiry whatever the traffic. So the randomness moved
// from the reads to the entry: one draw per stored entry, which every
// process derives from the entry itself, gives one point in time per
// entry. Reads only tell whether the point has passed. Then:
//
//   - However many reads and processes there are, the recomputation starts
//     at the first read after the point, delta·(1 + Beta·(0.5 + x)) before
//     expiry: the expected lead is delta·(1 + Beta), bounded by
//     delta·(1 + 1.5·Beta), and a key read continuously is recomputed
//     ttl/(ttl − Beta·delta) times per ttl (1.11 for a 100 ms loader and
//     a 1 s ttl).
//   - A key read rarely is recomputed early only if a read falls between
//     the point and expiry, with probability 1 − exp(−λ·lead), about what
//     XFetch gives at low rates. Otherwise it expires and the next read
//     fills it, once, under the lease.
//   - All processes reach the point together; the lease lets one of them
//     recompute, and the others, finding it held, stay out for
//     PollInterval, so the point costs each process about one script call
//     per PollInterval while the recomputation runs, and once it is stored
//     the new entry's point is a ttl away.
//   - The draw still differs between keys and between successive entries
//     of a key, so keys filled together do not all recompute at the same
//     instant (Jitter spreads their expiries further).
//
// Mixed versions sharing a Redis stay safe: the stored format did not
// change, and a process still drawing per read only recomputes earlier,
// under the same lease.
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
//	13      4     delta, the last computation's cost, in microseconds,
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
// The early recomputation draw of an entry is part of what processes must
// agree on: FNV-1a (64-bit) over the key and header bytes 5 to 16 (expiry
// and delta as stored), then MurmurHash3's 64-bit finalizer, whose top 53
// bits are read as a fraction of 1. A test pins it.
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
// stale values served, Redis errors. There is no metrics dependency here;
// metrics.NewStampedeCollector exports them to Prometheus.
package stampede
