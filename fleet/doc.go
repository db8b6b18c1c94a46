// Package fleet gives every instance of a service the same fleet-wide view
// of what is hot, through a Redis Stream on the deployment the service
// already uses. No extra servers.
//
// Each instance sees only its own traffic: a key at 30 ops/s on each of
// forty instances is warm everywhere and hot nowhere, although it takes
// 1,200 ops/s from Redis. A [Member] publishes the instance's heat summary
// (its top keys with rates and read/write split, from a *heat.Tracker)
// every Options.Interval to a capped stream (XADD MAXLEN ~ Options.MaxLen),
// reads everyone's summaries back with XREAD BLOCK, and merges those of
// the live instances: a key's fleet rate is the sum of its rates on the
// instances that listed it, its share is that over the fleet's traffic.
// Fleet rules ([Rules]: a fleet-wide rate, a share of fleet traffic,
// hysteresis) make a global hot set, read with [Member.IsHot] (lock-free,
// no allocation) and announced as [Event]s; the near cache of every
// instance can then cache a key that is hot fleet-wide even where it is
// only warm locally. A Member is also an alert.Source and a metrics
// source: Top and Totals describe the fleet.
//
// # Instances coming and going
//
// A new instance reads the summaries of the last TTL when it joins, so its
// view is whole at once. An instance that closes publishes a last summary
// saying so and drops out of every view at once; one that dies, hangs or
// is cut off drops out TTL after its last summary (3 × Interval by
// default). Ages are measured without trusting any instance's clock: a
// summary is as old as the time since it reached the reader, corrected by
// the server-assigned stream IDs of the entries read with it, so a skewed
// clock elsewhere changes nothing. Entries of another format version, or
// that cannot be decoded, are skipped and counted.
//
// # Stream entries (format version 1)
//
// Each entry has five fields: "v" the format version ("1"), "i" the
// instance id, "q" the summary's sequence number (decimal, from 1), "t"
// the sender's clock in Unix milliseconds (decimal; shown, never used for
// ageing) and "d" a binary body: a flags byte (bit 0: the instance is
// leaving), the instance's total and write rates, the number of keys, and
// for each key its length and bytes (binary-safe), a flags byte (bit 0:
// the key is a prefix the tracker truncated), its rate and write rate.
// Numbers are unsigned varints; rates are in thousandths of an access per
// second. A summary of 64 keys of 20 bytes takes about 1.8 kB.
//
// An optional sixth field, "c", carries the instance's near-cache counters
// when Options.CacheStats is set (the redhot middleware's JoinFleet sets
// it): a format byte (1), the cache's mode name, then hits, misses, fills,
// invalidations, entries and bytes as unsigned varints. Readers that
// predate the field ignore it, an entry without it reports no near cache,
// a field of another format byte is skipped (the summary is kept), and
// bytes after the known counters are ignored, so releases with and
// without it share one stream. Members merge the counters per instance
// (InstanceInfo.Cache) and for the fleet ([Member.CacheTotals]).
//
// # Cost and placement
//
// Each instance adds one XADD per Interval and keeps one connection in
// XREAD BLOCK; every instance reads every summary, so the server sends
// instances² × summary size / Interval bytes per second: 8 instances at
// 250 ms with 1.8 kB summaries is 0.5 MB/s, 100 instances 72 MB/s (use a
// longer Interval or a smaller TopK there). In a Redis Cluster the stream
// is one key in one slot on one primary; choose the slot with a hash tag
// in Options.Stream.
package fleet
