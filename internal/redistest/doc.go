// Package redistest starts throwaway real redis-server processes for redhot's
// tests, benchmarks and demo: a standalone server (optionally with TLS or
// extra redis.conf lines), a primary with replicas, and a Redis Cluster.
//
// Every server runs as `redis-server -` with its configuration on stdin,
// listens on a free 127.0.0.1 port, keeps nothing on disk beyond its own
// temporary directory (no RDB, no AOF) and is ready to answer commands when
// the constructor returns. Close kills the processes and removes their
// directories. The package keeps no global state, so any number of servers
// and clusters can run side by side, in parallel tests too.
//
// There are two layers:
//
//   - Start, StartReplicated and StartCluster take a context and options and
//     return values the caller must Close. The demo program uses these.
//   - NewServer, NewReplicated and NewCluster take a testing.TB: they skip
//     under `go test -short`, fail the test if the server cannot start, and
//     close everything in t.Cleanup.
//
// Servers can be hurt on purpose to test how redhot copes: Server.Kill,
// Server.Pause, Server.Resume and Server.Restart act on any process;
// Cluster.Failover promotes a replica and Cluster.MoveSlot migrates a slot
// with its keys to another primary; Replicated.Promote turns a replica into
// the primary.
//
// The redis-server binary is found through the REDIS_SERVER environment
// variable, else on PATH. When it is missing the constructors return
// ErrNoRedisServer, which tells the reader to run `make redis` (or
// scripts/ensure-redis.sh); tests then fail rather than skip, so a machine
// without Redis cannot pass the suite by accident.
package redistest
