package fleet

// CacheStats are one instance's near-cache counters, as its summaries
// carry them (see Options.CacheStats). Counts are totals since the
// instance started.
type CacheStats struct {
	// Mode is how the cache is kept consistent: "tracking", "redirect",
	// "ttl-only", "off" or "connecting" (nearcache.Mode's names).
	Mode string
	// Hits and Misses count lookups answered from memory and not.
	Hits, Misses uint64
	// Fills counts replies stored in the cache; Invalidations entries
	// dropped because the server said their key changed.
	Fills, Invalidations uint64
	// Entries and Bytes are what the cache holds now.
	Entries, Bytes uint64
}

// CacheTotals sum the near-cache counters of the live instances that
// report them.
type CacheTotals struct {
	// Instances is how many live instances report a near cache.
	Instances int
	// Hits, Misses, Fills, Invalidations, Entries and Bytes are sums over
	// those instances.
	Hits, Misses, Fills, Invalidations, Entries, Bytes uint64
	// Modes counts those instances by their cache's mode.
	Modes map[string]int
}

// add adds one instance's counters.
func (t *CacheTotals) add(c *CacheStats) {
	if t.Modes == nil {
		t.Modes = make(map[string]int)
	}
	t.Instances++
	t.Modes[c.Mode]++
	t.Hits += c.Hits
	t.Misses += c.Misses
	t.Fills += c.Fills
	t.Invalidations += c.Invalidations
	t.Entries += c.Entries
	t.Bytes += c.Bytes
}

// CacheTotals returns the near-cache counters of the fleet as of the last
// merge: the sums over the live instances that report them (Instances
// lists each one's). Its Modes map is the caller's.
func (m *Member) CacheTotals() CacheTotals {
	t := m.view.Load().cache
	if t.Modes != nil {
		modes := make(map[string]int, len(t.Modes))
		for k, v := range t.Modes {
			modes[k] = v
		}
		t.Modes = modes
	}
	return t
}
