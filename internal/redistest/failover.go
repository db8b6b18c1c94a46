package redistest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Failover makes replica take over its primary's slots with CLUSTER
// FAILOVER, waits until it reports role:master, then waits until the
// cluster is healthy again (see WaitHealthy) and records the new topology.
// If the primary is running, the failover is the coordinated manual kind
// and the old primary becomes a replica of the new one; if it is killed or
// paused, Failover uses CLUSTER FAILOVER FORCE. Pass a context with a
// deadline.
func (c *Cluster) Failover(ctx context.Context, replica *Server) error {
	if err := c.failover(ctx, replica); err != nil {
		return fmt.Errorf("redistest: failover to %s: %w", replica, err)
	}
	return nil
}

// failover is Failover without the error context.
func (c *Cluster) failover(ctx context.Context, replica *Server) error {
	if !slices.Contains(c.nodes, replica) {
		return fmt.Errorf("not a node of this cluster")
	}
	if !replica.live() {
		return ErrNotRunning
	}
	info, err := replica.info(ctx, "replication")
	if err != nil {
		return err
	}
	if info["role"] != "slave" {
		return fmt.Errorf("not a replica (role:%s)", info["role"])
	}
	port, _ := strconv.Atoi(info["master_port"])
	args := []any{"CLUSTER", "FAILOVER"}
	if primary := c.nodeByPort(port); primary == nil || !primary.live() {
		args = append(args, "FORCE")
	}
	if err := replica.admin.Do(ctx, args...).Err(); err != nil {
		return fmt.Errorf("%v: %w", args, err)
	}
	err = poll(ctx, 20*time.Millisecond, func(ctx context.Context) error {
		info, err := replica.info(ctx, "replication")
		if err != nil {
			return err
		}
		if info["role"] != "master" {
			return fmt.Errorf("role:%s", info["role"])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("wait for role:master: %w", err)
	}
	return c.WaitHealthy(ctx)
}
