package nearcache

import (
	"slices"
	"time"
)

// Stats describe a cache's work since New.
type Stats struct {
	// Mode is the mode of the cache's nodes: the weakest among them when
	// they differ (off, then TTL-only, then redirect, then tracking), or
	// ModeConnecting before any node has connected.
	Mode Mode `json:"mode"`
	// StalenessBound is how old a value served from the cache may be in
	// Mode: MaxStaleness with invalidation, TTLOnly in TTL-only mode.
	StalenessBound time.Duration `json:"staleness_bound"`

	// Entries is the number of cached keys. Bytes is what they weigh
	// against MaxBytes: their estimated memory, each counted as at least
	// MaxBytes/MaxEntries so that one bound covers both limits.
	Entries int    `json:"entries"`
	Bytes   uint64 `json:"bytes"`

	// Hits and Misses count lookups (GetString and Lookup).
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
	// Fills counts replies published to the cache; FillErrors fills that
	// failed or timed out; Discarded fill replies not published because
	// the key changed while they were in flight.
	Fills      uint64 `json:"fills"`
	FillErrors uint64 `json:"fill_errors"`
	Discarded  uint64 `json:"discarded"`
	// Invalidations counts entries dropped on the server's word;
	// WriteDrops entries dropped before a write through the client.
	Invalidations uint64 `json:"invalidations"`
	WriteDrops    uint64 `json:"write_drops"`
	// Drops counts entries removed by Drop (keys that cooled).
	Drops uint64 `json:"drops"`
	// Joined counts fills that shared a read of the same key and variant
	// already in flight instead of sending their own (they are counted
	// among Misses too).
	Joined uint64 `json:"joined"`
	// Refreshes counts keys read again at once because they changed while
	// cached and were still wanted (Options.Refresh); RefreshesLimited
	// those left to the next miss because MaxRefreshes refreshes were in
	// flight on their node.
	Refreshes        uint64 `json:"refreshes"`
	RefreshesLimited uint64 `json:"refreshes_limited"`
	// Flushes counts the times all entries of a node (or, for FlushWrite,
	// of the cache) were dropped at once, by reason.
	Flushes map[FlushReason]uint64 `json:"flushes"`

	// Nodes lists the nodes the cache knows, by address.
	Nodes []NodeStats `json:"nodes"`
}

// NodeStats describe one node.
type NodeStats struct {
	Addr string `json:"addr"`
	Mode Mode   `json:"mode"`
	// VerifiedAgo is how long ago the send time of the last reply that
	// proved the node's invalidation stream complete was, as of the call;
	// negative if none since the connection came up.
	VerifiedAgo time.Duration `json:"verified_ago"`
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	hits, misses := c.count.sum()
	st := Stats{
		Entries:          c.ix.len(),
		Bytes:            c.policy.WeightedSize(),
		Hits:             hits,
		Misses:           misses,
		Fills:            c.fills.Load(),
		FillErrors:       c.fillErrors.Load(),
		Discarded:        c.discarded.Load(),
		Invalidations:    c.invalidations.Load(),
		WriteDrops:       c.writeDrops.Load(),
		Drops:            c.drops.Load(),
		Joined:           c.joined.Load(),
		Refreshes:        c.refreshes.Load(),
		RefreshesLimited: c.refreshLimited.Load(),
		Flushes:          make(map[FlushReason]uint64),
	}
	for r := range c.flushes {
		if n := c.flushes[r].Load(); n > 0 {
			st.Flushes[FlushReason(r)] = n
		}
	}
	c.mu.Lock()
	nodes := make([]*node, 0, len(c.nodes))
	for _, n := range c.nodes {
		nodes = append(nodes, n)
	}
	c.mu.Unlock()
	now := c.realNow()
	rank := map[Mode]int{ModeOff: 0, ModeTTLOnly: 1, ModeRedirect: 2, ModeTracking: 3}
	best := -1
	for _, n := range nodes {
		_, mode := n.session()
		ns := NodeStats{Addr: n.cfg.Addr, Mode: mode, VerifiedAgo: -1}
		switch d := n.deadline.Load(); {
		case mode == ModeTTLOnly:
		case d > 0:
			ns.VerifiedAgo = time.Duration(now - (d - int64(c.opts.MaxStaleness) + c.margin))
		}
		st.Nodes = append(st.Nodes, ns)
		if r, ok := rank[mode]; ok && (best < 0 || r < best) {
			best, st.Mode = r, mode
		}
	}
	slices.SortFunc(st.Nodes, func(a, b NodeStats) int {
		if a.Addr < b.Addr {
			return -1
		}
		if a.Addr > b.Addr {
			return 1
		}
		return 0
	})
	st.StalenessBound = c.boundOf(st.Mode)
	return st
}

// boundOf returns the staleness bound of mode: how old a served value may
// be; zero where nothing is served.
func (c *Cache) boundOf(mode Mode) time.Duration {
	switch mode {
	case ModeTTLOnly:
		return min(c.opts.TTLOnly, c.opts.TTL)
	case ModeTracking, ModeRedirect:
		return c.opts.MaxStaleness
	}
	return 0
}

// Options returns the cache's options with defaults filled in.
func (c *Cache) Options() Options { return c.opts }
