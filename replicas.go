package redhot

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/redhot/redhot/command"
	"github.com/redhot/redhot/replica"
)

// ReplicaStats count the replica router's reads (see Options.Replicas).
type ReplicaStats struct {
	// ReplicaReads and PrimaryReads count the read commands (or parts of
	// a split MGET) the router sent to a replica and to the primary.
	ReplicaReads uint64 `json:"replica_reads"`
	PrimaryReads uint64 `json:"primary_reads"`
	// Fallbacks counts reads that failed on a replica and were sent to
	// the primary instead.
	Fallbacks uint64 `json:"fallbacks"`
}

// newRouter makes the replica router of Options.Replicas: it routes what
// the middleware would cache, besides what the caller's options say.
func (m *Middleware) newRouter(c redis.UniversalClient, ro replica.Options, table *command.Table) (*replica.Router, error) {
	own := ro.Hot
	ro.Hot = func(key string) bool {
		return (m.wants(key) || own != nil && own(key)) && !m.isFleetStream(key)
	}
	if ro.ReadYourWrites == 0 {
		ro.ReadYourWrites = defaultReadYourWrites
	}
	if ro.Commands == nil {
		ro.Commands = table
	}
	r, err := replica.New(c, ro)
	if err != nil {
		return nil, fmt.Errorf("redhot: Options.Replicas: %w", err)
	}
	return r, nil
}

// isFleetStream reports whether key is the stream of the fleet JoinFleet
// joined, whose blocked reads must stay on the primary that takes its
// appends.
func (m *Middleware) isFleetStream(key string) bool {
	s := m.fleetStream.Load()
	return s != nil && *s == key
}

// send runs cmd through the replica router, if there is one, or next.
func (m *Middleware) send(ctx context.Context, cmd redis.Cmder, next redis.ProcessHook) error {
	if m.router == nil {
		return next(ctx, cmd)
	}
	return m.router.Route(ctx, cmd, next)
}

// Router returns the replica router of Options.Replicas, for its Replicas
// (each replica's state) and Stats, or nil without it. The middleware
// owns it: Close closes it.
func (m *Middleware) Router() *replica.Router { return m.router }
