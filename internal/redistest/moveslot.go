package redistest

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// migrateBatch is how many keys one MIGRATE moves.
const migrateBatch = 100

// migrateTimeoutMillis is MIGRATE's timeout argument.
const migrateTimeoutMillis = 5000

// MoveSlot moves slot, with its keys, from its current owner to the primary
// to, with the same protocol as redis-cli --cluster reshard: CLUSTER SETSLOT
// IMPORTING on to and MIGRATING on the owner, CLUSTER GETKEYSINSLOT and
// MIGRATE ... KEYS until the slot is empty on the owner, then CLUSTER
// SETSLOT NODE on to, the owner and every other primary. It then waits until
// the cluster is healthy (see WaitHealthy), records the new topology and
// checks that to owns slot. Moving a slot to its owner does nothing. Pass a
// context with a deadline.
func (c *Cluster) MoveSlot(ctx context.Context, slot int, to *Server) error {
	if err := c.moveSlot(ctx, slot, to); err != nil {
		return fmt.Errorf("redistest: move slot %d to %s: %w", slot, to, err)
	}
	return nil
}

// moveSlot is MoveSlot without the error context.
func (c *Cluster) moveSlot(ctx context.Context, slot int, to *Server) error {
	switch {
	case slot < 0 || slot >= NumSlots:
		return fmt.Errorf("slot out of range [0, %d)", NumSlots)
	case !slices.Contains(c.nodes, to):
		return fmt.Errorf("not a node of this cluster")
	case !to.live():
		return ErrNotRunning
	}
	view, err := slotsView(ctx, to)
	if err != nil {
		return err
	}
	var from *Server
	for _, r := range view {
		if r.start <= slot && slot <= r.end {
			from = c.byID[r.primary]
		}
	}
	switch {
	case from == nil:
		return fmt.Errorf("%s sees no owner for the slot", to)
	case from == to:
		return nil
	case !from.live():
		return fmt.Errorf("owner %s: %w", from, ErrNotRunning)
	}

	if err := to.admin.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", from.id).Err(); err != nil {
		return fmt.Errorf("CLUSTER SETSLOT IMPORTING on %s: %w", to, err)
	}
	if err := from.admin.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", to.id).Err(); err != nil {
		return fmt.Errorf("CLUSTER SETSLOT MIGRATING on %s: %w", from, err)
	}
	for {
		keys, err := from.admin.Do(ctx, "CLUSTER", "GETKEYSINSLOT", slot, migrateBatch).StringSlice()
		if err != nil {
			return fmt.Errorf("CLUSTER GETKEYSINSLOT on %s: %w", from, err)
		}
		if len(keys) == 0 {
			break
		}
		args := []any{"MIGRATE", "127.0.0.1", to.port, "", 0, migrateTimeoutMillis, "REPLACE"}
		if pw := c.opts.Server.Password; pw != "" {
			args = append(args, "AUTH", pw)
		}
		args = append(args, "KEYS")
		for _, k := range keys {
			args = append(args, k)
		}
		if err := from.admin.Do(ctx, args...).Err(); err != nil {
			return fmt.Errorf("MIGRATE %d keys from %s: %w", len(keys), from, err)
		}
	}
	// The new owner first, so the slot is never without one; then the old
	// owner, which stops redirecting with ASK; then everyone else.
	for _, s := range []*Server{to, from} {
		if err := s.admin.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", to.id).Err(); err != nil {
			return fmt.Errorf("CLUSTER SETSLOT NODE on %s: %w", s, err)
		}
	}
	for _, s := range c.nodes {
		if s == to || s == from || !s.live() {
			continue
		}
		err := s.admin.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", to.id).Err()
		if err != nil && !strings.Contains(err.Error(), "only with masters") {
			return fmt.Errorf("CLUSTER SETSLOT NODE on %s: %w", s, err)
		}
	}
	if err := c.WaitHealthy(ctx); err != nil {
		return err
	}
	if owner := c.NodeForSlot(slot); owner != to {
		return fmt.Errorf("cluster agrees that %v owns the slot", owner)
	}
	return nil
}
