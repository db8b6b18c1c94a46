package redistest

import (
	"testing"
)

// logTailLines is how many log lines of each server a failed test prints.
const logTailLines = 15

// SkipIfShort skips tb under `go test -short`, which promises not to start
// redis-server.
func SkipIfShort(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("redistest: skipping test that starts redis-server in -short mode")
	}
}

// NewServer starts a standalone server for tb (see Start) and closes it when
// the test ends. It skips tb under -short and fails it if the server cannot
// start, for instance because redis-server is not installed.
func NewServer(tb testing.TB, opts ServerOptions) *Server {
	tb.Helper()
	SkipIfShort(tb)
	s, err := Start(tb.Context(), opts)
	if err != nil {
		tb.Fatalf("redistest.Start: %v", err)
	}
	cleanup(tb, s.Close, s)
	return s
}

// NewReplicated starts a primary with the given number of replicas for tb
// (see StartReplicated) and closes them when the test ends. It skips tb
// under -short and fails it if the servers cannot start.
func NewReplicated(tb testing.TB, replicas int, opts ServerOptions) *Replicated {
	tb.Helper()
	SkipIfShort(tb)
	if replicas <= 0 {
		tb.Fatalf("redistest.NewReplicated: replicas = %d; want at least 1", replicas)
	}
	r, err := StartReplicated(tb.Context(), ReplicatedOptions{Replicas: replicas, Server: opts})
	if err != nil {
		tb.Fatalf("redistest.StartReplicated: %v", err)
	}
	cleanup(tb, r.Close, r.Servers()...)
	return r
}

// NewCluster starts a Redis Cluster for tb (see StartCluster) and closes it
// when the test ends. It skips tb under -short and fails it if the cluster
// cannot form.
func NewCluster(tb testing.TB, opts ClusterOptions) *Cluster {
	tb.Helper()
	SkipIfShort(tb)
	c, err := StartCluster(tb.Context(), opts)
	if err != nil {
		tb.Fatalf("redistest.StartCluster: %v", err)
	}
	cleanup(tb, c.Close, c.Nodes()...)
	return c
}

// cleanup registers close with tb. If the test failed, it first logs the
// tail of each server's log.
func cleanup(tb testing.TB, close func() error, servers ...*Server) {
	tb.Cleanup(func() {
		if tb.Failed() {
			for _, s := range servers {
				tb.Logf("redistest: last lines of the log of %s (in %s):\n%s", s, s.Dir(), s.LogTail(logTailLines))
			}
		}
		if err := close(); err != nil {
			tb.Errorf("redistest: %v", err)
		}
	})
}
