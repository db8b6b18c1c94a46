// Package faultsuite is redhot's cross-layer fault suite; it has no code
// outside its tests.
//
// Each test run starts real redis-server processes (a standalone server
// behind a fault-injecting redistest.Proxy, and a Redis Cluster with
// replicas), runs a workload on every layer at once (the middleware's
// near cache, split's sharded counter, stampede's lease, the middleware's
// hot-key detector and the redhot CLI), injects one fault after another
// (latency, drops, resets, half-open connections, one-way partitions, a
// killed, paused or restarted server, a cluster failover, a slot
// migration) and checks each layer's invariant throughout:
//
//   - near cache: no read older than MaxStaleness, and read-your-writes;
//   - counter: no acknowledged increment lost, none applied twice;
//   - lease: at most one holder of a stampede lease at a time;
//   - detector: a new hot key is found within a bound after each fault;
//   - CLI: a clean exit, with a one-line error and a hint when it fails.
//
// It fails on any violation, and with -faults.report FILE writes the
// table of docs/reliability.md. Run the short version with
//
//	go test ./internal/faultsuite
//
// and the long one with `make test-faults`.
package faultsuite
