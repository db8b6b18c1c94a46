// Package inspect finds hot keys, big keys and imbalance on a live Redis
// server or Redis Cluster that was not instrumented: it is the behaviour
// behind the `redhot hotkeys`, `monitor`, `notify`, `slowlog`, `bigkeys`,
// `memkeys`, `patterns` and `balance` commands, which only wire flags to it.
//
// [Connect] parses a redis:// or rediss:// URL, connects, tells a cluster
// from a standalone server (INFO cluster) and discovers every node (CLUSTER
// NODES, or INFO replication for a standalone primary's replicas). Every
// method then runs on each relevant node concurrently and merges the
// results, labelling each key with its node. A node that cannot be reached,
// or that the cluster marks as failed, becomes a warning and the report is
// marked partial; only when every node fails does a method return an error.
//
// The methods, and where their data comes from:
//
//   - [Hotkeys]: SCAN and OBJECT FREQ, the server's LFU counters, translated
//     into a band of accesses with [LFUAccesses]. [ServerHotkeys] uses the
//     server's own HOTKEYS command (Redis 8.6+).
//   - [Monitor]: MONITOR lines ([ParseMonitorLine]), keys found with package
//     command's key specs, counted by a heat.Tracker on the servers' clock.
//   - [Notify]: keyspace notifications; writes only.
//   - [Slowlog]: SLOWLOG GET, aggregated by key and by command.
//   - [Bigkeys] and [Memkeys]: TYPE with STRLEN/LLEN/HLEN/SCARD/ZCARD/XLEN,
//     or MEMORY USAGE.
//   - [Patterns]: MEMORY USAGE of sampled keys grouped by glob patterns,
//     given or inferred ([InferPattern]).
//   - [Balance]: INFO deltas over an interval, CLUSTER COUNTKEYSINSLOT and
//     CLUSTER SLOT-STATS.
//
// # Safety
//
// Everything here is read-only. Scans are pipelined in batches and can be
// throttled ([ScanOptions].MaxOpsPerSec). The server's configuration is only
// changed when the caller asks (AllowConfigChange, for an LFU policy or
// keyspace notifications), and is restored when the method returns, also
// when its context is cancelled. Each method writes what it will cost the
// server to [ConnOptions].Log before it starts. Passwords never appear in
// errors, notes or reports, and values are never read or printed: reports
// carry key names, command names and client addresses only.
//
// # Reports
//
// Each method returns a report type implementing [Report]: it prints as a
// table ([Report].WriteTable) or as JSON ([WriteJSON]) whose schema is
// versioned by [SchemaVersion] and documented in docs/cli-json.md. When a
// method's context is cancelled (Ctrl-C), it returns what it gathered so
// far, marked interrupted.
package inspect
